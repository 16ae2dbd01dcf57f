"""How an import reports its progress: ``progress(phase, done, total)``, items done of the phase's items.

Each importer's phases, in order, are the keys of its table below, with the words the user reads. Ledgers:
"read" (total: the rows the file seems to hold), "locate", "stage", "write", and "refresh" (not in a dry
run). Boundaries: "read", "match", "check" (total: the matched units), then, unless a dry run, "write"
(units), "reshape", "relink" (total: the tables re-linked) and "refresh". A phase may be reported with
``total`` 0 (no count known). The terminal shows them in a rich status line, the import page as a bar.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]
LEDGER_PHASES = {"read": "读取并检查文件", "locate": "定位网格", "stage": "载入暂存表", "write": "写入数据库",
                 "refresh": "更新汇总统计"}
BOUNDARY_PHASES = {"read": "读取文件并修复几何", "match": "对应区划单元", "check": "检查包含关系、重叠与缝隙",
                   "write": "写入边界并保存历史版本", "reshape": "调整示意边界", "relink": "记录重新归属网格",
                   "refresh": "更新汇总统计"}


def no_progress(_phase: str, _done: int, _total: int) -> None:
    """The default: report nothing."""
