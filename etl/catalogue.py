"""The demonstration-county catalogue (示范县创建标准目录): read a user's .csv or .yaml, validate, upsert.

The file format is that of ``etl/demo/criteria_2023_2025.csv``: columns year, name, weight, target,
direction, measure (required), unit and description (optional). Headers may also be in Chinese (see
``HEADER_ALIASES``); direction may be ``up``/``down`` or 越高越好/越低越好; measure the code or the
Chinese label of a ``CriterionMeasure``. A CSV may be UTF-8 (with or without BOM) or GBK/GB18030.
A YAML file is a list of mappings with the same keys.

``read_catalogue`` collects every problem of the file before it refuses it: one ``CatalogueRefused``
(an ``InvalidInput``) lists each as “文件 X 第 N 行 “列名”列：原因”, N being the row the user sees
(the CSV header is row 1; in YAML the line of the value, or of the item when the key is missing).
Nothing is half-imported: a file with any problem is refused whole, so that a year's catalogue is
never partly replaced.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.enums import CriterionMeasure, Direction
from geo.errors import InvalidInput, NotFound

REQUIRED = ("year", "name", "weight", "target", "direction", "measure")
OPTIONAL = ("unit", "description")
COLUMNS = (*REQUIRED, *OPTIONAL)
COLUMN_LABELS = {
    "year": "年度", "name": "指标", "weight": "权重", "target": "目标值", "direction": "方向",
    "measure": "计算方式", "unit": "单位", "description": "说明",
}
HEADER_ALIASES = {
    "年度": "year", "年份": "year",
    "指标": "name", "名称": "name", "指标名称": "name",
    "权重": "weight",
    "目标值": "target", "目标": "target",
    "方向": "direction",
    "计算方式": "measure", "测量方式": "measure",
    "单位": "unit", "计量单位": "unit",
    "说明": "description", "描述": "description",
}
DIRECTIONS = {**{d.value: d.value for d in Direction}, **{d.label: d.value for d in Direction}}
MEASURES = {**{m.value: m.value for m in CriterionMeasure}, **{m.label: m.value for m in CriterionMeasure}}
YEAR_RANGE = (2000, 2100)
MAX_WEIGHT = 9999.99  # demo_criterion.weight is numeric(6, 2)
MAX_TARGET = 99_999_999.9999  # demo_criterion.target is numeric(12, 4)
FRAME_COLUMNS = ["row", *COLUMNS]
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # GB18030 is a superset of GBK


@dataclass(frozen=True)
class Problem:
    """One problem of a file: the row the user sees, the column as the user wrote it ("" for the row), why."""

    row: int
    column: str
    reason: str

    def message(self, file: str) -> str:
        if self.column:
            return f"文件 {file} 第 {self.row} 行 “{self.column}”列：{self.reason}"
        return f"文件 {file} 第 {self.row} 行：{self.reason}"


class CatalogueRefused(InvalidInput):
    """A catalogue file with problems; ``problems`` lists them (the message has one line each)."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = problems
        lines = [f"标准目录文件 {file} 有 {len(problems)} 处问题，未导入，请改正后重新导入："]
        lines += [p.message(file) for p in problems]
        super().__init__("\n".join(lines))


@dataclass
class _Record:
    """One data row of the file: its row number, and each canonical column's (text, row, column as written)."""

    row: int
    cells: dict[str, tuple[str, int, str]]


def read_catalogue(path: str | Path, display_name: str | None = None) -> pd.DataFrame:
    """Parse and validate a catalogue file; no database.

    Returns columns ``FRAME_COLUMNS``: row (the row in the file), year (int), name, weight (float),
    target (float), direction and measure (the English codes), unit ("" when absent), description
    (None when absent). ``display_name`` is the file's name in messages (default: the path's name).
    Raises ``NotFound`` for a missing file, ``CatalogueRefused`` listing every problem otherwise.
    """
    path = Path(path)
    file = display_name or path.name
    if not path.is_file():
        raise NotFound(f"找不到文件 {file}：请检查路径后重新导入。")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        records, headers, problems = _csv_records(path, file)
    elif suffix in (".yaml", ".yml"):
        records, headers, problems = _yaml_records(path, file)
    else:
        raise InvalidInput(f"文件 {file} 的格式不受支持：标准目录请使用 .csv、.yaml 或 .yml 文件。")
    if headers is not None:  # a CSV's header row (YAML items are checked one by one)
        missing = [c for c in REQUIRED if c not in headers]
        if missing:
            listed = "、".join(f"“{COLUMN_LABELS[c]}（{c}）”" for c in missing)
            problems.append(Problem(1, "", f"缺少必需的列 {listed}"))
    if not records and not problems:
        problems.append(Problem(1, "", "文件中没有任何标准（只有表头）"))
    rows, row_problems = _validate(records)
    problems += row_problems
    if problems:
        raise CatalogueRefused(file, sorted(problems, key=lambda p: (p.row, COLUMNS.index(_canonical(p.column))
                                                                     if _canonical(p.column) in COLUMNS else -1)))
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    frame["row"] = frame["row"].astype("int64")
    frame["year"] = frame["year"].astype("int64")
    frame["weight"] = frame["weight"].astype(float)
    frame["target"] = frame["target"].astype(float)
    frame["description"] = pd.Series([r["description"] for r in rows], dtype=object)
    return frame


