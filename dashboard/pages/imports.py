"""数据导入 — upload a ledger, read its validation report, confirm, download the rows it refused;
and upload a boundary file (township, village or grid cells), read its dry-run report, confirm.

The upload is checked (suffix, size; an .xlsx's unpacked size before openpyxl reads it) and kept in
a private temporary folder under a random token; the browser's store holds only that token, the
ledger kind, the CRS and the uploader's username, never records. The user's file name is shown and
offered back as a download name, never used as a path. The preview is a full dry run (locating
included) in a transaction that is rolled back; “确认导入” runs the same import again in a worker
thread (``dashboard.import_jobs``) and commits it, while a ``dcc.Interval`` polls its progress into a
bar until the report replaces it. Both run as the owner (COPY cannot run under row-level security)
after the role check, and only into the user's own area: rows placed elsewhere are refused.

A boundary import goes the same way: a dry-run report, then “确认替换边界” runs it in a worker thread,
in one transaction (the new geometry, the illustrative units that give way, the records re-linked),
while its own interval polls the bar. A county supervisor may replace townships, villages and grid
cells of the county; a township supervisor only the grid cells of the township. Features outside the
area are refused with the reason.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import tempfile
import time
import zipfile
from pathlib import Path

import dash
from dash import ALL, Input, Output, State, dcc, html, no_update

from dashboard import import_jobs
from dashboard.components.column_mapping import mapping_panel
from dashboard.database import owner_session
from dashboard.guard import check_write, page_callback, page_layout, refuse
from etl.boundaries import DEFAULT_TOLERANCE, LEVEL_LABELS, BoundaryReport, import_boundaries
from etl.ledger_mapping import all_recognised, choices_to_columns, inspect_columns, propose
from etl.ledger_reports import error_report, template_workbook
from etl.ledgers import ImportResult, load_ledger, read_ledger
from etl.progress import Progress, no_progress
from geo import access
from geo.enums import Role
from geo.errors import FengqiaoError
from geo.mapping_profiles import profile_for, profile_name, save_profile
from geo.models import ImportKind

dash.register_page(__name__, path="/import", name="数据导入", title="枫桥网格 · 数据导入", order=7)

callback = page_callback("imports")

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
SUFFIXES = (".xlsx", ".csv")
BOUNDARY_SUFFIXES = (".geojson", ".json", ".zip", ".gpkg")
SHOWN_FINDINGS = 50
SHOWN_REFUSALS = 20
POLL_MS = 700
KEEP_SECONDS = 2 * 3600
TOKEN = re.compile(r"^[0-9a-f]{32}$")
KINDS = [ImportKind.DISPUTES, ImportKind.PETITIONS, ImportKind.HOTLINE]
CRS_CHOICES = [{"label": "WGS84 / CGCS2000 经纬度（EPSG:4326、4490）", "value": "EPSG:4326"},
               {"label": "网络地图坐标 GCJ-02（高德、腾讯）", "value": "gcj02"},
               {"label": "CGCS2000 高斯投影 114°E（EPSG:4547）", "value": "EPSG:4547"},
               {"label": "CGCS2000 高斯投影 38 带（EPSG:4526）", "value": "EPSG:4526"}]
BOUNDARY_CRS = [{"label": "按文件自带的坐标系（.prj 等）", "value": ""},
                {"label": "CGCS2000 经纬度（EPSG:4490）", "value": "EPSG:4490"},
                {"label": "WGS84 经纬度（EPSG:4326）", "value": "EPSG:4326"},
                *CRS_CHOICES[2:], CRS_CHOICES[1]]


def upload_folder() -> Path:
    folder = Path(tempfile.gettempdir()) / "fengqiao-uploads"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _stored(token: str, suffix: str) -> Path:
    """The server-side file of an upload; the token and suffix are checked, so no input reaches the path."""
    if not TOKEN.match(str(token)) or suffix not in (*SUFFIXES, *BOUNDARY_SUFFIXES, ".errors.xlsx", ".owner"):
        raise FengqiaoError("上传已失效，请重新上传文件。")
    return upload_folder() / f"{token}{suffix}"


def _forget_old_uploads() -> None:
    cutoff = time.time() - KEEP_SECONDS
    for path in upload_folder().iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


@page_layout("imports")
def layout(**_kwargs):
    return html.Div(
        [
            dcc.Download(id="imp-download"),
            dcc.Store(id="imp-upload-state"),
            html.H2("数据导入：矛盾纠纷、信访事项与 12345 工单台账"),
            html.Div([
                html.Div([html.Label("台账种类"),
                          dcc.RadioItems(id="imp-kind", value=ImportKind.DISPUTES.value, inline=True,
                                         options=[{"label": k.label, "value": k.value} for k in KINDS])],
                         className="control"),
                html.Div([html.Label("经纬度的坐标系"),
                          dcc.Dropdown(id="imp-crs", options=CRS_CHOICES, value="EPSG:4326", clearable=False)],
                         className="control"),
                html.Div([html.Button("下载空白模板", id="imp-template", n_clicks=0, className="button small")],
                         className="control"),
            ], className="controls import-controls"),
            html.P(f"只能导入您管辖范围（{access.current().region_code}）内的记录；位于其他地区的行会被拒收，并列入错误报告。",
                   className="hint", id="imp-scope"),
            html.P(f"上传 .xlsx 或 .csv（不超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB；CSV 可为 UTF-8 或 GBK 编码）。"
                   "先检查，不写入；看过检查报告后点“确认导入”。同一台账重复导入只会更新，不会重复。", className="hint"),
            dcc.Upload(id="imp-upload", children=html.Div(["拖放台账文件到这里，或 ", html.A("选择文件")]),
                       className="upload", max_size=MAX_UPLOAD_BYTES, multiple=False),
            dcc.Loading(html.Div(id="imp-report", className="panel"), type="default"),
            html.Div([
                html.Button("确认导入", id="imp-confirm", n_clicks=0, className="button", disabled=True),
                html.Button("下载错误报告", id="imp-errors", n_clicks=0, className="button small", disabled=True),
            ], className="import-actions"),
            dcc.Interval(id="imp-poll", interval=POLL_MS, disabled=True),
            html.Div(id="imp-result", role="status"),
            _boundary_section(access.current()),
        ],
        className="import-page",
    )


def _boundary_section(principal: access.Principal) -> html.Section:
    levels = ["grid"] if principal.role is Role.TOWNSHIP_SUPERVISOR else ["township", "village", "grid"]
    return html.Section([
        dcc.Store(id="imp-b-state"),
        html.H2("边界导入：乡镇（街道）、村（社区）、网格"),
        html.Div([
            html.Div([html.Label("边界层级"),
                      dcc.RadioItems(id="imp-b-level", value=levels[-1], inline=True,
                                     options=[{"label": LEVEL_LABELS[v], "value": v} for v in levels])],
                     className="control"),
            html.Div([html.Label("坐标系"),
                      dcc.Dropdown(id="imp-b-crs", options=BOUNDARY_CRS, value="", clearable=False)], className="control"),
            html.Div([html.Label("容差（米）", htmlFor="imp-b-tolerance"),
                      dcc.Input(id="imp-b-tolerance", type="number", min=0, max=1000, step=1, value=DEFAULT_TOLERANCE)],
                     className="control"),
        ], className="controls import-controls"),
        html.P(("您可替换本乡镇（街道）内网格的边界。" if principal.role is Role.TOWNSHIP_SUPERVISOR else
                "您可替换本县（区）内乡镇（街道）、村（社区）和网格的边界。")
               + "上传 GeoJSON、压缩的 Shapefile（.zip，含 .prj）或 GeoPackage；先预检，看过报告后点“确认替换边界”。"
               "示意边界会让位于正式边界，位置变了的住户、党员、纠纷等随之重新归属网格。", className="hint"),
        dcc.Upload(id="imp-b-upload", children=html.Div(["拖放边界文件到这里，或 ", html.A("选择文件")]),
                   className="upload", max_size=MAX_UPLOAD_BYTES, multiple=False),
        dcc.Loading(html.Div(id="imp-b-report", className="panel"), type="default"),
        html.Div([html.Button("确认替换边界", id="imp-b-confirm", n_clicks=0, className="button", disabled=True)],
                 className="import-actions"),
        dcc.Interval(id="imp-b-poll", interval=POLL_MS, disabled=True),
        html.Div(id="imp-b-result", role="status"),
    ], className="boundary-import")


def _report(result: ImportResult, heading: str, element_id: str) -> html.Div:
    c = result.counts
    counts = [("读取", c["rows"]), ("新增", c["new"]), ("更新", c["updated"]), ("未变", c["unchanged"]),
              ("已导入但有提示", c["warned"]), ("拒收", c["refused"])] + ([("关联已有信访件", c["linked"])] if result.kind == ImportKind.HOTLINE else [])
    children = [html.H3(heading), html.P(result.summary(), id=f"{element_id}-summary"),
                html.Table([html.Thead(html.Tr([html.Th(k) for k, _ in counts])),
                            html.Tbody(html.Tr([html.Td(f"{v:,}") for _, v in counts]))],
                           className="table", id=f"{element_id}-counts")]
    children += [html.P(f"注意：{note}", className="hint") for note in result.notes]
    if result.columns:
        children.append(html.Details([
            html.Summary(f"各列去向（{sum(1 for c in result.columns if c['field'])} 列导入，"
                         f"{sum(1 for c in result.columns if not c['field'])} 列未导入）"),
            html.Table([html.Thead(html.Tr([html.Th(t) for t in ("工作表", "列", "对应字段", "方式")])),
                        html.Tbody([html.Tr([html.Td(c["sheet"] or ""), html.Td(c["header"]), html.Td(c["label"] or "—"),
                                             html.Td(c["how"])]) for c in result.columns])],
                       className="table", id=f"{element_id}-columns")]))
    for lines, title, suffix in ((result.refusals, "拒收的行", "refusals"), (result.warnings, "已导入但有提示的行", "warnings")):
        if not len(lines):
            continue
        shown = lines.head(SHOWN_REFUSALS)
        children.append(html.H4(f"{title}（前 {len(shown)} 条，共 {len(lines)} 条；完整清单见错误报告）"))
        children.append(html.Table(
            [html.Thead(html.Tr([html.Th(t) for t in ("工作表", "行", "列", "原因" if suffix == "refusals" else "提示")])),
             html.Tbody([html.Tr([html.Td(r.sheet if isinstance(r.sheet, str) else ""), html.Td(str(r.row)),
                                  html.Td(r.column or ""), html.Td(r.reason)]) for r in shown.itertuples()])],
            className="table", id=f"{element_id}-{suffix}"))
    return html.Div(children, id=element_id)


def _reported(result: ImportResult) -> bool:
    """Whether the error report has rows: refused, or loaded with a warning."""
    return bool(len(result.refusals) or len(result.warnings))


def _progress(job: import_jobs.Job, prefix: str = "imp", unit: str = "行") -> html.Div:
    """The bar of a running (or just finished) import: the phase, its items, the share of the whole."""
    percent = round(100 * job.fraction)
    step = "导入完成" if job.finished_at else f"正在{job.label}"
    items = f"（{job.done:,} / {job.total:,} {unit}）" if job.total and not job.finished_at else ""
    return html.Div([
        html.Div([html.Span(step + items, id=f"{prefix}-progress-phase"),
                  html.Span(f"{percent}%", id=f"{prefix}-progress-percent")], className="progress-label"),
        html.Progress(value=percent, max=100, id=f"{prefix}-progress"),
    ], className="import-progress")


def _read(path: Path, kind: str, crs: str, filename: str, progress: Progress = no_progress, mapping=None):
    return read_ledger(path, kind, crs=crs, display_name=filename, mapping=mapping, max_unpacked=MAX_UNPACKED_BYTES,
                       progress=progress)


def _receive(contents, filename, suffixes: tuple[str, ...], only: str, command: str) -> tuple[str, str, Path]:
    """Keep an upload under a random token: (token, suffix, path); ``FengqiaoError`` saying why it cannot be.
    The user's file name only chooses the reader; it is never a path."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in suffixes:
        raise FengqiaoError(f"{only}（收到：{filename}）。")
    if not contents or "," not in contents:
        raise FengqiaoError(f"文件为空或超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB 的上限。")
    try:
        payload = base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        raise FengqiaoError("上传的数据已损坏，请重新上传。") from None
    if len(payload) > MAX_UPLOAD_BYTES:
        raise FengqiaoError(f"文件有 {len(payload) / 1024 / 1024:.1f} MB，超过上限 {MAX_UPLOAD_BYTES // 1024 // 1024} MB："
                            f"请拆成几个文件分别导入，或用命令 {command} 导入。")
    _forget_old_uploads()
    token = secrets.token_hex(16)
    path = _stored(token, suffix)
    path.write_bytes(payload)
    return token, suffix, path


