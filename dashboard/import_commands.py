"""The work behind ``fengqiao import …``: read, validate, load in one transaction, and tell the user."""

from __future__ import annotations

import getpass
from pathlib import Path

from rich.console import Console
from rich.status import Status
from rich.table import Table
from sqlalchemy.engine import Engine

from etl.ledger_reports import error_report, template_workbook
from etl.ledgers import load_ledger, read_ledger
from etl.progress import BOUNDARY_PHASES, LEDGER_PHASES, Progress
from geo import db, migrate
from geo.models import ImportKind

SHOWN_REFUSALS = 20
TEMPLATE_NAMES = {ImportKind.DISPUTES: "矛盾纠纷台账模板.xlsx", ImportKind.PETITIONS: "信访事项台账模板.xlsx",
                  ImportKind.HOTLINE: "12345热线工单模板.xlsx"}


def ensure_schema(engine: Engine, prepare) -> None:
    """Migrate (and load the reference geography) only when the database is not at the newest revision."""
    if migrate.revision_of(engine) != migrate.head():
        prepare(engine)


def import_ledger(console: Console, engine: Engine, kind: ImportKind, file: Path, crs: str, dry_run: bool,
                  report: Path | None) -> dict:
    """Read and validate ``file``, load it (or with ``dry_run`` only report), write the error report."""
    with console.status(f"读取并检查 {file.name}…") as status:
        frame = read_ledger(file, kind, crs=crs, progress=_shown_on(status))
    encoding = f"（编码 {frame.encoding if frame.encoding != 'gb18030' else 'GBK/GB18030'}）" if frame.encoding else ""
    console.print(f"已读取 {file.name}{encoding}：{frame.total} 行，格式检查拒收 {frame.refused['idx'].nunique()} 行。")
    for note in frame.notes:
        console.print(f"[yellow]注意：[/]{note}")
    with console.status("定位网格并写入数据库（一个事务）…") as status:
        with db.session_factory(engine).begin() as session:
            result = load_ledger(frame, session, dry_run=dry_run, imported_by=f"命令行：{getpass.getuser()}",
                                 progress=_shown_on(status))
    console.print(("[bold]预检结果[/]（未写入）：" if dry_run else "[bold green]导入完成[/]：") + result.summary())
    if result.batch_id is not None:
        console.print(f"导入记录编号 {result.batch_id}（拒收的行和有提示的行已存入隔离表 import_quarantine）。")
    for lines, title, reason in ((result.refusals, "拒收的行", "原因"), (result.warnings, "已导入但有提示的行", "提示")):
        if len(lines):
            table = Table("工作表", "行", "列", reason, title=f"{title}（前 {min(SHOWN_REFUSALS, len(lines))} 条，共 {len(lines)} 条）")
            for row in lines.head(SHOWN_REFUSALS).itertuples():
                table.add_row(row.sheet if isinstance(row.sheet, str) else "", str(row.row), row.column or "", row.reason)
            console.print(table)
    if len(result.refusals) or len(result.warnings):
        target = report or file.with_name(f"{file.stem}_错误报告.xlsx")
        target.write_bytes(error_report(result))
        console.print(f"错误报告已保存：{target}（拒收的行改正后可直接导入该文件；提示见“已导入但有提示”工作表）")
    return result.counts


def _shown_on(status: Status, phases: dict[str, str] = LEDGER_PHASES, unit: str = "行") -> Progress:
    """An import's progress as the text of a rich status line."""
    def progress(phase: str, done: int, total: int) -> None:
        status.update(f"{phases[phase]}：{done:,} / {total:,} {unit}…" if total else f"{phases[phase]}…")

    return progress


def write_template(console: Console, kind: ImportKind, output: Path | None) -> Path:
    target = output or Path(TEMPLATE_NAMES[kind])
    target.write_bytes(template_workbook(kind))
    console.print(f"已生成{kind.label}导入模板：{target}")
    return target


def write_samples(console: Console, engine: Engine, output: Path | None) -> None:
    from etl.ledger_samples import SAMPLES, write_samples as write

    with db.session_factory(engine)() as session:
        written = write(session, output or SAMPLES)
    for kind, path in written.items():
        console.print(f"{kind.label}样例：{path}")


def import_boundary_file(console: Console, engine: Engine, file: Path, level: str, crs: str | None, dry_run: bool,
                         tolerance: float) -> None:
    from etl.boundaries import import_boundaries

    with console.status(f"读取、检查{'' if dry_run else '并写入'}边界 {file.name}…") as status:
        with db.session_factory(engine).begin() as session:
            report = import_boundaries(file, session, level, crs=crs, tolerance=tolerance, dry_run=dry_run,
                                       imported_by=f"命令行：{getpass.getuser()}",
                                       progress=_shown_on(status, BOUNDARY_PHASES, "项"))
    console.print(("[bold]预检结果[/]：" if dry_run else "[bold green]导入完成[/]：") + report.summary())
    for line in report.lines():
        console.print(f"  · {line}")
