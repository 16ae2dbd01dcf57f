"""The three ledgers counties keep, imported from .xlsx or .csv: disputes, petitions, 12345 hotline tickets.

``read_ledger(path, kind)`` parses and validates without a database: headers are matched against the
alias tables of ``etl.ledger_fields`` (the template's header, or any alias: 纠纷类别/矛盾类型/类别 …);
a file missing a required column is refused whole with the list of what is missing. Every other
problem refuses only its row, with the sheet, row, column and a reason in Chinese.

``load_ledger(frame, session)`` resolves each row's place to a grid cell (coordinates → the cell that
contains the point; a grid code; a village code → that village's first cell; village + township
names), stages the rows with COPY and upserts them in one statement per table, keyed by the
ledger's own number (``ref_no``) or, when a ledger has none, by a fingerprint of the row. Re-importing
a file, or one that overlaps it, updates instead of duplicating, and the counts say how many rows
were new, updated, unchanged or refused. Refused rows go to ``import_quarantine`` with their cells,
from which ``etl.ledger_reports.error_report`` writes the workbook the user fixes and re-imports.
Imported rows get ``source = 'import'``; aggregates are refreshed. ``load_ledger`` does not commit:
the caller's transaction makes one import all or nothing.

12345 hotline tickets link to petitions by ticket number, both ways: a ticket transferred in (转入)
creates a petition (channel ``hotline_12345``, ``ref_no`` “RX-<ticket>”) or updates the one it created
before; a ticket naming a petition (信访件编号), or transferred out (转出) from one, links to it.
When a petition ledger later lists a ticket that a hotline import created a petition for, the
ledger's petition takes that petition over (its number replaces “RX-…”), so nothing is doubled.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from etl.copy import copy_frame, ewkt_points, indexes_and_keys_deferred
from etl.crs import parse_crs, to_wgs84
from etl.ledger_fields import (
    DISPUTE_FIELDS,
    HOTLINE_FIELDS,
    LOCATION_HINT,
    PETITION_FIELDS,
    Field,
    clean,
    known_headers,
    no_reasons,
    parse_bool,
    parse_dates,
    parse_enum,
    parse_id_numbers,
    parse_int,
    parse_number,
    parse_phones,
    parse_text,
)
from etl.tabular import MAX_UNPACKED_BYTES, Chunk, normalise_header, open_table
from geo.aggregates import refresh_aggregates
from geo.errors import InvalidInput
from geo.models import SRID, ImportKind

SEPARATOR = "\x1f"
PLACEHOLDER_PREFIX = "RX-"
"""``ref_no`` of a petition created from a hotline ticket until a petition ledger gives it its own number."""
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)
BULK_ROWS = 50_000
"""From this many staged rows on, the dispute table's secondary indexes and foreign keys are rebuilt once
after the upsert (as the demo loader does) instead of maintained row by row; the table is then locked
for the rest of the import's transaction."""


@dataclass(frozen=True)
class LedgerSpec:
    kind: ImportKind
    fields: tuple[Field, ...]
    location_required: bool
    fingerprint: tuple[str, ...]
    """Fields whose text identifies a row when the ledger has no number of its own."""


SPECS = {
    ImportKind.DISPUTES: LedgerSpec(ImportKind.DISPUTES, DISPUTE_FIELDS, True,
                                    ("reported_at", "domain", "summary", "households_involved")),
    ImportKind.PETITIONS: LedgerSpec(ImportKind.PETITIONS, PETITION_FIELDS, True,
                                     ("received_on", "category", "domain", "petitioner_name", "petitioner_id_number",
                                      "petitioner_phone", "lodged_level")),
    ImportKind.HOTLINE: LedgerSpec(ImportKind.HOTLINE, HOTLINE_FIELDS, False, ()),
}
FIELDS = {kind: {f.name: f for f in spec.fields} for kind, spec in SPECS.items()}


@dataclass
class LedgerFrame:
    """A parsed ledger: valid ``records`` (one per row), ``refused`` problems, and every row's cells."""

    kind: ImportKind
    file: str
    sha256: str
    records: pd.DataFrame
    refused: pd.DataFrame  # idx, column, reason (one line per problem)
    rows: pd.DataFrame  # index idx: sheet, row, raw (the row's cells joined by SEPARATOR)
    headers: dict[str | None, list[str]]
    notes: list[str] = field(default_factory=list)
    encoding: str | None = None
    crs: str = "EPSG:4326"

    @property
    def total(self) -> int:
        return len(self.rows)


@dataclass
class ImportResult:
    """What an import did (or, with ``dry_run``, would do)."""

    kind: ImportKind
    file: str
    counts: dict[str, int]
    refusals: pd.DataFrame  # sheet, row, column, reason, cells (list of the row's cells); one per refused row
    headers: dict[str | None, list[str]]
    notes: list[str]
    batch_id: int | None
    dry_run: bool

    def summary(self) -> str:
        c = self.counts
        text_ = (f"{self.kind.label}“{self.file}”共 {c['rows']} 行：新增 {c['new']} 条，更新 {c['updated']} 条，"
                 f"未变 {c['unchanged']} 条，拒收 {c['refused']} 条")
        if self.kind == ImportKind.HOTLINE:
            text_ += f"；其中关联到已有信访件 {c['linked']} 条"
        return text_ + ("（预检，未写入）" if self.dry_run else "") + "。"


# --- reading ---------------------------------------------------------------------------------------

def read_disputes(path, **options) -> LedgerFrame:
    return read_ledger(path, ImportKind.DISPUTES, **options)


def read_petitions(path, **options) -> LedgerFrame:
    return read_ledger(path, ImportKind.PETITIONS, **options)


def read_hotline(path, **options) -> LedgerFrame:
    return read_ledger(path, ImportKind.HOTLINE, **options)