@callback(
    Output("imp-report", "children"),
    Output("imp-upload-state", "data"),
    Output("imp-confirm", "disabled"),
    Output("imp-errors", "disabled"),
    Output("imp-result", "children"),
    Output("imp-poll", "disabled", allow_duplicate=True),
    Input("imp-upload", "contents"),
    State("imp-upload", "filename"),
    State("imp-kind", "value"),
    State("imp-crs", "value"),
    prevent_initial_call=True,
)
def preview(contents, filename, kind, crs):
    """Check the upload and report what an import would do, without writing anything; when its headers are not
    all recognised (and no saved mapping fits them), first the column-mapping step."""
    principal = check_write("import")

    def refused(message: str):
        return html.P(message, className="error", id="imp-error"), None, True, True, "", True

    try:
        token, suffix, path = _receive(contents, filename, SUFFIXES, "只接受 .xlsx 或 .csv 文件", "fengqiao import")
    except FengqiaoError as exc:
        return refused(str(exc))
    state = {"token": token, "suffix": suffix, "kind": kind, "crs": crs, "file": filename, "user": principal.username}
    _stored(token, ".owner").write_text(principal.username, encoding="utf-8")
    try:
        columns = _columns(path, kind, filename)
        with owner_session() as session:
            profile = profile_for(session, kind, columns.normalised, _profile_area(principal))
        proposals = propose(kind, columns, profile.columns if profile else None)
        if profile is None and not all_recognised(proposals):
            return mapping_panel(kind, proposals, Path(str(filename)).stem[:60]), state, True, True, "", True
        state |= {"mapping": profile.columns if profile else None, "profile": profile.name if profile else None}
        return (*_checked(path, state, principal), "", True)
    except FengqiaoError as exc:
        path.unlink(missing_ok=True)
        return refused(str(exc))


