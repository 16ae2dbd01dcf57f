"""A corpus of realistic variant ledgers, for measuring how much fengqiao loads without a hand-made mapping.

``write_corpus(folder, n, seed, kind)`` writes ``n`` files (.xlsx, and .csv in UTF-8, UTF-8 with BOM and GBK).
Each file takes a template of ``tests.corpus.templates``, fills 50–500 rows of valid data (real places of
``etl/reference``, valid dates, GB 11643 ID numbers, mobile numbers, words fengqiao's choices accept), and
applies random mutations: title rows, blank rows, a two-row merged header, reordered, renamed and decorated
headers, extra unknown columns, codes as numbers or with a trailing “.0”, name suffixes, date forms, and a
counted number of intentionally invalid rows. The returned ``CorpusFile`` records what was done and the
true mapping (header as written → fengqiao field or None), so a test can confirm a mapping as a user would.
The same ``seed`` gives byte-identical files.
"""

from __future__ import annotations

import csv
import io
import random
import re
import zipfile
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from etl.ledger_fields import DISPUTE_FIELDS, HOTLINE_FIELDS, PETITION_FIELDS, known_headers
from etl.tabular import normalise_header
from tests.corpus import values as v
from tests.corpus.places import Place, places
from tests.corpus.records import DATE_FIELDS, DATETIME_FIELDS, MAKERS, Record, defects_for, spoil
from tests.corpus.templates import EXTRA_COLUMNS, SYNONYMS, TEMPLATES, Column, Template

FIELDS = {"disputes": DISPUTE_FIELDS, "petitions": PETITION_FIELDS, "hotline": HOTLINE_FIELDS}
REQUIRED = {kind: {f.name for f in fields if f.required} for kind, fields in FIELDS.items()}
FORMATS = (("xlsx", None), ("xlsx", None), ("csv", "utf-8"), ("csv", "utf-8-sig"), ("csv", "gbk"))
DATE_STYLES = ("iso", "slash", "chinese", "compact", "mixed")
VILLAGE_STYLES = ("short", "full", "committee", "bare", "mixed")
TOWNSHIP_STYLES = ("name", "bare", "office", "mixed")
CODE_FIELDS = ("village_code",)
NUMBER_FIELDS = ("village_code", "party_phone", "petitioner_phone")
TITLES = {"disputes": "矛盾纠纷排查化解台账", "petitions": "信访事项登记台账", "hotline": "12345热线工单明细"}
REF_PREFIX = {"disputes": "MD", "petitions": "XF", "hotline": "12345-"}


@dataclass(frozen=True)
class InvalidRow:
    """A row written to be refused: its line in the file (1-based, as a spreadsheet numbers rows) and why."""

    line: int
    reason: str


@dataclass(frozen=True)
class RowTruth:
    """A data row: its line, whether a correct import loads it, and the values it should load."""

    line: int
    valid: bool
    values: dict[str, object]


@dataclass(frozen=True)
class CorpusFile:
    """One generated ledger and everything needed to score an import of it."""

    path: Path
    kind: str
    template: str
    file_format: str  # xlsx or csv
    encoding: str | None  # for csv: utf-8, utf-8-sig or gbk
    mutations: tuple[str, ...]
    headers: tuple[str, ...]  # as written, in file order
    header_line: int  # the (last) header row, 1-based
    group_headings: tuple[str, ...]  # merged headings above the header (two-row headers only)
    true_mapping: dict[str, str | None]  # header as written → fengqiao field, or None
    rows_written: int
    valid_rows: int
    invalid: tuple[InvalidRow, ...]
    rows: tuple[RowTruth, ...] = field(repr=False)

    @property
    def invalid_rows(self) -> int:
        return len(self.invalid)


@dataclass
class Style:
    """The choices made once per file that decide how values are written."""

    xlsx: bool
    dates: str
    villages: str
    townships: str
    numbers_as_numbers: bool = False
    trailing_dot_zero: bool = False


