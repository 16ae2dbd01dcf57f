"""How an import reports its progress: ``progress(phase, done, total)``, rows done of the rows in a phase.

The phases, in order, are the keys of ``PHASES`` (with the words the user reads): "read" (total: the rows the
file seems to hold), "locate", "stage", "write", and "refresh" (not in a dry run). The terminal shows them
in a rich status line, the import page as a progress bar.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]
PHASES = {"read": "读取并检查文件", "locate": "定位网格", "stage": "载入暂存表", "write": "写入数据库",
          "refresh": "更新汇总统计"}


def no_progress(_phase: str, _done: int, _total: int) -> None:
    """The default: report nothing."""
