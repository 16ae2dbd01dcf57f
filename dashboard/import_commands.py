"""The work behind ``fengqiao import …``: read, validate, load in one transaction, and tell the user."""

from __future__ import annotations

import getpass
from pathlib import Path

from rich.console import Console
from rich.status import Status
from rich.table import Table
from sqlalchemy.engine import Engine

from etl.crs import parse_crs
from etl.ledger_mapping import METHODS, SKIP, inspect_columns, mapping_document, propose, read_mapping_file
from etl.ledger_reports import error_report, template_workbook
from etl.ledger_rules import FIELDS
from etl.ledgers import load_ledger, read_ledger
from etl.tabular import normalise_header
from etl.progress import BOUNDARY_PHASES, LEDGER_PHASES, Progress
from etl.report_paths import report_path
from geo import db, migrate
from geo.mapping_profiles import profile_for, profile_named, save_profile
from geo.models import ImportKind

SHOWN_REFUSALS = 20
TEMPLATE_NAMES = {ImportKind.DISPUTES: "矛盾纠纷台账模板.xlsx", ImportKind.PETITIONS: "信访事项台账模板.xlsx",
                  ImportKind.HOTLINE: "12345热线工单模板.xlsx"}


def ensure_schema(engine: Engine, prepare) -> None:
    """Migrate (and load the reference geography) only when the database is not at the newest revision."""
    if migrate.revision_of(engine) != migrate.head():
        prepare(engine)


def resolve_mapping(console: Console, engine: Engine, kind: ImportKind, file: Path, mapping: str | None,
                    area: str | None) -> dict[str, str | None] | None:
    """The columns to read ``file`` with: a mapping file, a profile named ``mapping``, or the saved profile
    whose headers are those of ``file`` (said on the console); None when there is none."""
    if mapping and Path(mapping).is_file():
        return read_mapping_file(Path(mapping), kind)
    with db.session_factory(engine)() as session:
        if mapping:
            return profile_named(session, kind, mapping, area).columns
        if not file.is_file():
            return None  # read_ledger says so
        profile = profile_for(session, kind, inspect_columns(file, kind).normalised, area)
    if profile is not None:
        console.print(f"按已保存的列对应“{profile.name}”读取（表头与之相同）。")
        return profile.columns
    return None


def import_ledger(console: Console, engine: Engine, kind: ImportKind, file: Path, crs: str, dry_run: bool,
                  report: Path | None, mapping: str | None = None, area: str | None = None) -> dict:
    """Read and validate ``file`` (with ``mapping``: a mapping file or a profile's name), load it (or with
    ``dry_run`` only report), write the error report."""
    parse_crs(crs)  # a wrong --crs is said before anything is read
    columns = resolve_mapping(console, engine, kind, file, mapping, area)
    with console.status(f"读取并检查 {file.name}…") as status:
        frame = read_ledger(file, kind, crs=crs, mapping=columns, progress=_shown_on(status))
    encoding = f"（编码 {frame.encoding if frame.encoding != 'gb18030' else 'GBK/GB18030'}）" if frame.encoding else ""
    console.print(f"已读取 {file.name}{encoding}：{frame.total} 行，格式检查拒收 {frame.refused['idx'].nunique()} 行。")
    for note in frame.notes:
        console.print(f"[yellow]注意：[/]{note}")
    console.print(column_table(frame.columns))
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
        target = report_path(file, "错误报告.xlsx", report)
        target.write_bytes(error_report(result))
        console.print(f"错误报告已保存：{target}（拒收的行改正后可直接导入该文件；提示见“已导入但有提示”工作表）")
    return result.counts


def column_table(columns: list[dict]) -> Table:
    """Every column of the file and what became of it."""
    table = Table("工作表", "列", "对应字段", "方式", title="各列去向")
    for column in columns:
        table.add_row(column["sheet"] or "", column["header"], column["label"] or "—", column["how"])
    return table


def show_mapping(console: Console, engine: Engine, kind: ImportKind, target: str, area: str | None,
                 output: Path | None) -> None:
    """A ledger file's columns with their samples and proposed fields (a saved profile's when one fits),
    written as an editable mapping file to ``output``; or, for a name, that profile's columns."""
    path = Path(target)
    with db.session_factory(engine)() as session:
        if not path.is_file():
            profile = profile_named(session, kind, target, area)
            table = Table("列", "对应字段", title=f"列对应“{profile.name}”（{profile.area_code or '全市'}，{profile.saved_by} 保存）")
            fields = FIELDS[kind]
            for header in profile.headers:
                name = profile.columns.get(normalise_header(header))
                table.add_row(header, fields[name].label if name else SKIP)
            console.print(table)
            return
        columns = inspect_columns(path, kind)
        profile = profile_for(session, kind, columns.normalised, area)
    proposals = propose(kind, columns, profile.columns if profile else None)
    fields = FIELDS[kind]
    table = Table("列", "样例", "建议字段", "依据", title=f"{path.name} 的列" + (f"（按已保存的列对应“{profile.name}”）" if profile else ""))
    for p in proposals:
        table.add_row(p.header, "、".join(p.samples), fields[p.field].label if p.field else SKIP, METHODS.get(p.method, "—"))
    console.print(table)
    if output is not None:
        output.write_text(mapping_document(kind, proposals), encoding="utf-8")
        console.print(f"列对应已写入 {output}：核对、修改后用 fengqiao import mapping save 保存，或导入时用 --mapping {output}。")


def save_mapping(console: Console, engine: Engine, kind: ImportKind, name: str, file: Path, area: str | None) -> None:
    """Save the mapping file ``file`` as the profile ``name`` of ``area`` (the whole city when None)."""
    columns = read_mapping_file(file, kind)
    with db.session_factory(engine).begin() as session:
        profile = save_profile(session, kind, name, area, list(columns), columns, f"命令行：{getpass.getuser()}")
        console.print(f"已保存列对应“{profile.name}”（{len(columns)} 列，{profile.area_code or '全市'}）：表头相同的文件导入时会自动使用。")


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
                         tolerance: float, report_file: Path | None = None) -> None:
    """Check (and unless ``dry_run`` write) a boundary file; the per-feature report goes to ``report_path``."""
    from etl.boundaries import import_boundaries
    from etl.boundary_report import report_workbook

    with console.status(f"读取、检查{'' if dry_run else '并写入'}边界 {file.name}…") as status:
        with db.session_factory(engine).begin() as session:
            report = import_boundaries(file, session, level, crs=crs, tolerance=tolerance, dry_run=dry_run,
                                       imported_by=f"命令行：{getpass.getuser()}",
                                       progress=_shown_on(status, BOUNDARY_PHASES, "项"))
    console.print(("[bold]预检结果[/]：" if dry_run else "[bold green]导入完成[/]：") + report.summary())
    for line in report.lines():
        console.print(f"  · {line}")
    tally = report.tally()
    console.print(f"要素：读取 {tally['read']} 个 = 导入 {tally['loaded']} + 有提示 {tally['warned']} + 拒收 {tally['refused']}。")
    target = report_path(file, "边界检查报告.xlsx", report_file)
    target.write_bytes(report_workbook(report))
    console.print(f"边界检查报告已保存：{target}（每个要素一行：匹配方式、结果和原因）")