def _columns(path: Path, kind: str, filename: str):
    return inspect_columns(path, kind, display_name=filename, max_unpacked=MAX_UNPACKED_BYTES)


def _profile_area(principal: access.Principal) -> str:
    """The area whose saved mappings a user uses and saves: a supervisor's own, else the whole city ('')."""
    return principal.region_code if principal.role in access.SUPERVISORS else ""


def _checked(path: Path, state: dict, principal: access.Principal) -> tuple:
    """The dry run of an upload with the state's mapping: (report, state, confirm disabled, errors disabled)."""
    frame = _read(path, state["kind"], state["crs"], state["file"], mapping=state.get("mapping"))
    with owner_session() as session:  # a dry run: rolled back; COPY needs the owner, the role was checked
        result = load_ledger(frame, session, dry_run=True, within=principal.write_prefix)
    _stored(state["token"], ".errors.xlsx").write_bytes(error_report(result))
    importable = result.counts["new"] + result.counts["updated"] > 0
    report = _report(result, "检查报告（尚未写入）", "imp-check")
    if state.get("profile"):
        report.children.insert(1, html.P(f"已按列对应“{state['profile']}”读取各列。", className="hint", id="imp-profile"))
    report.children.append(html.Button("调整列对应", id="imp-map-edit", n_clicks=0, className="button small"))
    return report, state, not importable, not _reported(result)


