"""How an import reports its progress: ``progress(phase, done, total)``, rows done of the rows in a phase.

The phases, in order: "read" (total: the rows the file seems to hold), "locate", "stage", "write", and
"refresh" (not in a dry run). The terminal shows them with rich, the import page with a progress bar.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]
PHASES = ("read", "locate", "stage", "write", "refresh")


def no_progress(_phase: str, _done: int, _total: int) -> None:
    """The default: report nothing."""