def _canonical(header: str) -> str | None:
    cleaned = header.strip().lstrip("\ufeff").strip()
    if cleaned.lower() in COLUMNS:
        return cleaned.lower()
    return HEADER_ALIASES.get(cleaned)


def _decode(raw: bytes) -> str | None:
    for encoding in CSV_ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _header_map(headers: list[str], row: int, problems: list[Problem]) -> dict[int, str]:
    """Position → canonical column; unknown headers are ignored, a column given twice is a problem."""
    mapping, seen = {}, {}
    for position, header in enumerate(headers):
        canonical = _canonical(str(header))
        if canonical is None:
            continue
        if canonical in seen:
            problems.append(Problem(row, str(header).strip(),
                                    f"与“{seen[canonical]}”列重复（都表示{COLUMN_LABELS[canonical]}），请只保留一列"))
            continue
        seen[canonical] = str(header).strip()
        mapping[position] = canonical
    return mapping


def _csv_records(path: Path, file: str) -> tuple[list[_Record], set[str] | None, list[Problem]]:
    content = _decode(path.read_bytes())
    if content is None:
        raise InvalidInput(f"文件 {file} 无法识别编码：请另存为 UTF-8 或 GBK 编码的 CSV 后重新导入。")
    problems: list[Problem] = []
    table = list(csv.reader(io.StringIO(content, newline="")))
    if not table:
        return [], None, [Problem(1, "", "文件为空，缺少表头")]
    headers = table[0]
    mapping = _header_map(headers, 1, problems)
    records = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line holds no criterion
        if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers):]):
            problems.append(Problem(number, "", f"比表头多出 {len(cells) - len(headers)} 列，请检查是否有多余的逗号"))
        record = {col: (cells[pos] if pos < len(cells) else "", number, headers[pos].strip().lstrip("\ufeff"))
                  for pos, col in mapping.items()}
        records.append(_Record(number, record))
    return records, set(mapping.values()), problems


def _scalar_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value)