@callback(
    Output("imp-report", "children", allow_duplicate=True),
    Output("imp-upload-state", "data", allow_duplicate=True),
    Output("imp-confirm", "disabled", allow_duplicate=True),
    Output("imp-errors", "disabled", allow_duplicate=True),
    Output("imp-map-error", "children"),
    Input("imp-map-apply", "n_clicks"),
    State({"type": "imp-map", "index": ALL}, "value"),
    State("imp-map-name", "value"),
    State("imp-upload-state", "data"),
    prevent_initial_call=True,
)
def apply_mapping(n_clicks, _values, name, state):
    """Check the file with the confirmed mapping, then save the mapping as a profile of the user's area."""
    if not n_clicks or not state:
        return no_update, no_update, no_update, no_update, no_update
    principal = _owner_of(state)
    try:
        name = profile_name(name)
        path = _upload_of(state)
        columns = _columns(path, state["kind"], state["file"])  # the headers are read again, not taken from the page
        chosen = {item["id"]["index"]: item.get("value") for item in dash.ctx.states_list[0]
                  if isinstance(item.get("id"), dict) and isinstance(item["id"].get("index"), int)}
        mapping = choices_to_columns(state["kind"], {h: chosen.get(i) or None for i, h in enumerate(columns.headers)})
        checked = _checked(path, {**state, "mapping": mapping, "profile": name}, principal)
        with owner_session() as session:
            save_profile(session, state["kind"], name, _profile_area(principal), columns.headers, mapping,
                         principal.username)
    except FengqiaoError as exc:
        return no_update, no_update, True, True, html.P(str(exc), className="error", id="imp-map-problem")
    return (*checked, "")


