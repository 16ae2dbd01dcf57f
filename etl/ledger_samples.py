"""Sample ledgers (one per importer, Chinese headers) made from the demo data, shipped in ``etl/samples/``.

They show every way of giving a place (coordinates, grid code, village code, village + township
names), the date formats people type, and the hotline's two directions: the hotline sample's
“转出” tickets name petitions of the petition sample, so importing the petition sample first links
them. Numbers are the samples' own (YL-…), so importing a sample never touches the demo records.
Regenerate with ``fengqiao import samples`` on a database holding the demo data.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from etl.ledger_reports import text_cell
from geo.enums import (
    DisputeDomain,
    DisputeStatus,
    LodgedLevel,
    PetitionCategory,
    PetitionChannel,
    PetitionStatus,
    ResolutionChannel,
    RiskLevel,
    Satisfaction,
)
from geo.errors import NotFound
from geo.models import ImportKind

SAMPLES = Path(__file__).resolve().parent / "samples"
SAMPLE_FILES = {ImportKind.DISPUTES: "disputes_sample.xlsx", ImportKind.PETITIONS: "petitions_sample.xlsx",
                ImportKind.HOTLINE: "hotline_sample.xlsx"}
DATE_STYLES = ("{:%Y-%m-%d}", "{:%Y/%-m/%-d}", "{:%Y年%-m月%-d日}", "{:%Y%m%d}")
PLACE_HEADERS = ["经度", "纬度", "网格编码", "村（社区）代码", "村（社区）", "乡镇（街道）"]


def _label(enum_cls, value) -> str:
    return "" if value is None or value != value else enum_cls(value).label


def _date(value, i: int, with_time: bool = False) -> str:
    if value is None or pd.isna(value):
        return ""
    value = pd.Timestamp(value)
    if with_time and i % 4 == 0:
        return f"{value:%Y-%m-%d %H:%M}"
    return DATE_STYLES[i % len(DATE_STYLES)].format(value)


def _place(row, i: int) -> list:
    """Coordinates, grid code, village code or names, in turn."""
    way = i % 4
    return [row.lon if way == 0 else "", row.lat if way == 0 else "", row.grid_code if way == 1 else "",
            row.village_code if way == 2 else "", row.village if way == 3 else "", row.township if way == 3 else ""]


PLACE_SQL = (" ST_X(ST_PointOnSurface(g.geom)) AS lon, ST_Y(ST_PointOnSurface(g.geom)) AS lat, g.code AS grid_code,"
             " g.village_code, v.short_name AS village, t.name AS township"
             " FROM {table} x JOIN grid_cell g ON g.code = x.{grid} JOIN region v ON v.code = g.village_code"
             " JOIN region t ON t.code = v.parent_code")


def sample_frames(session: Session, n: int = 24) -> dict[ImportKind, pd.DataFrame]:
    """The three samples as frames with Chinese headers (values as text, as a county would type them)."""
    disputes = pd.DataFrame(session.execute(text(
        "SELECT x.reported_at, x.resolved_at, x.domain, x.risk_level, x.status, x.channel, x.households_involved,"
        " x.summary," + PLACE_SQL.format(table="dispute", grid="grid_code") +
        " WHERE x.source = 'demo' AND g.code = (SELECT min(code) FROM grid_cell c WHERE c.village_code = g.village_code)"
        " ORDER BY x.id LIMIT :n"
    ), {"n": n}).mappings().all())
    petitions = pd.DataFrame(session.execute(text(
        "SELECT x.received_on, x.category, x.channel, x.domain, x.is_first, x.lodged_level, x.petitioner_name,"
        " x.petitioner_id_number, x.petitioner_phone, x.head_count, x.nationally_registered, x.status, x.accepted_on,"
        " x.extension_days, x.closed_on, x.one_time_resolved, x.satisfaction," + PLACE_SQL.format(
            table="petition", grid="origin_grid_code") +
        " WHERE x.source = 'demo' AND x.channel <> 'hotline_12345'"
        " AND g.code = (SELECT min(code) FROM grid_cell c WHERE c.village_code = g.village_code)"
        " ORDER BY x.id LIMIT :n"
    ), {"n": n}).mappings().all())
    hotline = pd.DataFrame(session.execute(text(
        "SELECT x.received_on, x.category, x.domain, x.petitioner_name, x.petitioner_phone, x.status, x.closed_on,"
        " x.satisfaction," + PLACE_SQL.format(table="petition", grid="origin_grid_code") +
        " WHERE x.source = 'demo' AND x.channel = 'hotline_12345'"
        " AND g.code = (SELECT min(code) FROM grid_cell c WHERE c.village_code = g.village_code)"
        " ORDER BY x.id LIMIT :n"
    ), {"n": n // 2}).mappings().all())
    if disputes.empty or petitions.empty or hotline.empty:
        raise NotFound("数据库中没有演示数据：请先运行 fengqiao demo load。")

    dispute_rows = [[f"YL-JF-{i + 1:04d}", _date(r.reported_at, i, True), _label(DisputeDomain, r.domain),
                     _label(RiskLevel, r.risk_level), _label(DisputeStatus, r.status), _label(ResolutionChannel, r.channel),
                     _date(r.resolved_at, i, True), r.households_involved, r.summary or "", *_place(r, i)]
                    for i, r in enumerate(disputes.itertuples())]
    dispute_frame = pd.DataFrame(dispute_rows, columns=[
        "纠纷编号", "登记时间", "纠纷类别", "风险等级", "化解状态", "化解方式", "化解时间", "涉及户数", "简要情况", *PLACE_HEADERS])

    out_refs = {}
    petition_rows = []
    for i, r in enumerate(petitions.itertuples()):
        ref = f"YL-XF-{i + 1:04d}"
        if i % 6 == 5:
            out_refs[ref] = r
        petition_rows.append([
            ref, _date(r.received_on, i), _label(PetitionCategory, r.category), _label(PetitionChannel, r.channel),
            _label(DisputeDomain, r.domain), "是" if r.is_first else "否", _label(LodgedLevel, r.lodged_level),
            r.petitioner_name or "", r.petitioner_id_number or "", r.petitioner_phone or "", r.head_count,
            "是" if r.nationally_registered else "否", _label(PetitionStatus, r.status), _date(r.accepted_on, i),
            r.extension_days, _date(r.closed_on, i),
            "" if r.one_time_resolved is None else ("是" if r.one_time_resolved else "否"),
            _label(Satisfaction, r.satisfaction), *_place(r, i)])
    petition_frame = pd.DataFrame(petition_rows, columns=[
        "信访件编号", "登记日期", "信访类别", "信访形式", "问题类别", "是否初信初访", "信访层级", "信访人", "身份证号", "联系电话",
        "人数", "国家信访局登记", "办理状态", "受理日期", "延期天数", "办结日期", "是否一次性化解", "满意度", *PLACE_HEADERS])

    hotline_rows = []
    for i, r in enumerate(hotline.itertuples()):
        hotline_rows.append([f"YL-12345-{i + 1:06d}", _date(r.received_on, i), "投诉" if r.category == "complaint_request"
                             else _label(PetitionCategory, r.category), _label(DisputeDomain, r.domain), "转入", "",
                             r.petitioner_name or "", r.petitioner_phone or "", "已办结" if r.status == "closed" else "办理中",
                             _date(r.closed_on, i), _label(Satisfaction, r.satisfaction), *_place(r, i)])
    for j, (ref, r) in enumerate(out_refs.items(), start=len(hotline_rows)):
        hotline_rows.append([f"YL-12345-{j + 1:06d}", _date(r.received_on, j), _label(PetitionCategory, r.category),
                             _label(DisputeDomain, r.domain), "转出", ref, r.petitioner_name or "",
                             r.petitioner_phone or "", "办理中", "", "", *[""] * len(PLACE_HEADERS)])
    hotline_frame = pd.DataFrame(hotline_rows, columns=[
        "工单编号", "来电时间", "诉求类型", "问题分类", "流转方向", "信访件编号", "来电人", "来电号码", "工单状态", "办结时间",
        "满意度", *PLACE_HEADERS])
    return {ImportKind.DISPUTES: dispute_frame, ImportKind.PETITIONS: petition_frame, ImportKind.HOTLINE: hotline_frame}


def frame_workbook(frame: pd.DataFrame, title: str) -> bytes:
    """A frame as a one-sheet workbook with every cell as text (numbers stay numbers)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append([text_cell(sheet, h, bold=True) for h in frame.columns])
    for row in frame.itertuples(index=False):
        sheet.append([text_cell(sheet, None if v == "" or (isinstance(v, float) and v != v) else
                                 (v.item() if hasattr(v, "item") else v)) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_samples(session: Session, folder: Path = SAMPLES) -> dict[ImportKind, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for kind, frame in sample_frames(session).items():
        path = folder / SAMPLE_FILES[kind]
        path.write_bytes(frame_workbook(frame, kind.label))
        written[kind] = path
    return written