def _yaml_records(path: Path, file: str) -> tuple[list[_Record], None, list[Problem]]:
    content = _decode(path.read_bytes())
    if content is None:
        raise InvalidInput(f"文件 {file} 无法识别编码：请另存为 UTF-8 编码的 YAML 后重新导入。")
    try:
        data = yaml.safe_load(content)
        root = yaml.compose(content, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        return [], None, [Problem(line, "", f"不是有效的 YAML：{getattr(error, 'problem', None) or error}")]
    if data is None:
        return [], None, [Problem(1, "", "文件为空：应为标准的列表（每项一个指标）")]
    if not isinstance(data, list) or not isinstance(root, yaml.SequenceNode):
        return [], None, [Problem(1, "", "应为标准的列表（每项以“- ”开头，含 year、name 等键）")]
    problems: list[Problem] = []
    records = []
    for item, node in zip(data, root.value):
        line = node.start_mark.line + 1
        if not isinstance(item, dict) or not isinstance(node, yaml.MappingNode):
            problems.append(Problem(line, "", "此项不是“键: 值”的映射"))
            continue
        keys = [str(k) for k in item]
        mapping = _header_map(keys, line, problems)
        lines = {str(key_node.value): value_node.start_mark.line + 1 for key_node, value_node in node.value}
        cells = {}
        for position, canonical in mapping.items():
            key = keys[position]
            value = item[list(item)[position]]
            if isinstance(value, (list, dict)):
                problems.append(Problem(lines.get(key, line), key, "应为单个值，不能是列表或映射"))
                value = None
            cells[canonical] = (_scalar_text(value), lines.get(key, line), key)
        records.append(_Record(line, cells))
    # In YAML a missing key is a problem of its item (no header row lists the columns).
    for record in records:
        missing = [c for c in REQUIRED if c not in record.cells]
        if missing:
            listed = "、".join(f"“{COLUMN_LABELS[c]}（{c}）”" for c in missing)
            problems.append(Problem(record.row, "", f"缺少必需的键 {listed}"))
    return records, None, problems


def _number(raw: str) -> float | None:
    try:
        value = float(raw.strip().replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _validate(records: list[_Record]) -> tuple[list[dict], list[Problem]]:
    """Check each row's cells; rows with a problem are left out of the result (the file is then refused)."""
    rows, problems, first_of = [], [], {}
    for record in records:
        found: list[Problem] = []
        values: dict = {"row": record.row}
        cells = record.cells

        def cell(column: str) -> tuple[str, int, str] | None:
            return cells.get(column)

        def bad(column: str, reason: str) -> None:
            _, row, written = cells[column]
            found.append(Problem(row, written, reason))

        if cell("year"):
            raw = cells["year"][0].strip()
            number = _number(raw)
            if number is None or number != int(number):
                bad("year", f"年度应为整数年份，实为“{raw}”" if raw else "年度不能为空")
            elif not YEAR_RANGE[0] <= number <= YEAR_RANGE[1]:
                bad("year", f"年度应在 {YEAR_RANGE[0]}–{YEAR_RANGE[1]} 之间，实为 {int(number)}")
            else:
                values["year"] = int(number)
        if cell("name"):
            name = cells["name"][0].strip()
            if not name:
                bad("name", "指标名称不能为空")
            else:
                values["name"] = name
        if cell("weight"):
            raw = cells["weight"][0].strip()
            number = _number(raw)
            if number is None:
                bad("weight", f"权重应为数字，实为“{raw}”" if raw else "权重不能为空")
            elif number <= 0:
                bad("weight", f"权重应大于 0，实为 {raw}")
            elif number > MAX_WEIGHT:
                bad("weight", f"权重不能超过 {MAX_WEIGHT}，实为 {raw}")
            else:
                values["weight"] = number
        if cell("target"):
            raw = cells["target"][0].strip()
            number = _number(raw)
            if number is None:
                bad("target", f"目标值应为数字，实为“{raw}”" if raw else "目标值不能为空")
            elif abs(number) > MAX_TARGET:
                bad("target", f"目标值超出范围（绝对值不超过 {MAX_TARGET:,.4f}），实为 {raw}")
            else:
                values["target"] = number
        if cell("direction"):
            raw = cells["direction"][0].strip()
            code = DIRECTIONS.get(raw.lower()) or DIRECTIONS.get(raw)
            if code is None:
                choices = "、".join(f"{d.value}/{d.label}" for d in Direction)
                bad("direction", f"方向应为 {choices}，实为“{raw}”")
            else:
                values["direction"] = code
        if cell("measure"):
            raw = cells["measure"][0].strip()
            code = MEASURES.get(raw.lower()) or MEASURES.get(raw)
            if code is None:
                choices = "、".join(f"{m.value}（{m.label}）" for m in CriterionMeasure)
                bad("measure", f"计算方式应为 {choices} 之一，实为“{raw}”")
            else:
                values["measure"] = code
        values["unit"] = cells["unit"][0].strip() if cell("unit") else ""
        description = cells["description"][0].strip() if cell("description") else ""
        values["description"] = description or None

        key = (values.get("year"), values.get("name"))
        if None not in key:
            if key in first_of:
                bad("name", f"与第 {first_of[key]} 行重复：同一年度（{key[0]}）不能有两个同名指标“{key[1]}”")
            else:
                first_of[key] = record.row
        problems += found
        if not found and all(c in values for c in REQUIRED):
            rows.append(values)
    return rows, problems


_UPSERT = """
WITH incoming AS (
    SELECT * FROM unnest(CAST(:years AS int[]), CAST(:names AS text[]), CAST(:weights AS numeric[]),
                         CAST(:targets AS numeric[]), CAST(:directions AS text[]), CAST(:measures AS text[]),
                         CAST(:units AS text[]), CAST(:descriptions AS text[]))
        AS t(year, name, weight, target, direction, measure, unit, description)
),
written AS (
    INSERT INTO demo_criterion AS d (year, name, weight, target, direction, measure, unit, description)
    SELECT year, name, weight, target, direction, measure, unit, description FROM incoming
    ON CONFLICT (year, name) DO UPDATE SET weight = excluded.weight, target = excluded.target,
        direction = excluded.direction, measure = excluded.measure, unit = excluded.unit,
        description = excluded.description
    WHERE (d.weight, d.target, d.direction, d.measure, d.unit, d.description)
          IS DISTINCT FROM (excluded.weight, excluded.target, excluded.direction, excluded.measure,
                            excluded.unit, excluded.description)
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS new, count(*) FILTER (WHERE NOT inserted) AS updated FROM written
"""


def load_catalogue(frame: pd.DataFrame, session: Session) -> dict[str, int]:
    """Upsert a ``read_catalogue`` frame by (year, name); returns {"new", "updated", "unchanged"} counts.

    Criteria of the database that the file does not list are kept (their reviewers' scores hang on
    them); re-loading the same file changes nothing. Does not commit.
    """
    if frame.empty:
        return {"new": 0, "updated": 0, "unchanged": 0}
    params = {
        "years": [int(y) for y in frame["year"]],
        "names": [str(n) for n in frame["name"]],
        # As text, so that the database rounds them to the columns' scale exactly as it stores them.
        "weights": [repr(float(w)) for w in frame["weight"]],
        "targets": [repr(float(t)) for t in frame["target"]],
        "directions": [str(d) for d in frame["direction"]],
        "measures": [str(m) for m in frame["measure"]],
        "units": [str(u) for u in frame["unit"]],
        "descriptions": [None if d is None or (isinstance(d, float) and math.isnan(d)) else str(d)
                         for d in frame["description"]],
    }
    new, updated = session.execute(text(_UPSERT), params).one()
    return {"new": int(new), "updated": int(updated), "unchanged": len(frame) - int(new) - int(updated)}