# --- headers ---------------------------------------------------------------------------------------

def _unique(columns: list[Column]) -> bool:
    names = [normalise_header(c.header) for c in columns]
    return len(names) == len(set(names))


def _rename(rng: random.Random, columns: list[Column], kind: str, mutations: list[str]) -> list[Column]:
    """Give one to three columns another wording of their field (kept unique in the file)."""
    synonyms = SYNONYMS[kind]
    candidates = [i for i, c in enumerate(columns) if c.field in synonyms]
    for i in rng.sample(candidates, min(len(candidates), rng.randint(1, 3))):
        old = columns[i]
        options = [s for s in synonyms[old.field] if normalise_header(s) != normalise_header(old.header)]
        if not options:
            continue
        trial = columns[:i] + [replace(old, header=rng.choice(options))] + columns[i + 1:]
        if _unique(trial):
            columns = trial
            mutations.append(f"renamed:{old.header}→{columns[i].header}")
    return columns


def _decorate(rng: random.Random, columns: list[Column], kind: str, mutations: list[str]) -> list[Column]:
    """Brackets made full- or half-width, trailing spaces, “（必填）” and “*” on required columns."""
    result, done = [], []
    for column in columns:
        header = column.header
        if "(" in header or "（" in header:
            if rng.random() < 0.5:
                flipped = header.replace("（", "(").replace("）", ")") if "（" in header else \
                    header.replace("(", "（").replace(")", "）")
                done.append(f"brackets:{header}→{flipped}")
                header = flipped
        if column.field in REQUIRED[kind] and rng.random() < 0.5:
            marked = rng.choice((header + "（必填）", "*" + header, header + "*", "＊" + header))
            done.append(f"required_mark:{marked}")
            header = marked
        if rng.random() < 0.12:
            header += rng.choice((" ", "  ", "\u3000"))
            done.append(f"trailing_space:{header.strip()}")
        result.append(replace(column, header=header))
    if not _unique(result):
        return columns
    mutations += done
    return result


def _extras(rng: random.Random, columns: list[Column], kind: str, mutations: list[str]) -> list[Column]:
    """Insert one to three columns fengqiao has no field for, at random places."""
    known = known_headers(FIELDS[kind])
    pool = [h for h in EXTRA_COLUMNS if normalise_header(h) not in known
            and normalise_header(h) not in {normalise_header(c.header) for c in columns}]
    added = rng.sample(pool, min(len(pool), rng.randint(1, 3)))
    for header in added:
        columns.insert(rng.randint(1, len(columns)), Column(header, None))
    mutations.append("extra_columns:" + ",".join(added))
    return columns


def _group_together(columns: list[Column]) -> list[Column]:
    """Columns of one merged heading made adjacent (at the place of the group's first column)."""
    result: list[Column] = []
    for column in columns:
        if column.group and any(c.group == column.group for c in result):
            continue
        result.append(column)
        if column.group:
            result.extend(c for c in columns if c.group == column.group and c is not column)
    return result


def layout(rng: random.Random, template: Template, kind: str, merged: bool, mutations: list[str]) -> list[Column]:
    """The file's columns: the template's, mutated."""
    columns = list(template.columns)
    if rng.random() < 0.4:
        head, rest = columns[:1], columns[1:]
        rng.shuffle(rest)
        columns = head + rest
        mutations.append("reordered_columns")
    if rng.random() < 0.7:
        columns = _rename(rng, columns, kind, mutations)
    columns = _decorate(rng, columns, kind, mutations)
    if rng.random() < 0.5:
        columns = _extras(rng, columns, kind, mutations)
    if merged:
        columns = _group_together(columns)
    return columns


# --- cells -----------------------------------------------------------------------------------------

