"""Which ledger field each column of a user's file holds: proposed, confirmed by the user, saved, reused.

A county's ledger rarely uses fengqiao's header words. ``inspect_columns`` reads a file's headers and
a sample of its values; ``propose`` suggests a field per column — the exact alias first, then a header
that resembles a field's (``所在乡镇`` → 乡镇（街道）), then the values' shape (18-digit ID numbers with a
valid check digit, 11-digit mobiles, dates, coordinates in range, codes, the region names of the
reference geography, the words an enumerated field accepts); each field goes to one column at most.
The user confirms or changes each proposal, or marks the column “不导入”; ``choices_to_columns``
checks the result, which ``etl.ledger_reading.read_ledger(mapping=...)`` then applies and
``geo.mapping_profiles`` keeps as a named profile for the next file with the same headers.
A mapping file (YAML or JSON, ``列:`` header → field name or label, or 不导入) serves the CLI.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from etl.ledger_fields import Field, known_headers
from etl.ledger_reading import parse_values
from etl.ledger_rules import FIELDS
from etl.reference import TOWNSHIPS, VILLAGES
from etl.tabular import MAX_UNPACKED_BYTES, normalise_header, open_table
from geo.areas import name_key
from geo.errors import InvalidInput
from geo.models import ImportKind

SKIP = "不导入"
SAMPLE_ROWS = 200
SHOWN_SAMPLES = 3
THRESHOLD = 0.6
METHODS = {"alias": "表头一致", "header": "表头相近", "values": "取值特征", "profile": "已保存的列对应", "user": "用户指定"}
SHAPED_KINDS = ("id_number", "phone", "date", "datetime", "enum", "bool", "number", "code")
"""Kinds whose values tell the field (an integer column, such as 序号, could be anything)."""
COORDINATE_RANGES = {"lon": (73.0, 136.0), "lat": (3.0, 54.0)}
REGION_FIELDS = ("county_name", "township_name", "village_name")


@dataclass(frozen=True)
class Columns:
    """A file's headers (as written, in order) and a sample of each column's values."""

    file: str
    sheet: str | None
    headers: list[str]
    samples: list[list[str]]

    @property
    def normalised(self) -> list[str]:
        return [normalise_header(h) for h in self.headers]


@dataclass(frozen=True)
class Proposal:
    """What one column is proposed to be: ``field`` (None: not imported), how it was found, how sure."""

    position: int
    header: str
    samples: list[str]
    field: str | None
    method: str | None
    score: float


def inspect_columns(path: str | Path, kind: ImportKind | str, *, display_name: str | None = None,
                    max_unpacked: int = MAX_UNPACKED_BYTES) -> Columns:
    """The headers and first values of the file's first sheet with a header (headers may be unfamiliar)."""
    known = known_headers(FIELDS[ImportKind(kind)].values())
    table = open_table(path, display_name, recognise=known.get, max_unpacked=max_unpacked, chunk_rows=SAMPLE_ROWS)
    for chunk in table.chunks():
        samples = [[v.strip() for v in chunk.cells[position].astype(str) if v.strip()]
                   for position in range(len(chunk.headers))]
        return Columns(table.display_name, chunk.sheet, list(chunk.headers), samples)
    raise InvalidInput(f"文件 {table.display_name} 中没有数据行（只有表头）。")


def propose(kind: ImportKind | str, columns: Columns, saved: dict[str, str | None] | None = None) -> list[Proposal]:
    """A field (or None) per column: ``saved`` (a profile's columns) first, then the best-scored unused field."""
    fields = FIELDS[ImportKind(kind)]
    scores: list[tuple[float, int, str, str]] = []
    for position, (header, values) in enumerate(zip(columns.normalised, columns.samples)):
        if not header:
            continue
        for spec in fields.values():
            by_header = header_score(header, spec)
            by_values = values_score(values, spec)
            if max(by_header, by_values) < THRESHOLD:
                continue
            method = "alias" if by_header == 1.0 else ("header" if by_header >= by_values else "values")
            both = 0.1 if min(by_header, by_values) >= 0.5 else 0.0
            scores.append((max(by_header, by_values) + both, position, spec.name, method))
    chosen: dict[int, tuple[str | None, str, float]] = {}
    if saved:
        for position, header in enumerate(columns.normalised):
            if header in saved:
                chosen[position] = (saved[header], "profile", 1.0)
    taken = {name for name, _, _ in chosen.values() if name}
    for score, position, name, method in sorted(scores, key=lambda s: (-s[0], s[1])):
        if position not in chosen and name not in taken:
            chosen[position] = (name, method, score)
            taken.add(name)
    proposals = []
    for position, header in enumerate(columns.headers):
        name, method, score = chosen.get(position, (None, None, 0.0))
        proposals.append(Proposal(position, header, _shown(columns.samples[position]), name, method, round(score, 2)))
    return proposals


def all_recognised(proposals: list[Proposal]) -> bool:
    """Whether every column with a header was recognised by its exact alias (no mapping step needed)."""
    return all(p.method == "alias" for p in proposals if p.header.strip())


