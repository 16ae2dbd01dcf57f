"""Timing helpers shared by the benchmark scripts in this folder (imported as ``timing``)."""

from __future__ import annotations

import time
from contextvars import copy_context

from dash._callback_context import context_value
from dash._utils import AttributeDict


def best_of(repeat: int, function, *args, **kwargs):
    """(best wall time in seconds, last result) of ``repeat`` calls."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function(*args, **kwargs)
        times.append(time.perf_counter() - started)
    return min(times), result


def percentile(values, q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def call(function, trigger, *args):
    """Run a Dash callback's function as Dash would, with ``trigger`` as the input that fired."""
    def run():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": trigger, "value": None}] if trigger else []))
        return function(*args)
    return copy_context().run(run)