def _date_text(rng: random.Random, value: datetime, style: str, with_time: bool) -> str:
    if style == "mixed":
        style = rng.choice(DATE_STYLES[:-1])
    text = {"iso": f"{value:%Y-%m-%d}", "slash": f"{value.year}/{value.month}/{value.day}",
            "chinese": f"{value.year}年{value.month}月{value.day}日", "compact": f"{value:%Y%m%d}"}[style]
    if with_time and style in ("iso", "slash") and rng.random() < 0.3:
        text += f" {value:%H:%M}"
    return text


def _date_cell(rng: random.Random, value, name: str, style: Style):
    if not isinstance(value, datetime):
        return value  # blank, or a deliberately impossible date written as text
    if style.dates == "excel":
        return value if name in DATETIME_FIELDS else value.replace(hour=0, minute=0)
    return _date_text(rng, value, style.dates, name in DATETIME_FIELDS)


def _village(rng: random.Random, place: Place, style: str) -> str:
    if style == "mixed":
        style = rng.choice(VILLAGE_STYLES[:-1])
    return {"short": place.village_short, "full": place.village_full, "committee": place.village_committee(),
            "bare": place.village_bare or place.village_short}[style]


def _township(rng: random.Random, place: Place, style: str) -> str:
    if style == "mixed":
        style = rng.choice(TOWNSHIP_STYLES[:-1])
    return {"name": place.township, "bare": place.township_bare or place.township,
            "office": place.township_office()}[style]


def _extra_cell(rng: random.Random, header: str, record: Record, number: int):
    """Values for columns without a field (序号, 备注, 责任人, the extra columns…)."""
    text = header.strip().strip("*＊")
    if text == "序号":
        return number
    if text in ("责任人", "包案领导", "填报人", "录入人"):
        return v.person_name(rng)
    if text in ("网格员电话",):
        return v.mobile(rng)
    if text in ("化解措施",):
        return rng.choice(("入户调解", "村两委调解", "司法所介入调解", "联合调处", ""))
    if text in ("化解时限",):
        return rng.choice(("7日内", "15日内", "30日内", "本月底前"))
    if text in ("住址",):
        return record.place.township + record.place.village_short
    if text in ("反映问题", "诉求内容"):
        return rng.choice(v.SUMMARIES["other"] + v.SUMMARIES["urban_rural_construction"])
    if text in ("承办单位", "责任单位"):
        return record.place.township_office()
    if text in ("走访次数", "年龄"):
        return rng.randint(1, 6) if text == "走访次数" else rng.randint(20, 80)
    if text in ("性别",):
        return rng.choice(("男", "女"))
    if text in ("是否录入平台",):
        return rng.choice(("是", "否"))
    if text in ("回访情况",):
        return rng.choice(("已回访", "未回访", ""))
    return rng.choice(("", "", "无", "见附件"))


def cell(rng: random.Random, column: Column, record: Record, number: int, style: Style):
    """The cell written for ``record`` under ``column``."""
    if column.field is None:
        return _extra_cell(rng, column.header, record, number)
    value = record.values.get(column.field)
    if column.field == "village_name" and value == record.place.village_short:
        value = _village(rng, record.place, style.villages)
    elif column.field == "township_name":
        value = _township(rng, record.place, style.townships)
    elif column.field in DATE_FIELDS:
        value = _date_cell(rng, value, column.field, style)
    if value is None:
        return None
    if column.field in NUMBER_FIELDS and style.numbers_as_numbers:
        return int(value)
    if column.field in CODE_FIELDS and style.trailing_dot_zero:
        return f"{value}.0"
    if column.field == "households_involved" and style.trailing_dot_zero:
        return f"{value}.0"
    return value


# --- files -----------------------------------------------------------------------------------------

def _titles(rng: random.Random, kind: str, place: Place, year: int) -> list[str]:
    lines = []
    if rng.random() < 0.6:
        lines.append(f"{place.township}{TITLES[kind]}（{year}年）")
        if rng.random() < 0.4:
            lines.append(f"填报单位：{place.township}综治中心　　填报时间：{year}年{rng.randint(1, 12)}月")
    return lines