def read_ledger(path: str | Path, kind: ImportKind | str, *, crs: str | None = None, display_name: str | None = None,
                max_unpacked: int = MAX_UNPACKED_BYTES, chunk_rows: int | None = None) -> LedgerFrame:
    """Parse and validate a ledger file; no database. ``crs`` is that of its coordinates (default EPSG:4326)."""
    kind = ImportKind(kind)
    spec = SPECS[kind]
    known = known_headers(spec.fields)
    transform = to_wgs84(parse_crs(crs))
    options = {"chunk_rows": chunk_rows} if chunk_rows else {}
    table = open_table(path, display_name, recognise=known.get, max_unpacked=max_unpacked, **options)
    mappings: dict[str | None, dict[int, str]] = {}
    headers: dict[str | None, list[str]] = {}
    records, problems, rows = [], [], []
    offset = 0
    for chunk in table.chunks():
        if chunk.sheet not in mappings:
            mappings[chunk.sheet] = _map_headers(chunk.headers, spec, known, table.display_name, chunk.sheet, table.notes)
            headers[chunk.sheet] = chunk.headers
        width = len(chunk.headers)
        cells = chunk.cells.iloc[:, :width].astype(object)
        filled = cells.ne("").to_numpy().any(axis=1)
        beyond = chunk.cells.iloc[:, width:].astype(object)
        extra = beyond.ne("").to_numpy().any(axis=1) if beyond.shape[1] else np.zeros(len(cells), bool)
        keep = filled | extra
        if not keep.any():
            continue
        chunk = Chunk(chunk.sheet, chunk.headers, chunk.rows[keep], chunk.cells[keep].reset_index(drop=True),
                      None if chunk.numeric is None else chunk.numeric[keep].reset_index(drop=True))
        idx = np.arange(offset, offset + len(chunk.rows))
        offset += len(idx)
        cells = chunk.cells.iloc[:, :width].astype(object)
        raw = cells[0] if width == 1 else cells[0].str.cat([cells[c] for c in cells.columns[1:]], sep=SEPARATOR)
        rows.append(pd.DataFrame({"sheet": chunk.sheet, "row": chunk.rows.astype(np.int32), "raw": raw.to_numpy()},
                                 index=idx))
        parsed, found = _parse_chunk(chunk, mappings[chunk.sheet], spec, transform)
        parsed.index = idx
        if extra[keep].any():
            extras = extra[keep]
            if table.kind == "csv":
                found.append(pd.DataFrame({"pos": np.flatnonzero(extras), "column": "（表头以外）",
                                           "reason": "这一行比表头多出几列：请检查是否有多余的逗号（含逗号的内容要用引号括起来）"}))
            else:
                table.notes.append(f"工作表“{chunk.sheet}”有 {int(extras.sum())} 行在表头以外的列有内容，这些内容未导入")
        for frame in found:
            frame["idx"] = idx[frame.pop("pos").to_numpy()]
            problems.append(frame)
        records.append(parsed)
    if not records:
        raise InvalidInput(f"文件 {table.display_name} 中没有数据行（只有表头）。")
    all_rows = pd.concat(rows)
    all_rows["sheet"] = all_rows["sheet"].astype("category") if all_rows["sheet"].notna().any() else None
    records = pd.concat(records)
    refused = pd.concat(problems, ignore_index=True) if problems else _no_problems()
    records = records.drop(index=refused["idx"].unique())
    records, duplicates = _deduplicate(records, spec, all_rows)
    refused = pd.concat([refused, duplicates], ignore_index=True)
    return LedgerFrame(kind, table.display_name, _sha256(Path(path)), records, refused, all_rows, headers,
                       table.notes, table.encoding, crs or "EPSG:4326")