@callback(
    Output("imp-report", "children", allow_duplicate=True),
    Output("imp-confirm", "disabled", allow_duplicate=True),
    Input("imp-map-edit", "n_clicks"),
    State("imp-upload-state", "data"),
    prevent_initial_call=True,
)
def edit_mapping(n_clicks, state):
    """Back to the mapping step from a report, with the columns as they were read."""
    if not n_clicks or not state:
        return no_update, no_update
    _owner_of(state)
    try:
        path = _upload_of(state)
        proposals = propose(state["kind"], _columns(path, state["kind"], state["file"]), state.get("mapping"))
    except FengqiaoError as exc:
        return html.P(str(exc), className="error", id="imp-error"), True
    name = state.get("profile") or Path(str(state.get("file") or "")).stem[:60]
    return mapping_panel(state["kind"], proposals, name, "按需要修改各列对应的字段，然后保存并重新检查。"), True


def _upload_of(state: dict) -> Path:
    path = _stored(state.get("token"), state.get("suffix"))
    if not path.exists():
        raise FengqiaoError("上传已过期，请重新上传文件。")
    return path


@callback(
    Output("imp-result", "children", allow_duplicate=True),
    Output("imp-confirm", "disabled", allow_duplicate=True),
    Output("imp-poll", "disabled"),
    Input("imp-confirm", "n_clicks"),
    State("imp-upload-state", "data"),
    prevent_initial_call=True,
)
def confirm(n_clicks, state):
    """Start importing the previewed file for real (one transaction, in a worker thread); show its progress."""
    if not n_clicks or not state:
        return no_update, no_update, no_update
    principal = _owner_of(state)
    try:
        path = _upload_of(state)
    except FengqiaoError as exc:
        return html.P(str(exc), className="error", id="imp-error"), True, True
    token, within, username = state["token"], principal.write_prefix, principal.username

    def work(progress: Progress) -> ImportResult:  # runs in the worker thread: everything it needs is passed in
        frame = _read(path, state["kind"], state["crs"], state["file"], progress, state.get("mapping"))
        with owner_session() as session:  # COPY needs the owner; the role and the upload's owner were checked
            result = load_ledger(frame, session, imported_by=username, within=within, progress=progress)
        _stored(token, ".errors.xlsx").write_bytes(error_report(result))
        path.unlink(missing_ok=True)
        return result

    return _progress(import_jobs.start(token, username, work)), True, False


@callback(
    Output("imp-result", "children", allow_duplicate=True),
    Output("imp-poll", "disabled", allow_duplicate=True),
    Output("imp-errors", "disabled", allow_duplicate=True),
    Input("imp-poll", "n_intervals"),
    State("imp-upload-state", "data"),
    prevent_initial_call=True,
)
def poll(_n, state):
    """The running import's bar; when it has ended, the full bar and its report (or what went wrong)."""
    job, ended = _job_of(state, "imp")
    if ended is not None:
        return ended, True, True
    if job.finished_at is None:
        return _progress(job), False, no_update
    result = job.result
    report = _report(result, f"导入完成（导入记录编号 {result.batch_id}）", "imp-done")
    return html.Div([_progress(job), html.Div(report, className="panel")]), True, not _reported(result)


