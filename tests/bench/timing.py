"""Timing helpers shared by the benchmark scripts in this folder (imported as ``timing``)."""

from __future__ import annotations

import time
from contextvars import copy_context

from dash._callback_context import context_value
from dash._utils import AttributeDict

from geo import access
from geo.enums import Role

LEADER = access.Principal("bench", Role.LEADERSHIP)


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


def call(function, trigger, *args, principal: access.Principal = LEADER):
    """Run a Dash callback as Dash would for ``principal``, with ``trigger`` as the input that fired."""
    def run():
        access.CURRENT.set(principal)
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": trigger, "value": None}] if trigger else []))
        return function(*args)
    return copy_context().run(run)