def _no_problems() -> pd.DataFrame:
    return pd.DataFrame({"idx": pd.Series(dtype=np.int64), "column": pd.Series(dtype=object),
                         "reason": pd.Series(dtype=object)})


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(4 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def _where(file: str, sheet: str | None) -> str:
    return f"文件 {file}" + (f" 的工作表“{sheet}”" if sheet else "")


def _map_headers(headers: list[str], spec: LedgerSpec, known: dict[str, str], file: str, sheet: str | None,
                 notes: list[str]) -> dict[int, str]:
    """Header position → field; a column given twice, or a required one missing, refuses the file."""
    fields = FIELDS[spec.kind]
    mapping, seen, unknown = {}, {}, []
    for position, header in enumerate(headers):
        name = known.get(normalise_header(header))
        if name is None:
            if header.strip():
                unknown.append(header.strip())
            continue
        if name in seen:
            raise InvalidInput(f"{_where(file, sheet)}的“{header}”列与“{seen[name]}”列重复（都表示{fields[name].label}）："
                               "请删去其中一列后重新导入。")
        seen[name] = header
        mapping[position] = name
    missing = [fields[n] for n in fields if fields[n].required and n not in seen]
    if spec.kind == ImportKind.PETITIONS and "is_first" not in seen and "is_repeat" not in seen:
        missing.append(fields["is_first"])
    lines = [f"“{f.label}”（也可写作：{'、'.join(f.aliases[1:6]) or '—'}）" for f in missing]
    if spec.location_required and not _has_location_columns(seen):
        lines.append(f"位置（{LOCATION_HINT}）")
    if lines:
        raise InvalidInput(f"{_where(file, sheet)}缺少必需的列：{'；'.join(lines)}。请补上这些列（可下载导入模板对照）后重新导入。")
    if unknown:
        notes.append(f"{'工作表“' + sheet + '”的' if sheet else ''}这些列不是台账字段，未导入：{'、'.join(unknown)}")
    return mapping


def _has_location_columns(seen) -> bool:
    return ({"lon", "lat"} <= set(seen) or "grid_code" in seen or "village_code" in seen
            or {"village_name", "township_name"} <= set(seen))


def _parse_chunk(chunk: Chunk, mapping: dict[int, str], spec: LedgerSpec, transform) -> tuple[pd.DataFrame, list]:
    fields = FIELDS[spec.kind]
    index = chunk.cells.index
    values: dict[str, pd.Series] = {}
    headers: dict[str, str] = {}
    problems: list[pd.DataFrame] = []

    def report(reasons: pd.Series, header: str) -> None:
        bad = reasons.notna().to_numpy()
        if bad.any():
            problems.append(pd.DataFrame({"pos": np.flatnonzero(bad), "column": header, "reason": reasons[bad].to_numpy()}))

    for position, name in mapping.items():
        spec_ = fields[name]
        header = chunk.headers[position]
        numeric = chunk.numeric[position] if chunk.numeric is not None else None
        if numeric is not None and not numeric.any():
            numeric = None
        if numeric is None:
            # Parse each distinct value once: a ledger repeats its dates, categories and places a lot.
            codes, uniques = pd.factorize(chunk.cells[position].astype(object), sort=False)
            parsed, reasons = _parse_values(pd.Series(uniques, dtype=object), None, spec_, header)
            parsed = pd.Series(parsed.to_numpy()[codes], index=index).astype(parsed.dtype)
            reasons = pd.Series(reasons.to_numpy()[codes], index=index, dtype=object)
        else:
            parsed, reasons = _parse_values(chunk.cells[position].astype(object), numeric, spec_, header)
        report(reasons, header)
        values[name] = parsed
        headers[name] = header

    def get(name: str, default=None) -> pd.Series:
        return values[name] if name in values else pd.Series(default, index=index, dtype=object)

    def check(mask, name: str, reason: str) -> None:
        mask = pd.Series(mask, index=index).fillna(False).astype(bool)
        if mask.any():
            report(pd.Series(np.where(mask, reason, None), index=index, dtype=object), headers.get(name, fields[name].label))

    out = pd.DataFrame(index=index)
    out["sheet"] = chunk.sheet
    out["row"] = chunk.rows
    location, location_problems = _locations(values, headers, transform, index)
    for frame in location_problems:
        problems.append(frame)
    out = out.join(location)
    if spec.kind == ImportKind.DISPUTES:
        out = _disputes(out, get, check)
    elif spec.kind == ImportKind.PETITIONS:
        out = _petitions(out, get, check, values)
    else:
        out = _hotline(out, get, check)
    if spec.location_required:
        check(out["loc_method"].isna() & ~_location_problem_rows(location_problems, len(index)), "grid_code",
              f"缺少位置：请填写{LOCATION_HINT}")
    out["key"] = _keys(out, get, spec)
    return out, problems


def _parse_values(cells: pd.Series, numeric, spec_: Field, header: str):
    if spec_.kind == "enum":
        parsed, reasons = parse_enum(cells, spec_, header)
    elif spec_.kind == "bool":
        parsed, reasons = parse_bool(cells, spec_, header)
    elif spec_.kind in ("date", "datetime"):
        parsed, reasons = parse_dates(cells, header)
    elif spec_.kind == "int":
        parsed, reasons = parse_int(cells, spec_, header)
    elif spec_.kind == "number":
        parsed, reasons = parse_number(cells, header)
    elif spec_.kind == "id_number":
        parsed, reasons = parse_id_numbers(cells, numeric, header)
    elif spec_.kind == "phone":
        parsed, reasons = parse_phones(cells, numeric, header)
    else:
        parsed, reasons = parse_text(cells, spec_, header)
    if spec_.required:
        empty = clean(cells) == ""
        reasons = reasons.mask(empty & reasons.isna(), f"“{header}”不能为空")
    return parsed, reasons


def _location_problem_rows(problems: list[pd.DataFrame], n: int) -> np.ndarray:
    rows = np.zeros(n, bool)
    for frame in problems:
        rows[frame["pos"].to_numpy()] = True
    return rows


def _locations(values: dict, headers: dict, transform, index) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Which way each row gives its place (first present wins: coordinates, grid code, village code, names)."""
    none = pd.Series(None, index=index, dtype=object)
    lon, lat = values.get("lon", none), values.get("lat", none)
    grid, village = values.get("grid_code", none), values.get("village_code", none)
    vname, tname, cname = values.get("village_name", none), values.get("township_name", none), values.get("county_name", none)
    problems: list[pd.DataFrame] = []
    reasons = no_reasons(index)
    has_lon, has_lat = lon.notna(), lat.notna()
    reasons[has_lon ^ has_lat] = "经度和纬度要同时填写"
    both = has_lon & has_lat
    x = pd.Series(np.nan, index=index)
    y = pd.Series(np.nan, index=index)
    if both.any():
        tx, ty = transform(lon[both].astype(float).to_numpy(), lat[both].astype(float).to_numpy())
        x[both], y[both] = tx, ty
        west, south, east, north = CHINA_BOUNDS
        outside = both & ~((x >= west) & (x <= east) & (y >= south) & (y <= north))
        swapped = outside & lon.astype(float).between(south, north) & lat.astype(float).between(west, east)
        shown = lon.astype(str) + ", " + lat.astype(str)
        reasons[swapped & reasons.isna()] = "经纬度（" + shown[swapped] + "）似乎填反了：经度约为 113–116，纬度约为 30–33"
        rest = outside & reasons.isna()
        reasons[rest] = "经纬度（" + shown[rest] + "）不在中国范围内：请检查数值和坐标系（坐标系不是 WGS84 时导入时要指明）"
    method = pd.Series(None, index=index, dtype=object)
    method[both] = "coords"
    method[method.isna() & grid.notna()] = "grid"
    method[method.isna() & village.notna()] = "village"
    named = method.isna() & (vname.notna() | tname.notna())
    half = named & (vname.isna() | tname.isna())
    reasons[half & reasons.isna()] = "按名称定位要同时填写“村（社区）”和“乡镇（街道）”"
    method[named & ~half] = "names"
    method[reasons.notna()] = None
    bad = reasons.notna().to_numpy()
    if bad.any():
        column = headers.get("lon", headers.get("village_name", "位置"))
        problems.append(pd.DataFrame({"pos": np.flatnonzero(bad), "column": column, "reason": reasons[bad].to_numpy()}))
    frame = pd.DataFrame({
        "loc_method": method, "lon": x.where(method == "coords"), "lat": y.where(method == "coords"),
        "grid_in": grid.where(method == "grid"), "village_in": village.where(method == "village"),
        "village_name": vname.where(method == "names"), "township_name": tname.where(method == "names"),
        "county_name": cname.where(method == "names"),
    }, index=index)
    return frame, problems


def _dates_as_days(series: pd.Series) -> pd.Series:
    return series.dt.normalize() if series.dtype.kind == "M" else series


def _disputes(out: pd.DataFrame, get, check) -> pd.DataFrame:
    reported = get("reported_at")
    resolved = get("resolved_at")
    out["reported_at"] = reported
    out["resolved_at"] = resolved
    out["domain"] = get("domain")
    out["risk_level"] = get("risk_level").fillna("low")
    status = get("status")
    out["status"] = status.where(status.notna(), np.where(resolved.notna(), "resolved", "reported"))
    out["channel"] = get("channel")
    out["households_involved"] = get("households_involved").fillna(1).astype("Int64")
    out["summary"] = get("summary")
    out["ref_no"] = get("ref_no")
    check(pd.to_datetime(resolved) < pd.to_datetime(reported), "resolved_at", "化解时间早于登记时间")
    check((out["status"] == "resolved") & resolved.isna(), "status", "化解状态为“已化解”，但没有填写化解时间")
    return out


def _petitions(out: pd.DataFrame, get, check, values: dict) -> pd.DataFrame:
    received = _dates_as_days(get("received_on"))
    accepted = _dates_as_days(get("accepted_on"))
    closed = _dates_as_days(get("closed_on"))
    first = get("is_first")
    if "is_repeat" in values:
        repeat = values["is_repeat"]
        check(first.notna() & repeat.notna() & (first == repeat), "is_repeat", "“是否初信初访”与“是否重复信访”相互矛盾")
        first = first.where(first.notna(), repeat.map({True: False, False: True}))
    check(first.isna(), "is_first", "没有填写是否初信初访（或是否重复信访）")
    for name in ("category", "channel", "domain", "lodged_level", "petitioner_name", "petitioner_id_number",
                 "petitioner_phone", "satisfaction", "hotline_ticket", "ref_no", "one_time_resolved"):
        out[name] = get(name)
    out["received_on"], out["accepted_on"], out["closed_on"] = received, accepted, closed
    out["is_first"] = first
    out["head_count"] = get("head_count").fillna(1).astype("Int64")
    out["nationally_registered"] = get("nationally_registered").fillna(False)
    out["extension_days"] = get("extension_days").fillna(0).astype("Int64")
    status = get("status")
    inferred = np.select([closed.notna(), accepted.notna()], ["closed", "accepted"], "received")
    out["status"] = status.where(status.notna(), inferred)
    check(pd.to_datetime(accepted) < pd.to_datetime(received), "accepted_on", "受理日期早于登记日期")
    check(pd.to_datetime(closed) < pd.to_datetime(received), "closed_on", "办结日期早于登记日期")
    check((out["status"] == "closed") & closed.isna(), "status", "办理状态为“已办结”，但没有填写办结日期")
    return out


def _hotline(out: pd.DataFrame, get, check) -> pd.DataFrame:
    received = _dates_as_days(get("received_on"))
    closed = _dates_as_days(get("closed_on"))
    for name in ("hotline_ticket", "category", "petition_ref_no", "petitioner_name", "petitioner_phone",
                 "petitioner_id_number", "satisfaction"):
        out[name] = get(name)
    out["received_on"], out["closed_on"] = received, closed
    out["domain"] = get("domain").fillna("other")
    out["direction"] = get("direction").fillna("in")
    out["lodged_level"] = get("lodged_level").fillna("city")
    out["is_first"] = get("is_first").fillna(True)
    status = get("status")
    out["status"] = status.where(status.notna(), np.where(closed.notna(), "closed", "accepted"))
    check(pd.to_datetime(closed) < pd.to_datetime(received), "closed_on", "办结时间早于来电时间")
    check((out["status"] == "closed") & closed.isna(), "status", "工单状态为“已办结”，但没有填写办结时间")
    check((out["direction"] == "out") & out["petition_ref_no"].isna(), "direction",
          "转出的工单要填写“信访件编号”（由哪件信访事项转出）")
    return out


def _keys(out: pd.DataFrame, get, spec: LedgerSpec) -> pd.Series:
    """The natural key: the ledger's number, else “FP” + a fingerprint of the identifying cells and the place."""
    if spec.kind == ImportKind.HOTLINE:
        return out["hotline_ticket"]
    own = out["ref_no"]
    missing = own.isna()
    if not missing.any():
        return own
    rows = out[missing]
    place = (_as_text(rows["loc_method"]) + "|" + rows["lon"].map("{:.6f}".format) + "," + rows["lat"].map("{:.6f}".format)
             + "|" + _as_text(rows["grid_in"]) + "|" + _as_text(rows["village_in"]) + "|" + _as_text(rows["county_name"])
             + "|" + _as_text(rows["township_name"]) + "|" + _as_text(rows["village_name"]))
    parts = [_as_text(rows[name]) for name in spec.fingerprint]
    joined = place.str.cat(parts, sep=SEPARATOR)
    fingerprints = joined.map(lambda s: "FP" + hashlib.sha1(s.encode()).hexdigest()[:16].upper())
    return own.where(~missing, fingerprints)


def _as_text(series: pd.Series) -> pd.Series:
    """Text of each value, "" for a missing one (``astype(str)`` keeps missing values missing in pandas 3)."""
    return series.astype(object).map(lambda v: "" if v is None or v is pd.NaT or (isinstance(v, float) and v != v)
                                     else str(v))


def _deduplicate(records: pd.DataFrame, spec: LedgerSpec, rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Later rows with a key seen before are refused (saying which row came first, and whether it is identical)."""
    problems = []
    keys = [("key", _key_label(spec))]
    if spec.kind == ImportKind.PETITIONS:
        keys.append(("hotline_ticket", "12345工单号"))
    for column, label in keys:
        present = records[column].notna()
        repeated = present & records.duplicated(column, keep="first")
        if not repeated.any():
            continue
        first_idx = records[present].reset_index().drop_duplicates(column).set_index(column)["index"]
        later = records[repeated]
        first = later[column].map(first_idx)
        same = rows.loc[later.index, "raw"].to_numpy() == rows.loc[first.to_numpy(), "raw"].to_numpy()
        where = [_row_name(rows, i) for i in first]
        shown = [k if not k.startswith("FP") or column != "key" else "（按内容识别）" for k in later[column]]
        reasons = [f"与{w}重复（内容完全相同），只导入第一次出现的那一行" if s else
                   f"{label}“{k}”与{w}相同，但内容不同：同一{label}只能出现一次，请核对后保留正确的一行"
                   if not k.startswith("（") else f"与{w}是同一条记录（日期、类别、位置等相同），但内容不同：请核对"
                   for w, s, k in zip(where, same, shown)]
        problems.append(pd.DataFrame({"idx": later.index.to_numpy(), "column": label, "reason": reasons}))
        records = records[~repeated]
    return records, (pd.concat(problems, ignore_index=True) if problems else _no_problems())


def _key_label(spec: LedgerSpec) -> str:
    return {ImportKind.DISPUTES: "纠纷编号", ImportKind.PETITIONS: "信访件编号", ImportKind.HOTLINE: "工单编号"}[spec.kind]


def _row_name(rows: pd.DataFrame, idx: int) -> str:
    sheet, row = rows.at[idx, "sheet"], rows.at[idx, "row"]
    return (f"工作表“{sheet}”" if isinstance(sheet, str) else "") + f"第 {row} 行"


# --- locating ---------------------------------------------------------------------------------------

def locate(session: Session, records: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Each record's grid cell code (None where it cannot be found) and the reason it cannot."""
    grid = pd.Series(None, index=records.index, dtype=object)
    reasons = no_reasons(records.index)
    method = records["loc_method"]

    rows = method == "coords"
    if rows.any():
        found, missing_polygons = cells_containing(session, records.loc[rows, "lon"].to_numpy(),
                                                   records.loc[rows, "lat"].to_numpy())
        grid[rows] = found
        lost = rows & grid.isna()
        hint = "（数据库中还没有网格边界：请先导入网格边界，或改填网格编码/村（社区）代码）" if missing_polygons else ""
        if lost.any():
            reasons[lost] = [f"经纬度（{x:.6f}, {y:.6f}）不在任何网格内{hint}"
                             for x, y in zip(records.loc[lost, "lon"], records.loc[lost, "lat"])]

    rows = method == "grid"
    if rows.any():
        codes = records.loc[rows, "grid_in"]
        known = set(session.execute(text("SELECT code FROM grid_cell WHERE code = ANY(:codes)"),
                                    {"codes": sorted(set(codes))}).scalars())
        ok = codes.isin(known)
        grid[ok[ok].index] = codes[ok]
        if not ok.all():
            reasons[ok[~ok].index] = [f"网格编码 {c} 不存在" for c in codes[~ok]]

    rows = method == "village"
    if rows.any():
        codes = records.loc[rows, "village_in"]
        first = _first_cells(session, sorted(set(codes)))
        grid[rows] = codes.map(lambda c: first.get(c, (None, None))[1])
        unknown = codes[~codes.isin(first.keys())]
        if len(unknown):
            reasons[unknown.index] = [f"村（社区）代码 {c} 不存在" for c in unknown]
        empty = codes[codes.isin(first.keys()) & grid[rows].isna()]
        if len(empty):
            reasons[empty.index] = [f"村（社区）{first[c][0]}（{c}）还没有网格：请先导入网格边界或改填经纬度" for c in empty]

    rows = method == "names"
    if rows.any():
        found, why = _by_names(session, records.loc[rows, ["county_name", "township_name", "village_name"]])
        grid[rows] = found
        reasons[why.dropna().index] = why.dropna()
    return grid, reasons


def cells_containing(session: Session, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, bool]:
    """The grid cell containing each point (ST_Contains; a point on a shared edge goes to the lower code).

    Cells are read once for the points' bounding box and queried with an STRtree, which for a
    million points is many times faster than one indexed ST_Contains per row. Returns the codes
    (None outside every cell) and whether the area has no grid polygons at all.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    rows = session.execute(text(
        "SELECT code, ST_AsBinary(geom) FROM grid_cell WHERE geom IS NOT NULL"
        " AND geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, :srid) ORDER BY code"
    ), {"x0": float(lon.min()), "y0": float(lat.min()), "x1": float(lon.max()), "y1": float(lat.max()), "srid": SRID}).all()
    result = np.full(len(lon), None, dtype=object)
    if not rows:
        any_polygon = session.execute(text("SELECT EXISTS (SELECT 1 FROM grid_cell WHERE geom IS NOT NULL)")).scalar()
        return result, not any_polygon
    codes = np.array([r[0] for r in rows], dtype=object)
    tree = shapely.STRtree(shapely.from_wkb([bytes(r[1]) for r in rows]))
    points = shapely.points(lon, lat)
    for predicate in ("within", "covered_by"):  # inside first; then points on an edge
        open_ = np.flatnonzero(pd.isna(result))
        if not len(open_):
            break
        point_i, cell_i = tree.query(points[open_], predicate=predicate)
        if len(point_i):
            order = np.lexsort((cell_i, point_i))  # lowest cell index (= lowest code) per point first
            point_i, cell_i = point_i[order], cell_i[order]
            first = np.r_[True, point_i[1:] != point_i[:-1]]
            result[open_[point_i[first]]] = codes[cell_i[first]]
    return result, False


def _first_cells(session: Session, codes: list[str]) -> dict[str, tuple[str, str | None]]:
    """Village code → (name, its first grid cell or None), for the villages that exist."""
    rows = session.execute(text(
        "SELECT v.code, v.name, min(g.code) FROM region v LEFT JOIN grid_cell g ON g.village_code = v.code"
        " WHERE v.level = 'village' AND v.code = ANY(:codes) GROUP BY v.code, v.name"
    ), {"codes": codes}).all()
    return {code: (name, cell) for code, name, cell in rows}


SUFFIXES = {"village": ("居民委员会", "村民委员会", "居委会", "村委会", "社区", "村"),
            "township": ("街道办事处", "办事处", "街道", "镇", "乡"), "county": ("县", "区", "市")}


def _core(name: str, level: str) -> str:
    name = "".join(str(name).split())
    for suffix in SUFFIXES[level]:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _by_names(session: Session, names: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Villages by their name within a township (and county, if given); ambiguities are reported, not guessed."""
    units = pd.DataFrame(session.execute(text(
        "SELECT v.code, v.name, v.short_name, t.name AS township, c.name AS county,"
        " (SELECT min(g.code) FROM grid_cell g WHERE g.village_code = v.code) AS cell"
        " FROM region v JOIN region t ON t.code = v.parent_code JOIN region c ON c.code = t.parent_code"
        " WHERE v.level = 'village'"
    )).all(), columns=["code", "name", "short_name", "township", "county", "cell"])
    units["v_core"] = units["short_name"].fillna(units["name"]).map(lambda n: _core(n, "village"))
    units["t_core"] = units["township"].map(lambda n: _core(n, "township"))
    units["c_core"] = units["county"].map(lambda n: _core(n, "county"))
    by_exact = {}
    for unit in units.itertuples():
        for variant in {unit.name, unit.short_name}:
            if variant:
                by_exact.setdefault((unit.t_core, variant), []).append(unit)
        by_exact.setdefault((unit.t_core, "~" + unit.v_core), []).append(unit)
    found = pd.Series(None, index=names.index, dtype=object)
    reasons = pd.Series(None, index=names.index, dtype=object)
    cache: dict[tuple, tuple] = {}
    for i, county, township, village in names.itertuples():
        county = county if isinstance(county, str) and county else None
        key = (county, township, village)
        if key not in cache:
            t_core = _core(township, "township")
            village_text = "".join(str(village).split())
            candidates = by_exact.get((t_core, village_text)) or by_exact.get((t_core, "~" + _core(village_text, "village")), [])
            if county:
                candidates = [u for u in candidates if u.c_core == _core(county, "county")]
            shown = f"{county or ''}{township}{village}"
            if not candidates:
                cache[key] = (None, f"找不到村（社区）“{shown}”：请核对名称，或改填村（社区）代码")
            elif len(candidates) > 1:
                listed = "、".join(f"{u.county}{u.township}{u.name}（{u.code}）" for u in candidates[:4])
                cache[key] = (None, f"“{shown}”对应多个村（社区）：{listed}，请填写县区或村（社区）代码")
            elif candidates[0].cell is None:
                cache[key] = (None, f"村（社区）{candidates[0].name}（{candidates[0].code}）还没有网格：请先导入网格边界或改填经纬度")
            else:
                cache[key] = (candidates[0].cell, None)
        found[i], reasons[i] = cache[key]
    return found, reasons


# --- loading ------------------------------------------------------------------------------------------

def load_disputes(frame: LedgerFrame, session: Session, **options) -> ImportResult:
    return load_ledger(frame, session, **options)


load_petitions = load_hotline = load_disputes


def load_ledger(frame: LedgerFrame, session: Session, *, dry_run: bool = False,
                imported_by: str | None = None) -> ImportResult:
    """Write ``frame`` in the session's transaction (or, with ``dry_run``, report and roll back)."""
    records = frame.records
    grid, location_reasons = locate(session, records) if len(records) else (pd.Series(dtype=object), no_reasons([]))
    savepoint = session.begin_nested() if dry_run else nullcontext()
    try:
        writer = {ImportKind.DISPUTES: _write_disputes, ImportKind.PETITIONS: _write_petitions,
                  ImportKind.HOTLINE: _write_hotline}[frame.kind]
        counts, refused = writer(session, records.assign(grid_code=grid), location_reasons)
        refusals = _refusals(frame, pd.concat([frame.refused, refused], ignore_index=True))
        counts = {"rows": frame.total, **counts, "refused": len(refusals)}
        counts.setdefault("linked", 0)
        batch_id = _record_batch(session, frame, counts, refusals, imported_by)
        if not dry_run:
            refresh_aggregates(session)
    finally:
        if dry_run:
            savepoint.rollback()
    return ImportResult(frame.kind, frame.file, counts, refusals, frame.headers, frame.notes,
                        None if dry_run else batch_id, dry_run)


def _refusals(frame: LedgerFrame, problems: pd.DataFrame) -> pd.DataFrame:
    """One line per refused row: sheet, row, columns, reasons, and the row's cells."""
    if problems.empty:
        return pd.DataFrame(columns=["idx", "sheet", "row", "column", "reason", "cells"])
    grouped = problems.groupby("idx", sort=True).agg(
        column=("column", lambda c: "、".join(dict.fromkeys(x for x in c if x))),
        reason=("reason", lambda r: "；".join(dict.fromkeys(r))),
    )
    rows = frame.rows.loc[grouped.index]
    out = pd.DataFrame({"idx": grouped.index, "sheet": rows["sheet"].astype(object).to_numpy(),
                        "row": rows["row"].to_numpy(), "column": grouped["column"].to_numpy(),
                        "reason": grouped["reason"].to_numpy(),
                        "cells": [raw.split(SEPARATOR) for raw in rows["raw"]]})
    return out.sort_values("idx").reset_index(drop=True)


def _as_problems(reasons: pd.Series, column: str) -> pd.DataFrame:
    reasons = reasons.dropna()
    return pd.DataFrame({"idx": reasons.index.to_numpy(dtype=np.int64), "column": column, "reason": reasons.to_numpy()})


def _stage(session: Session, name: str, columns: str, frame: pd.DataFrame) -> None:
    session.execute(text(f"DROP TABLE IF EXISTS pg_temp.{name}"))
    session.execute(text(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP"))
    copy_frame(session, name, frame)
    session.execute(text(f"ANALYZE {name}"))


def _timestamps(series: pd.Series) -> pd.Series:
    """Local (Asia/Shanghai) wall-clock times as text PostgreSQL reads; NaT → NULL."""
    values = pd.to_datetime(series).to_numpy(dtype="datetime64[s]")
    text_ = np.char.add(np.datetime_as_string(values, unit="s"), "+08").astype(object)
    text_[np.isnat(values)] = None
    return pd.Series(text_, index=series.index)


def _dates(series: pd.Series) -> pd.Series:
    values = pd.to_datetime(series)
    return values.dt.strftime("%Y-%m-%d").where(values.notna(), None)


def _ewkt(lon: pd.Series, lat: pd.Series) -> pd.Series:
    present = lon.notna().to_numpy()
    text_ = np.full(len(lon), None, dtype=object)
    if present.any():
        text_[present] = ewkt_points(lon.to_numpy(float)[present], lat.to_numpy(float)[present])
    return pd.Series(text_, index=lon.index)


def _counted(session: Session, statement: str) -> tuple[int, int]:
    new, updated = session.execute(text(statement)).one()
    return int(new or 0), int(updated or 0)


DISPUTE_COLUMNS = ("grid_code", "geom", "domain", "risk_level", "status", "channel", "reported_at", "resolved_at",
                   "households_involved", "summary", "source")
DISPUTE_UPSERT = f"""
WITH written AS (
    INSERT INTO dispute AS d (ref_no, {", ".join(DISPUTE_COLUMNS)})
    SELECT key, grid_code, ST_GeomFromEWKT(geom), domain, risk_level, status, channel, reported_at, resolved_at,
           households_involved, summary, 'import' FROM ledger_stage
    ON CONFLICT (ref_no) DO UPDATE SET {", ".join(f"{c} = excluded.{c}" for c in DISPUTE_COLUMNS)}
    WHERE ({", ".join(f"d.{c}" for c in DISPUTE_COLUMNS)}) IS DISTINCT FROM
          ({", ".join(f"excluded.{c}" for c in DISPUTE_COLUMNS)})
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
"""


def _write_disputes(session: Session, records: pd.DataFrame, location_reasons: pd.Series):
    refused = _as_problems(location_reasons, "位置")
    ok = records[records["grid_code"].notna()]
    stage = pd.DataFrame({
        "key": ok["key"], "grid_code": ok["grid_code"], "geom": _ewkt(ok["lon"], ok["lat"]),
        "domain": ok["domain"], "risk_level": ok["risk_level"], "status": ok["status"], "channel": ok["channel"],
        "reported_at": _timestamps(ok["reported_at"]), "resolved_at": _timestamps(ok["resolved_at"]),
        "households_involved": ok["households_involved"], "summary": ok["summary"],
    })
    _stage(session, "ledger_stage", "key text PRIMARY KEY, grid_code text, geom text, domain text, risk_level text,"
           " status text, channel text, reported_at timestamptz, resolved_at timestamptz, households_involved smallint,"
           " summary text", stage)
    if len(stage) >= BULK_ROWS:  # one index build beats a million index insertions (and FK lookups)
        with indexes_and_keys_deferred(session, ("dispute",)):
            new, updated = _counted(session, DISPUTE_UPSERT)
    else:
        new, updated = _counted(session, DISPUTE_UPSERT)
    return {"new": new, "updated": updated, "unchanged": len(stage) - new - updated}, refused


PETITION_COLUMNS = ("origin_grid_code", "category", "channel", "domain", "petitioner_name", "petitioner_id_number",
                    "petitioner_phone", "is_first", "head_count", "lodged_level", "nationally_registered", "status",
                    "received_on", "accepted_on", "extension_days", "closed_on", "one_time_resolved", "satisfaction",
                    "hotline_ticket", "source")
PETITION_STAGE = ("key text PRIMARY KEY, idx bigint, origin_grid_code text, category text, channel text, domain text,"
                  " petitioner_name text, petitioner_id_number text, petitioner_phone text, is_first boolean,"
                  " head_count smallint, lodged_level text, nationally_registered boolean, status text, received_on date,"
                  " accepted_on date, extension_days smallint, closed_on date, one_time_resolved boolean,"
                  " satisfaction text, hotline_ticket text")
PETITION_UPSERT = f"""
WITH written AS (
    INSERT INTO petition AS p (ref_no, {", ".join(PETITION_COLUMNS)})
    SELECT key, {", ".join(PETITION_COLUMNS[:-1])}, 'import' FROM ledger_stage
    ON CONFLICT (ref_no) DO UPDATE SET {", ".join(
        f"{c} = excluded.{c}" if c != "hotline_ticket" else "hotline_ticket = coalesce(excluded.hotline_ticket, p.hotline_ticket)"
        for c in PETITION_COLUMNS)}
    WHERE ({", ".join(f"p.{c}" for c in PETITION_COLUMNS)}) IS DISTINCT FROM
          ({", ".join(f"excluded.{c}" if c != "hotline_ticket" else "coalesce(excluded.hotline_ticket, p.hotline_ticket)"
                      for c in PETITION_COLUMNS)})
    RETURNING (xmax = 0) AS inserted, p.ref_no
)
SELECT count(*) FILTER (WHERE inserted), array_agg(ref_no) FILTER (WHERE NOT inserted) FROM written
"""


def _petition_stage(rows: pd.DataFrame, keys: pd.Series) -> pd.DataFrame:
    def column(name, default=None):
        return rows[name] if name in rows else pd.Series(default, index=rows.index, dtype=object)

    return pd.DataFrame({
        "key": keys, "idx": rows.index.to_numpy(), "origin_grid_code": rows["grid_code"],
        "category": rows["category"], "channel": column("channel", "hotline_12345"), "domain": rows["domain"],
        "petitioner_name": rows["petitioner_name"], "petitioner_id_number": rows["petitioner_id_number"],
        "petitioner_phone": rows["petitioner_phone"], "is_first": rows["is_first"],
        "head_count": column("head_count", 1), "lodged_level": rows["lodged_level"],
        "nationally_registered": column("nationally_registered", False), "status": rows["status"],
        "received_on": _dates(rows["received_on"]), "accepted_on": _dates(column("accepted_on")),
        "extension_days": column("extension_days", 0), "closed_on": _dates(column("closed_on")),
        "one_time_resolved": column("one_time_resolved"), "satisfaction": rows["satisfaction"],
        "hotline_ticket": rows["hotline_ticket"],
    })


def _write_petitions(session: Session, records: pd.DataFrame, location_reasons: pd.Series):
    refused = [_as_problems(location_reasons, "位置")]
    ok = records[records["grid_code"].notna()]
    _stage(session, "ledger_stage", PETITION_STAGE, _petition_stage(ok, ok["key"]))
    # A ticket already on another petition: a placeholder a hotline import made is taken over; else refused.
    clashes = session.execute(text(
        "SELECT s.idx, s.key, s.hotline_ticket, p.ref_no, p.ref_no = :prefix || s.hotline_ticket AS placeholder,"
        " EXISTS (SELECT 1 FROM petition q WHERE q.ref_no = s.key) AS own"
        " FROM ledger_stage s JOIN petition p ON p.hotline_ticket = s.hotline_ticket WHERE p.ref_no <> s.key"
    ), {"prefix": PLACEHOLDER_PREFIX}).all()
    adopt = [{"old": c.ref_no, "new": c.key} for c in clashes if c.placeholder and not c.own]
    if adopt:
        session.execute(text("UPDATE petition SET ref_no = :new WHERE ref_no = :old"), adopt)
    refuse = [c for c in clashes if not (c.placeholder and not c.own)]
    if refuse:
        session.execute(text("DELETE FROM ledger_stage WHERE idx = ANY(:idx)"), {"idx": [c.idx for c in refuse]})
        refused.append(pd.DataFrame({"idx": [c.idx for c in refuse], "column": "12345工单号", "reason": [
            f"12345 工单 {c.hotline_ticket} 已关联信访件 {c.ref_no}：同一工单不能关联两件信访事项" for c in refuse]}))
    new, updated_refs = session.execute(text(PETITION_UPSERT)).one()
    updated = len(set(updated_refs or ()) | {a["new"] for a in adopt})  # taking a placeholder over is an update
    staged = len(ok) - len(refuse)
    return {"new": new, "updated": updated, "unchanged": staged - new - updated}, pd.concat(refused, ignore_index=True)


HOTLINE_MATCH = """
UPDATE hotline_stage s SET petition_id = p.id, petition_ref = p.ref_no, matched_by = 'ticket',
       placeholder = (p.ref_no = :prefix || s.key)
FROM petition p WHERE p.hotline_ticket = s.key;
UPDATE hotline_stage s SET petition_id = p.id, petition_ref = p.ref_no, matched_by = 'ref', other_ticket = p.hotline_ticket,
       placeholder = false
FROM petition p WHERE s.petition_id IS NULL AND s.petition_ref_no IS NOT NULL AND p.ref_no = s.petition_ref_no;
"""
HOTLINE_UPDATE_COLUMNS = ("origin_grid_code", "category", "domain", "petitioner_name", "petitioner_id_number",
                          "petitioner_phone", "is_first", "lodged_level", "status", "received_on", "closed_on",
                          "satisfaction")


def _write_hotline(session: Session, records: pd.DataFrame, location_reasons: pd.Series):
    stage = _petition_stage(records.assign(channel="hotline_12345"), records["key"])
    stage["petition_ref_no"] = records["petition_ref_no"]
    stage["direction"] = records["direction"]
    stage["location_reason"] = location_reasons
    _stage(session, "hotline_stage", PETITION_STAGE + ", petition_ref_no text, direction text, location_reason text,"
           " petition_id bigint, petition_ref text, matched_by text, other_ticket text, placeholder boolean", stage)
    for statement in HOTLINE_MATCH.strip().split(";\n"):
        session.execute(text(statement), {"prefix": PLACEHOLDER_PREFIX})
    problems = session.execute(text(
        "SELECT idx, CASE WHEN petition_id IS NULL AND petition_ref_no IS NULL THEN '位置' ELSE '信访件编号' END, CASE"
        " WHEN matched_by = 'ref' AND other_ticket IS NOT NULL THEN"
        "  '信访件 ' || petition_ref || ' 已关联 12345 工单 ' || other_ticket || '，不能再关联工单 ' || key"
        " WHEN matched_by = 'ticket' AND NOT placeholder AND petition_ref_no IS NOT NULL AND petition_ref_no <> petition_ref THEN"
        "  '工单 ' || key || ' 已关联信访件 ' || petition_ref || '，与本行填写的信访件编号 ' || petition_ref_no || ' 不一致'"
        " WHEN petition_id IS NULL AND petition_ref_no IS NOT NULL THEN"
        "  '找不到信访件编号 ' || petition_ref_no || '：请先导入该信访事项，或核对编号'"
        " WHEN petition_id IS NULL AND origin_grid_code IS NULL THEN"
        "  coalesce(location_reason, '转入的工单要新建信访事项，需要位置：请填写' || :hint)"
        " END AS reason FROM hotline_stage"
    ), {"hint": LOCATION_HINT}).all()
    refuse = [(i, c, r) for i, c, r in problems if r is not None]
    if refuse:
        session.execute(text("DELETE FROM hotline_stage WHERE idx = ANY(:idx)"), {"idx": [i for i, _, _ in refuse]})
    linked_new = session.execute(text(
        "UPDATE petition p SET hotline_ticket = s.key FROM hotline_stage s"
        " WHERE s.matched_by = 'ref' AND p.id = s.petition_id RETURNING p.id"
    )).rowcount
    columns = HOTLINE_UPDATE_COLUMNS
    updated = session.execute(text(
        f"UPDATE petition p SET {', '.join(f'{c} = s.{c}' for c in columns)}, source = 'import'"
        " FROM hotline_stage s WHERE s.matched_by = 'ticket' AND s.placeholder AND p.id = s.petition_id"
        f" AND ({', '.join(f'p.{c}' for c in columns)}, p.source) IS DISTINCT FROM"
        f" ({', '.join(f's.{c}' for c in columns)}, 'import')"
    )).rowcount
    new = session.execute(text(
        f"INSERT INTO petition (ref_no, channel, hotline_ticket, head_count, nationally_registered, extension_days,"
        f" source, {', '.join(columns)})"
        f" SELECT :prefix || key, 'hotline_12345', key, 1, false, 0, 'import', {', '.join(columns)}"
        " FROM hotline_stage WHERE petition_id IS NULL"
    ), {"prefix": PLACEHOLDER_PREFIX}).rowcount
    linked_before = session.execute(text(
        "SELECT count(*) FROM hotline_stage WHERE matched_by = 'ticket' AND NOT placeholder")).scalar()
    staged = len(stage) - len(refuse)
    counts = {"new": new, "updated": updated + linked_new, "unchanged": staged - new - updated - linked_new,
              "linked": linked_new + linked_before}
    refused = pd.DataFrame({"idx": [i for i, _, _ in refuse], "column": [c for _, c, _ in refuse],
                            "reason": [r for _, _, r in refuse]})
    return counts, refused


def _record_batch(session: Session, frame: LedgerFrame, counts: dict, refusals: pd.DataFrame,
                  imported_by: str | None) -> int:
    batch_id = session.execute(text(
        "INSERT INTO import_batch (kind, file_name, file_sha256, imported_by, counts)"
        " VALUES (:kind, :file, :sha, :by, CAST(:counts AS jsonb)) RETURNING id"
    ), {"kind": frame.kind.value, "file": frame.file, "sha": frame.sha256, "by": imported_by,
        "counts": json.dumps(counts, ensure_ascii=False)}).scalar()
    if len(refusals):
        raws = [json.dumps(dict(zip(_labels(frame.headers[s if isinstance(s, str) else None]), cells)),
                           ensure_ascii=False) for s, cells in zip(refusals["sheet"], refusals["cells"])]
        copy_frame(session, "import_quarantine", pd.DataFrame({
            "batch_id": batch_id, "file_name": frame.file, "sheet": refusals["sheet"], "row_number": refusals["row"],
            "column_name": refusals["column"].where(refusals["column"] != "", None), "reason": refusals["reason"],
            "raw": raws,
        }))
    return batch_id


def _labels(headers: list[str]) -> list[str]:
    """Headers made unique (and non-empty) so that they can key a JSON object."""
    seen: dict[str, int] = {}
    out = []
    for position, header in enumerate(headers):
        label = header or f"第{position + 1}列"
        if label in seen:
            seen[label] += 1
            label = f"{label}（{seen[label]}）"
        else:
            seen[label] = 1
        out.append(label)
    return out
