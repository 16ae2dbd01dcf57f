"""Confirmed imports (ledgers and boundaries) run in a worker thread each, keyed by the upload's token; the
page polls their progress.

A job belongs to the user who confirmed it: the thread is handed that username, since the request's
principal (a ContextVar) does not reach it. Progress (phase, rows done of the phase's rows) comes from
the importer and is kept in this process's memory under a lock; finished jobs are forgotten after
``KEEP_SECONDS``. The dashboard serves from one process (waitress threads), so every poll finds its job.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from etl.progress import BOUNDARY_PHASES, LEDGER_PHASES, Progress
from geo.errors import FengqiaoError

KEEP_SECONDS = 3600


@dataclass(frozen=True)
class Phases:
    """An importer's phases in order: the words the user reads, and the share of the time each usually takes."""

    labels: dict[str, str]
    weights: dict[str, float]


LEDGER = Phases(LEDGER_PHASES, {"read": 0.4, "locate": 0.05, "stage": 0.1, "write": 0.3, "refresh": 0.15})
"""tests/bench/bench_import.py measured read 21 %, write 45 % of a million-row CSV and read 62 % of a
100,000-row .xlsx; uploads (20 MB at most) lie between."""
BOUNDARY = Phases(BOUNDARY_PHASES, {"read": 0.01, "match": 0.01, "check": 0.03, "write": 0.01, "reshape": 0.16,
                                    "relink": 0.65, "refresh": 0.13})
"""tests/bench/bench_boundaries.py (269 villages of a county, 577 cells reshaped, 15 k records re-linked, 30 s):
re-linking 66 %, reshaping 14–17 %, refreshing 13–15 %, reading, matching and checking 3–5 %."""
FAILED = "导入失败（服务器内部错误），没有写入任何数据：请稍后重试，或请管理员查看服务日志。"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A snapshot of one import: whose it is, where it is, and how it ended."""

    username: str
    phases: Phases
    phase: str
    done: int = 0
    total: int = 0
    result: Any = None
    error: str | None = None
    finished_at: float | None = None

    @property
    def fraction(self) -> float:
        """The share of the whole import done, 0–1 (the phases weighted by their usual duration)."""
        if self.finished_at is not None:
            return 1.0
        weights = self.phases.weights
        order = list(weights)
        before = sum(weights[p] for p in order[:order.index(self.phase)])
        within = self.done / self.total if self.total else 0.0
        return min(before + weights[self.phase] * within, 1.0)

    @property
    def label(self) -> str:
        """What the import is doing, as the user reads it."""
        return self.phases.labels[self.phase]


_jobs: dict[str, Job] = {}
_lock = threading.Lock()


def start(token: str, username: str, work: Callable[[Progress], Any], phases: Phases = LEDGER) -> Job:
    """Run ``work(progress)`` (whose result is the import's report) in a new thread unless this upload's import is
    already running; its job."""
    with _lock:
        _forget_finished()
        running = _jobs.get(token)
        if running is not None and running.finished_at is None:
            return running
        job = _jobs[token] = Job(username, phases, next(iter(phases.labels)))
    threading.Thread(target=_run, args=(token, work), name=f"import-{token[:8]}", daemon=True).start()
    return job


def status(token: str) -> Job | None:
    with _lock:
        return _jobs.get(token)


def _update(token: str, **changes) -> None:
    with _lock:
        _jobs[token] = replace(_jobs[token], **changes)


def _run(token: str, work: Callable[[Progress], Any]) -> None:
    def progress(phase: str, done: int, total: int) -> None:
        _update(token, phase=phase, done=done, total=total)

    try:
        _update(token, result=work(progress), finished_at=time.time())
    except FengqiaoError as exc:
        _update(token, error=str(exc), finished_at=time.time())
    except Exception:  # the user must hear that it ended; the details go to the log
        log.exception("import %s failed", token)
        _update(token, error=FAILED, finished_at=time.time())


def _forget_finished() -> None:
    cutoff = time.time() - KEEP_SECONDS
    for token in [t for t, job in _jobs.items() if job.finished_at is not None and job.finished_at < cutoff]:
        del _jobs[token]