def _blank_positions(rng: random.Random, n_rows: int) -> set[int]:
    """Data-row indexes before which a blank row is written."""
    return set(rng.sample(range(1, n_rows), min(n_rows - 1, rng.randint(1, 4)))) if rng.random() < 0.5 else set()


@dataclass
class Sheet:
    """A file's content before it is written: rows of cells, and the merges an xlsx gets."""

    rows: list[list] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # first row, first col, last row, last col


def header_rows(sheet: Sheet, columns: list[Column], merged: bool) -> tuple[str, ...]:
    """Append the header (one row, or two with merged group headings); returns the group headings."""
    width = len(columns)
    if not merged:
        sheet.rows.append([c.header for c in columns])
        return ()
    top, bottom, groups = [None] * width, [None] * width, []
    first = len(sheet.rows) + 1
    i = 0
    while i < width:
        group = columns[i].group
        if group:
            end = i
            while end + 1 < width and columns[end + 1].group == group:
                end += 1
            top[i] = group
            groups.append(group)
            for j in range(i, end + 1):
                bottom[j] = columns[j].header
            if end > i:
                sheet.merges.append((first, i + 1, first, end + 1))
            i = end + 1
        else:
            top[i] = columns[i].header
            sheet.merges.append((first, i + 1, first + 1, i + 1))
            i += 1
    sheet.rows += [top, bottom]
    return tuple(groups)


def save_xlsx(path: Path, sheet: Sheet) -> None:
    book = Workbook()
    ws = book.active
    ws.title = "台账"
    for row in sheet.rows:
        ws.append(row)
    for first_row, first_col, last_row, last_col in sheet.merges:
        ws.merge_cells(start_row=first_row, start_column=first_col, end_row=last_row, end_column=last_col)
    for i in range(1, (ws.max_column or 1) + 1):
        ws.column_dimensions[get_column_letter(i)].width = 14
    book.properties.created = book.properties.modified = datetime(2024, 1, 1)
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(_fixed_zip_times(buffer.getvalue()))