def _job_of(state: dict, prefix: str) -> tuple[import_jobs.Job | None, html.P | None]:
    """The upload's job, which must be the signed-in user's (refused and logged otherwise); or, when there is no
    job any more or it failed, the message that ends the polling."""
    principal = _owner_of(state)
    job = import_jobs.status(state["token"])
    if job is None:
        return None, html.P("找不到这次导入的进度（服务可能已重启）：请重新上传文件；已写入的内容再次导入只会更新，不会重复。",
                            className="error", id=f"{prefix}-error")
    if job.username != principal.username:
        raise refuse("导入任务属于其他用户", {"action": "import", "token": state["token"]})
    if job.error:
        return job, html.P(job.error, className="error", id=f"{prefix}-error")
    return job, None


def _owner_of(state: dict | None):
    """The signed-in supervisor, who must be the one that uploaded ``state`` (refused and logged otherwise).

    The store names the uploader, but a browser can rewrite it: the name kept beside the upload decides.
    """
    principal = check_write("import")
    token = str((state or {}).get("token"))
    try:
        owner = _stored(token, ".owner").read_text(encoding="utf-8")
    except (FengqiaoError, OSError):
        owner = None
    if owner != principal.username or state.get("user") != principal.username:
        raise refuse("上传的文件属于其他用户", {"action": "import", "token": token})
    return principal


@callback(
    Output("imp-download", "data"),
    Input("imp-errors", "n_clicks"),
    Input("imp-template", "n_clicks"),
    State("imp-upload-state", "data"),
    State("imp-kind", "value"),
    prevent_initial_call=True,
)
def download(_errors, _template, state, kind):
    if dash.ctx.triggered_id == "imp-template":
        return dcc.send_bytes(template_workbook(kind), f"{ImportKind(kind).label}导入模板.xlsx")
    if not state:
        return no_update
    _owner_of(state)  # the report holds the refused rows' cells: names, ID numbers
    report = _stored(state.get("token"), ".errors.xlsx")
    if not report.exists():
        return no_update
    stem = Path(str(state.get("file") or "台账")).stem[:60] or "台账"
    return dcc.send_bytes(report.read_bytes(), f"{stem}_错误报告.xlsx")


def _boundary_report(report: BoundaryReport, heading: str, element_id: str) -> html.Div:
    """Counts, then every finding (repairs, refusals with reasons, spills, overlaps, gaps) naming the units."""
    tally = report.tally()
    counts = [("读取", tally["read"]), ("按代码", tally["by_code"]), ("按名称", tally["by_name"]),
              ("匹配", report.matched), ("修复", len(report.repaired)), ("拒收", len(report.refusals)),
              ("重叠", len(report.overlaps)), ("缝隙", len(report.gaps))]
    if not report.dry_run:
        counts += [("写入", report.written), ("新建网格", report.created)]
        counts += [(f"调整的示意{LEVEL_LABELS[level]}", n) for level, n in report.reshaped.items()]
        counts += [(f"重新归属的{label}", n) for label, n in report.relinked.items()]
    lines = report.lines()
    children = [html.H3(heading), html.P(report.summary(), id=f"{element_id}-summary"),
                html.Table([html.Thead(html.Tr([html.Th(k) for k, _ in counts])),
                            html.Tbody(html.Tr([html.Td(f"{v:,}") for _, v in counts]))],
                           className="table", id=f"{element_id}-counts")]
    if lines:
        children.append(html.H4(f"检查发现（{min(len(lines), SHOWN_FINDINGS)} / {len(lines)} 条）"))
        children.append(html.Ul([html.Li(line) for line in lines[:SHOWN_FINDINGS]], id=f"{element_id}-findings"))
    return html.Div(children, id=element_id)


