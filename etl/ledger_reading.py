"""Reading a ledger file into a validated ``LedgerFrame``, without a database.

Headers are matched against the aliases of ``etl.ledger_fields``; a file missing a required column, or
giving one twice, is refused whole. A problem that makes a record wrong or unplaceable (a required or
key field unreadable, no place, contradicting cells, a key seen before) refuses only its row, with the
sheet, row, column and a reason in Chinese. An unreadable optional value, or an optional fact that
contradicts another, is a warning: the row is kept without that value, the warning names row, column
and value (``LedgerFrame.warnings``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from etl.crs import parse_crs, to_wgs84
from etl.ledger_fields import (
    LOCATION_HINT,
    Field,
    clean,
    known_headers,
    split_many,
    parse_bool,
    parse_code,
    parse_dates,
    parse_enum,
    parse_id_numbers,
    parse_int,
    parse_number,
    parse_phones,
    parse_text,
)
from etl.ledger_places import given_places, has_location_columns
from etl.ledger_rules import (
    FIELDS,
    SEPARATOR,
    SPECS,
    LedgerSpec,
    derive_disputes,
    derive_hotline,
    derive_petitions,
    natural_keys,
)
from etl.progress import Progress, no_progress
from etl.tabular import MAX_UNPACKED_BYTES, Chunk, normalise_header, open_table
from geo.errors import InvalidInput
from geo.models import ImportKind


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
    columns: list[dict] = field(default_factory=list)
    """Every column of the file and what became of it: sheet, header, field (None: not imported), how."""
    warnings: pd.DataFrame = field(default_factory=lambda: _no_problems())  # idx, column, reason: rows kept

    @property
    def total(self) -> int:
        return len(self.rows)


def read_ledger(path: str | Path, kind: ImportKind | str, *, crs: str | None = None, display_name: str | None = None,
                mapping: dict[str, str | None] | None = None, max_unpacked: int = MAX_UNPACKED_BYTES,
                chunk_rows: int | None = None, progress: Progress = no_progress) -> LedgerFrame:
    """Parse and validate a ledger file; no database. ``crs`` is that of its coordinates (default EPSG:4326).

    ``mapping`` (normalised header → field name, or None for a column not to import; see
    ``etl.ledger_mapping``) decides for the headers it names; the others are matched by alias.
    ``progress("read", rows read, rows the file seems to hold)`` is called after each chunk.
    """
    kind = ImportKind(kind)
    spec = SPECS[kind]
    mapping = dict(mapping or {})
    unknown = sorted({str(v) for v in mapping.values() if v is not None and v not in FIELDS[kind]})
    if unknown:
        raise InvalidInput(f"列对应中的字段“{'、'.join(unknown)}”不是{kind.label}的字段：请重新设置列对应。")
    known = known_headers(spec.fields)
    transform = to_wgs84(parse_crs(crs))
    options = {"chunk_rows": chunk_rows} if chunk_rows else {}
    recognise = {**known, **{h: name or SKIPPED for h, name in mapping.items()}}.get
    table = open_table(path, display_name, recognise=recognise, max_unpacked=max_unpacked, **options)
    mappings: dict[str | None, dict[int, str]] = {}
    headers: dict[str | None, list[str]] = {}
    columns: list[dict] = []
    records, problems, rows = [], [], []
    offset, seen = 0, 0
    progress("read", 0, table.rows_expected)
    for chunk in table.chunks():
        seen += len(chunk.rows)
        if chunk.sheet not in mappings:
            mappings[chunk.sheet] = _map_headers(chunk.headers, spec, known, mapping, table.display_name, chunk.sheet,
                                                 columns, table.notes)
            headers[chunk.sheet] = chunk.headers
        width = len(chunk.headers)
        raw = _joined(chunk.cells, range(width))
        filled = np.fromiter(map(len, raw), np.int64, len(raw)) > width - 1  # not only separators
        beyond = chunk.cells.shape[1] - width
        extra = (np.fromiter(map(len, _joined(chunk.cells, range(width, width + beyond))), np.int64, len(raw))
                 > beyond - 1) if beyond else np.zeros(len(raw), bool)
        keep = filled | extra
        if not keep.any():
            continue
        if not keep.all():
            chunk = Chunk(chunk.sheet, chunk.headers, chunk.rows[keep], chunk.cells[keep].reset_index(drop=True),
                          None if chunk.numeric is None else chunk.numeric[keep].reset_index(drop=True))
            raw = raw[keep]
        idx = np.arange(offset, offset + len(chunk.rows))
        offset += len(idx)
        rows.append(pd.DataFrame({"sheet": chunk.sheet, "row": chunk.rows.astype(np.int32), "raw": raw}, index=idx))
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
        progress("read", seen, max(seen, table.rows_expected))
    if not records:
        raise InvalidInput(f"文件 {table.display_name} 中没有数据行（只有表头）。")
    all_rows = pd.concat(rows)
    all_rows["sheet"] = all_rows["sheet"].astype("category") if all_rows["sheet"].notna().any() else None
    records = pd.concat(records)
    found = pd.concat([_no_problems().assign(warning=False), *problems], ignore_index=True)  # a "warning" column always
    warned = found.pop("warning").fillna(False).astype(bool)
    refused, warnings = found[~warned].reset_index(drop=True), found[warned].reset_index(drop=True)
    records = records.drop(index=refused["idx"].unique())
    records, duplicates = _deduplicate(records, spec, all_rows)
    refused = pd.concat([refused, duplicates], ignore_index=True)
    return LedgerFrame(kind, table.display_name, _sha256(Path(path)), records, refused, all_rows, headers,
                       table.notes, table.encoding, crs or "EPSG:4326", columns, warnings)


def _joined(cells: pd.DataFrame, positions) -> np.ndarray:
    """Each row's cells at ``positions`` joined by ``SEPARATOR`` (all "" when there are none)."""
    columns = [cells[p].to_numpy(dtype=object) for p in positions]
    return np.fromiter(map(SEPARATOR.join, zip(*columns)), dtype=object, count=len(cells))


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