def header_score(header: str, spec: Field) -> float:
    """How much a (normalised) header resembles one of the field's names: 1 when equal."""
    best = 0.0
    for name in spec.names():
        if header == name:
            return 1.0
        if len(name) >= 2 and name in header:
            best = max(best, 0.75 + 0.2 * len(name) / len(header))
        elif len(header) >= 2 and header in name:
            best = max(best, 0.7 + 0.2 * len(header) / len(name))
        elif len(name) == 1 and header.endswith(name) and len(header) <= 4:
            best = max(best, 0.65)
        else:
            best = max(best, 0.9 * difflib.SequenceMatcher(None, header, name).ratio())
    return best


def values_score(values: list[str], spec: Field) -> float:
    """The share of the sample that reads as the field's values, for fields whose values have a shape."""
    values = values[:50]
    if len(values) < 2:
        return 0.0
    if spec.name in REGION_FIELDS:
        names = region_names()[spec.name]
        share = sum(name_key(v) in names for v in values) / len(values)
    elif spec.kind in SHAPED_KINDS:
        parsed, reasons = parse_values(pd.Series(values, dtype=object), None, spec, spec.label)
        ok = reasons.isna() & parsed.notna()
        if spec.name in COORDINATE_RANGES:
            low, high = COORDINATE_RANGES[spec.name]
            decimals = pd.Series(values, dtype=object).str.contains(".", regex=False)  # not a count or a number
            ok &= pd.to_numeric(parsed, errors="coerce").between(low, high) & decimals
        share = float(ok.mean())
    else:
        return 0.0
    return 0.85 * share if share >= 0.8 else 0.0


def _shown(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))[:SHOWN_SAMPLES]


@lru_cache(maxsize=1)
def region_names() -> dict[str, set[str]]:
    """The names of the reference geography's counties, townships and villages, as ``geo.areas.name_key`` writes them."""
    townships = pd.read_csv(TOWNSHIPS, dtype=str)
    villages = pd.read_csv(VILLAGES, dtype=str)
    return {"county_name": {name_key(n) for n in townships["county_name"]} | set(townships["county_name"]),
            "township_name": {name_key(n) for n in townships["name"]},
            "village_name": {name_key(n) for n in [*villages["name"], *villages["short_name"].dropna()]}}


def choices_to_columns(kind: ImportKind | str, choices: dict[str, str | None]) -> dict[str, str | None]:
    """Check a user's choice per header (a field's name or label, or 不导入/empty) → normalised header → field.

    Refuses (``InvalidInput``, saying which header) an unknown field and a field chosen for two columns.
    """
    fields = FIELDS[ImportKind(kind)]
    by_word = {f.name: f.name for f in fields.values()} | {normalise_header(f.label): f.name for f in fields.values()}
    columns: dict[str, str | None] = {}
    used: dict[str, str] = {}
    for header, choice in choices.items():
        key = normalise_header(header)
        if not key:
            continue
        word = "" if choice is None else normalise_header(choice)
        if word in ("", normalise_header(SKIP), "none", "null"):
            columns[key] = None
            continue
        name = by_word.get(word)
        if name is None:
            raise InvalidInput(f"列“{header}”对应的字段“{choice}”不是{ImportKind(kind).label}的字段：可选 "
                               f"{'、'.join(f.label for f in fields.values())}，或“{SKIP}”。")
        if name in used:
            raise InvalidInput(f"列“{used[name]}”和“{header}”都对应了“{fields[name].label}”：一个字段只能对应一列。")
        used[name] = header
        columns[key] = name
    return columns


def read_mapping_file(path: str | Path, kind: ImportKind | str) -> dict[str, str | None]:
    """A mapping file (YAML or JSON: ``列: {表头: 字段}``, or the headers at the top level) → checked columns."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(f"列对应文件 {path.name} 无法读取（{str(exc).splitlines()[0]}）：应为 UTF-8 编码的 YAML 或 JSON。") from None
    if isinstance(data, dict) and isinstance(data.get("列"), dict):
        data = data["列"]
    if not isinstance(data, dict) or not all(isinstance(v, (str, type(None))) for v in data.values()):
        raise InvalidInput(f"列对应文件 {path.name} 的格式不对：应写作“列:”下每行“表头: 字段”（不导入的列写“{SKIP}”）。")
    return choices_to_columns(kind, {str(k): v for k, v in data.items()})


def mapping_document(kind: ImportKind | str, proposals: list[Proposal]) -> str:
    """The proposals as a YAML mapping file the user can edit and pass back with ``--mapping``."""
    fields = FIELDS[ImportKind(kind)]
    lines = [f"# {ImportKind(kind).label}的列对应：每行“表头: 字段”，字段可写中文名；不导入的列写“{SKIP}”。",
             f"种类: {ImportKind(kind).value}", "列:"]
    for p in proposals:
        if not p.header.strip():
            continue
        target = fields[p.field].label if p.field else SKIP
        note = f"  # {METHODS[p.method]}；样例：{'、'.join(p.samples)}" if p.method else f"  # 样例：{'、'.join(p.samples)}"
        lines.append(f"  {json.dumps(p.header.strip(), ensure_ascii=False)}: {json.dumps(target, ensure_ascii=False)}{note}")
    return "\n".join(lines) + "\n"