def _zip_too_big(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return sum(member.file_size for member in archive.infolist()) > MAX_UNPACKED_BYTES
    except zipfile.BadZipFile as exc:
        raise FengqiaoError("压缩包已损坏或不是 .zip 文件：请重新打包 Shapefile（.shp、.shx、.dbf、.prj）后上传。") from exc


def _tolerance(value) -> float:
    try:
        tolerance = float(value)
    except (TypeError, ValueError):
        raise FengqiaoError("容差应为不小于 0 的米数，例如 5。") from None
    if not 0 <= tolerance <= 1000:
        raise FengqiaoError("容差应在 0 到 1000 米之间。")
    return tolerance


@callback(
    Output("imp-b-report", "children"),
    Output("imp-b-state", "data"),
    Output("imp-b-confirm", "disabled"),
    Output("imp-b-result", "children"),
    Output("imp-b-poll", "disabled", allow_duplicate=True),
    Input("imp-b-upload", "contents"),
    State("imp-b-upload", "filename"),
    State("imp-b-level", "value"),
    State("imp-b-crs", "value"),
    State("imp-b-tolerance", "value"),
    prevent_initial_call=True,
)
def boundary_preview(contents, filename, level, crs, tolerance):
    """Check a boundary file against the catalogue and the user's area; write nothing."""
    principal = check_write("import")

    def refused(message: str):
        return html.P(message, className="error", id="imp-b-error"), None, True, "", True

    try:
        token, suffix, path = _receive(contents, filename, BOUNDARY_SUFFIXES,
                                       "边界文件只接受 .geojson、.json、.zip（压缩的 Shapefile）或 .gpkg",
                                       "fengqiao import boundaries")
    except FengqiaoError as exc:
        return refused(str(exc))
    try:
        tolerance = _tolerance(tolerance)
        if suffix == ".zip" and _zip_too_big(path):
            raise FengqiaoError(f"压缩包解压后超过上限 {MAX_UNPACKED_BYTES // 1024 // 1024} MB，未读取。")
        with owner_session() as session:  # a dry run writes nothing; the role was checked, the area goes to the importer
            report = import_boundaries(path, session, level, crs=crs or None, tolerance=tolerance, dry_run=True,
                                       within=principal.write_prefix, display_name=filename)
    except FengqiaoError as exc:
        path.unlink(missing_ok=True)
        return refused(str(exc))
    _stored(token, ".owner").write_text(principal.username, encoding="utf-8")
    state = {"token": token, "suffix": suffix, "level": level, "crs": crs or "", "tolerance": tolerance,
             "file": filename, "user": principal.username}
    return _boundary_report(report, "边界预检报告（尚未写入）", "imp-b-check"), state, report.matched == 0, "", True


@callback(
    Output("imp-b-result", "children", allow_duplicate=True),
    Output("imp-b-confirm", "disabled", allow_duplicate=True),
    Output("imp-b-poll", "disabled"),
    Input("imp-b-confirm", "n_clicks"),
    State("imp-b-state", "data"),
    prevent_initial_call=True,
)
def boundary_confirm(n_clicks, state):
    """Start replacing the boundaries of the previewed file (one transaction with the reshaping and the re-linking,
    in a worker thread); show its progress."""
    if not n_clicks or not state:
        return no_update, no_update, no_update
    principal = _owner_of(state)
    try:
        path = _stored(state.get("token"), state.get("suffix"))
        if not path.exists():
            raise FengqiaoError("上传已过期，请重新上传文件。")
        tolerance = _tolerance(state.get("tolerance"))
    except FengqiaoError as exc:
        return html.P(str(exc), className="error", id="imp-b-error"), True, True
    within, username = principal.write_prefix, principal.username

    def work(progress: Progress) -> BoundaryReport:  # runs in the worker thread: everything it needs is passed in
        with owner_session() as session:  # the role and the upload's owner were checked; the area goes to the importer
            report = import_boundaries(path, session, state["level"], crs=state["crs"] or None, tolerance=tolerance,
                                       within=within, display_name=state["file"], imported_by=username,
                                       progress=progress)
        path.unlink(missing_ok=True)
        return report

    job = import_jobs.start(state["token"], username, work, import_jobs.BOUNDARY)
    return _progress(job, "imp-b", "项"), True, False


@callback(
    Output("imp-b-result", "children", allow_duplicate=True),
    Output("imp-b-poll", "disabled", allow_duplicate=True),
    Input("imp-b-poll", "n_intervals"),
    State("imp-b-state", "data"),
    prevent_initial_call=True,
)
def boundary_poll(_n, state):
    """The running boundary import's bar; when it has ended, the full bar and its report (or what went wrong)."""
    job, ended = _job_of(state, "imp-b")
    if ended is not None:
        return ended, True
    if job.finished_at is None:
        return _progress(job, "imp-b", "项"), False
    report = job.result
    heading = f"边界已替换（导入记录编号 {report.batch_id}）" if report.batch_id else "没有可写入的边界"
    return html.Div([_progress(job, "imp-b", "项"), html.Div(_boundary_report(report, heading, "imp-b-done"),
                                                             className="panel")]), True