SKIPPED = "\x00skip"
"""What ``recognise`` answers for a header the mapping marks “不导入” (a known header, imported as nothing)."""
HOW = {"alias": "表头一致", "mapping": "按列对应", "skipped": "不导入（按列对应）", "unknown": "未识别，未导入"}


def _map_headers(headers: list[str], spec: LedgerSpec, known: dict[str, str], mapping: dict[str, str | None],
                 file: str, sheet: str | None, columns: list[dict], notes: list[str]) -> dict[int, str]:
    """Header position → field (``mapping`` first, then the aliases); every column's outcome goes to ``columns``.

    A field given by two columns, or a required one missing, refuses the file.
    """
    fields = FIELDS[spec.kind]
    positions, seen, unknown = {}, {}, []
    for position, header in enumerate(headers):
        if not header.strip():
            continue
        key = normalise_header(header)
        name = mapping[key] if key in mapping else known.get(key)
        how = ("mapping" if name else "skipped") if key in mapping else ("alias" if name else "unknown")
        columns.append({"sheet": sheet, "header": header.strip(), "field": name, "label": fields[name].label if name else None,
                        "how": HOW[how]})
        if how == "unknown":
            unknown.append(header.strip())
        if name is None:
            continue
        if name in seen:
            raise InvalidInput(f"{_where(file, sheet)}的“{header}”列与“{seen[name]}”列重复（都表示{fields[name].label}）："
                               "请删去其中一列，或在列对应中把其中一列设为“不导入”，然后重新导入。")
        seen[name] = header
        positions[position] = name
    missing = [fields[n] for n in fields if fields[n].required and n not in seen]
    if spec.kind == ImportKind.PETITIONS and "is_first" not in seen and "is_repeat" not in seen:
        missing.append(fields["is_first"])
    lines = [f"“{f.label}”（也可写作：{'、'.join(f.aliases[1:6]) or '—'}）" for f in missing]
    if spec.location_required and not has_location_columns(seen):
        lines.append(f"位置（{LOCATION_HINT}）")
    if lines:
        raise InvalidInput(f"{_where(file, sheet)}缺少必需的列：{'；'.join(lines)}。如果文件里有这些内容但列名不同，"
                           "请在导入页面“列对应”中指明（命令行：fengqiao import mapping show 文件）；"
                           "否则请补上这些列（可下载导入模板对照）后重新导入。")
    if unknown:
        notes.append(f"{'工作表“' + sheet + '”的' if sheet else ''}这些列不是台账字段，未导入：{'、'.join(unknown)}"
                     "（如其中有台账内容，请在“列对应”中指定字段）")
    return positions