def _fixed_zip_times(data: bytes) -> bytes:
    """The workbook re-zipped with one fixed timestamp per entry, and a fixed "modified" time in its properties
    (openpyxl writes the time of saving there), so the same seed gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>2024-01-01T00:00:00Z\g<2>",
                                 content)
            target.writestr(zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0)), content,
                            compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def save_csv(path: Path, sheet: Sheet, encoding: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in sheet.rows:
        writer.writerow(["" if c is None else c for c in row])
    path.write_bytes(buffer.getvalue().encode(encoding))


def _style(rng: random.Random, xlsx: bool, template: Template, mutations: list[str]) -> Style:
    style = Style(xlsx=xlsx, dates=rng.choice(DATE_STYLES + (("excel", "excel") if xlsx else ())),
                  villages=rng.choice(VILLAGE_STYLES), townships=rng.choice(TOWNSHIP_STYLES))
    if xlsx:
        style.numbers_as_numbers = rng.random() < 0.5
    else:
        style.trailing_dot_zero = rng.random() < 0.4
    mutations += [f"dates:{style.dates}", f"village_names:{style.villages}", f"township_names:{style.townships}"]
    if style.numbers_as_numbers and any(template.has(f) for f in NUMBER_FIELDS):
        mutations.append("codes_as_numbers")
    if style.trailing_dot_zero and (template.has("village_code") or template.has("households_involved")):
        mutations.append("trailing_dot_zero")
    return style


def _records(rng: random.Random, kind: str, template: Template, n_rows: int, index: int,
             counties: frozenset[str] | None) -> list[Record]:
    """Valid records in one county (of ``counties``, codes, when given), a counted few spoiled with one defect each."""
    county = rng.choice(sorted({p.county for p in places() if counties is None or p.county_code in counties}))
    pool = [p for p in places() if p.county == county]
    records = [MAKERS[kind](rng, rng.choice(pool), f"{REF_PREFIX[kind]}{index:03d}{i + 1:05d}") for i in range(n_rows)]
    defects = defects_for(kind, template)
    for i in rng.sample(range(n_rows), rng.randint(1, max(1, n_rows // 12))):
        spoil(rng, records[i], kind, rng.choice(defects))
    return records


def write_file(folder: Path, index: int, seed: int, kind: str, rows: tuple[int, int],
               counties: frozenset[str] | None = None) -> CorpusFile:
    """Write the ``index``-th file of the corpus of ``seed``."""
    rng = random.Random(f"fengqiao-corpus:{seed}:{kind}:{index}")
    template = rng.choice(TEMPLATES[kind])
    file_format, encoding = rng.choice(FORMATS)
    xlsx = file_format == "xlsx"
    mutations: list[str] = []
    merged = xlsx and any(c.group for c in template.columns) and rng.random() < 0.5
    columns = layout(rng, template, kind, merged, mutations)
    style = _style(rng, xlsx, template, mutations)
    n_rows = rng.randint(*rows)
    records = _records(rng, kind, template, n_rows, index, counties)

    sheet = Sheet()
    titles = _titles(rng, kind, records[0].place, records[0].values[_first_date(kind)].year
                     if isinstance(records[0].values[_first_date(kind)], datetime) else 2024)
    for title in titles:
        sheet.rows.append([title])
        sheet.merges.append((len(sheet.rows), 1, len(sheet.rows), len(columns)))
    if titles:
        mutations.append(f"title_rows:{len(titles)}")
    if titles and rng.random() < 0.3:
        sheet.rows.append([])
    groups = header_rows(sheet, columns, merged)
    if merged:
        mutations.append("merged_header:" + ",".join(groups))
    header_line = len(sheet.rows)

    blanks = _blank_positions(rng, n_rows)
    truths, invalid = [], []
    for i, record in enumerate(records):
        if i in blanks:
            sheet.rows.append([] if rng.random() < 0.5 else [None] * len(columns))
        sheet.rows.append([cell(rng, c, record, i + 1, style) for c in columns])
        line = len(sheet.rows)
        truths.append(RowTruth(line, record.defect is None, record.truth(kind)))
        if record.defect:
            invalid.append(InvalidRow(line, record.defect))
    if blanks:
        mutations.append(f"blank_rows:{len(blanks)}")
    mutations.append(f"invalid_rows:{len(invalid)}")
    if not xlsx:
        sheet.merges.clear()

    suffix = "xlsx" if xlsx else f"{encoding.replace('-', '')}.csv"
    path = Path(folder) / f"{kind}_{index:03d}_{template.name}.{suffix}"
    save_xlsx(path, sheet) if xlsx else save_csv(path, sheet, encoding)
    return CorpusFile(path=path, kind=kind, template=template.name, file_format=file_format, encoding=encoding,
                      mutations=tuple(mutations), headers=tuple(c.header for c in columns), header_line=header_line,
                      group_headings=groups, true_mapping={c.header: c.field for c in columns},
                      rows_written=n_rows, valid_rows=n_rows - len(invalid), invalid=tuple(invalid),
                      rows=tuple(truths))


def _first_date(kind: str) -> str:
    return "reported_at" if kind == "disputes" else "received_on"


def write_corpus(folder, n: int, seed: int, kind: str = "disputes", *,
                 rows: tuple[int, int] = (50, 500), counties=None) -> list[CorpusFile]:
    """Write ``n`` variant ledgers of ``kind`` (disputes, petitions, hotline) into ``folder``; deterministic by seed.

    ``counties``: the county codes places are drawn from (those whose villages have grid cells in the database
    a test imports into); every county of the reference when None."""
    if kind not in TEMPLATES:
        raise ValueError(f"kind must be one of {sorted(TEMPLATES)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    counties = frozenset(counties) if counties is not None else None
    return [write_file(folder, i, seed, kind, rows, counties) for i in range(n)]