def _parse_chunk(chunk: Chunk, mapping: dict[int, str], spec: LedgerSpec, transform) -> tuple[pd.DataFrame, list]:
    fields = FIELDS[spec.kind]
    index = chunk.cells.index
    values: dict[str, pd.Series] = {}
    headers: dict[str, str] = {}
    problems: list[pd.DataFrame] = []

    def report(reasons: pd.Series, header: str, warning: bool = False) -> None:
        bad = reasons.notna().to_numpy()
        if bad.any():
            problems.append(pd.DataFrame({"pos": np.flatnonzero(bad), "column": header, "reason": reasons[bad].to_numpy(),
                                          "warning": warning}))

    for position, name in mapping.items():
        spec_ = fields[name]
        header = chunk.headers[position]
        numeric = chunk.numeric[position] if chunk.numeric is not None else None
        if numeric is not None and not numeric.any():
            numeric = None
        if numeric is None:
            # Parse each distinct value once: a ledger repeats its dates, categories and places a lot.
            codes, uniques = pd.factorize(chunk.cells[position].astype(object), sort=False)
            parsed, reasons = parse_values(pd.Series(uniques, dtype=object), None, spec_, header)
            parsed = pd.Series(parsed.to_numpy()[codes], index=index).astype(parsed.dtype)
            reasons = pd.Series(reasons.to_numpy()[codes], index=index, dtype=object)
        else:
            parsed, reasons = parse_values(chunk.cells[position].astype(object), numeric, spec_, header)
        if spec_.refuses:
            report(reasons, header)
        else:  # the row loads without the value
            report(reasons.map(_kept_without, na_action="ignore"), header, warning=True)
            parsed = parsed if spec_.many else parsed.where(reasons.isna(), None)
        values[name] = parsed
        headers[name] = header

    def get(name: str, default=None) -> pd.Series:
        return values[name] if name in values else pd.Series(default, index=index, dtype=object)

    def check(mask, name: str, reason: str) -> None:
        mask = pd.Series(mask, index=index).fillna(False).astype(bool)
        if mask.any():
            report(pd.Series(np.where(mask, reason, None), index=index, dtype=object), headers.get(name, fields[name].label))

    def warn(mask, name: str, reason: str) -> pd.Series:
        """Record a warning where ``mask`` holds (the row loads); the mask, for the caller to clear the value."""
        mask = pd.Series(mask, index=index).fillna(False).astype(bool)
        if mask.any():
            report(pd.Series(np.where(mask, reason, None), index=index, dtype=object),
                   headers.get(name, fields[name].label), warning=True)
        return mask

    out = pd.DataFrame(index=index)
    out["sheet"] = chunk.sheet
    out["row"] = chunk.rows
    location, location_problems = given_places(values, headers, transform, index)
    for frame in location_problems:
        problems.append(frame)
    out = out.join(location)
    if spec.kind == ImportKind.DISPUTES:
        out = derive_disputes(out, get, check, warn, values)
    elif spec.kind == ImportKind.PETITIONS:
        out = derive_petitions(out, get, check, warn, values)
    else:
        out = derive_hotline(out, get, check, warn)
    if spec.location_required:
        check(out["loc_method"].isna() & ~_location_problem_rows(location_problems, len(index)), "grid_code",
              f"缺少位置：请填写{LOCATION_HINT}")
    out["key"] = natural_keys(out, spec)
    return out, problems


def _kept_without(reason: str) -> str:
    return f"{reason}（已导入，此项按未填写处理）"


def parse_values(cells: pd.Series, numeric, spec_: Field, header: str):
    if spec_.many:
        return _parse_many(cells, numeric, spec_, header)
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
    elif spec_.kind == "code":
        parsed, reasons = parse_code(cells, spec_, header)
    else:
        parsed, reasons = parse_text(cells, spec_, header)
    if spec_.required:
        empty = clean(cells) == ""
        reasons = reasons.mask(empty & reasons.isna(), f"“{header}”不能为空")
    return parsed, reasons


def _parse_many(cells: pd.Series, numeric, spec_: Field, header: str):
    """A tuple of values per cell (None where one is unreadable, so positions still pair); reasons joined."""
    parts = split_many(cells).explode()
    present = parts.notna()
    one = Field(spec_.name, spec_.label, spec_.aliases, spec_.kind, max_length=spec_.max_length, pattern=spec_.pattern)
    numbers = None if numeric is None else numeric.reindex(parts.index)[present].reset_index(drop=True)
    parsed, reasons = parse_values(parts[present].reset_index(drop=True), numbers, one, header)
    owner = parts.index[present]
    values = pd.Series(parsed.where(reasons.isna(), None).astype(object).to_numpy(), index=owner)
    grouped = values.groupby(level=0, sort=False).agg(tuple) if len(values) else pd.Series(dtype=object)
    joined = (pd.Series(reasons.to_numpy(), index=owner).dropna().groupby(level=0, sort=False).agg("；".join)
              if len(values) else pd.Series(dtype=object))
    tuples = pd.Series([grouped.get(i) for i in cells.index], index=cells.index, dtype=object)
    return tuples, joined.reindex(cells.index).astype(object).where(lambda r: r.notna(), None)


def _location_problem_rows(problems: list[pd.DataFrame], n: int) -> np.ndarray:
    rows = np.zeros(n, bool)
    for frame in problems:
        rows[frame["pos"].to_numpy()] = True
    return rows


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
