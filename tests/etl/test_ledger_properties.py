"""Property-based: the corpus's county ledgers, mutated the ways users' files come, never end in a traceback.

Each example takes a generated ledger (``tests.corpus``: real header wordings and places), mutates its table
(headers renamed, blanked or doubled, columns reordered or dropped, title and blank rows, cells replaced by
anything, rows cut) and its bytes (encoding, a mixed-encoding body, a file cut mid-character), and previews
it as a user would: as it comes, or with the confirmed mapping of the headers left. Either the whole file is
refused with a domain error in Chinese naming it, or every row read is accounted for: loaded + warned +
refused = rows, and every loaded row is new, updated or unchanged (none dropped unsaid).
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from etl.ledger_mapping import choices_to_columns
from etl.ledgers import load_ledger, read_ledger
from etl.tabular import normalise_header
from geo.errors import FengqiaoError
from tests.corpus.ledgers import write_corpus
from tests.etl.ledger_files import write_xlsx

KINDS = ("disputes", "petitions", "hotline")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
CELLS = st.one_of(st.none(), st.text(max_size=12), st.integers(-10**13, 10**13), st.floats(allow_nan=True),
                  st.sampled_from(["已化解", "2024-02-30", "411502001001", "411502001001.0", "4.11502E+11", " ", "#N/A"]))


class Corpus(dict):
    """Kind → [(CorpusFile, table)]; shown short in a failing example."""

    def __repr__(self) -> str:
        return "<corpus>"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Four small ledgers of each kind, read back as tables (rows of cells, header included)."""
    tables = Corpus()
    for kind in KINDS:
        for file in write_corpus(tmp_path_factory.mktemp(kind), 4, seed=11, kind=kind, rows=(5, 12)):
            tables.setdefault(kind, []).append((file, _table(file)))
    return tables


def _table(file) -> list[list]:
    if file.file_format == "xlsx":
        sheet = load_workbook(file.path, read_only=True).worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    return list(csv.reader(io.StringIO(file.path.read_bytes().decode(file.encoding))))


def _mutate(data, table: list[list], header_at: int) -> tuple[list[list], int]:
    """The table changed by a drawn list of edits, and the line its header row is now on."""
    rows = [list(r) for r in table]
    width = max(len(r) for r in rows)
    rows = [r + [None] * (width - len(r)) for r in rows]
    for edit in data.draw(st.lists(st.sampled_from(
            ["rename", "blank_header", "double_header", "reorder", "drop_column", "title", "blank_row",
             "cells", "cut_rows"]), max_size=4), label="edits"):
        if (edit.endswith("header") or edit == "rename") and header_at >= len(rows):
            continue  # the header was cut off with the rows before
        if edit == "rename":
            i = data.draw(st.integers(0, width - 1))
            rows[header_at][i] = data.draw(st.one_of(st.text(max_size=8), st.sampled_from(["序号", "备注", "姓名", "时间"])))
        elif edit == "blank_header":
            i = data.draw(st.integers(0, width - 1))
            rows[header_at][i] = None
        elif edit == "double_header" and width > 1:
            i, j = data.draw(st.integers(0, width - 1)), data.draw(st.integers(0, width - 1))
            rows[header_at][j] = rows[header_at][i]
        elif edit == "reorder":
            order = data.draw(st.permutations(range(width)))
            rows = [[r[k] for k in order] for r in rows]
        elif edit == "drop_column" and width > 1:
            i = data.draw(st.integers(0, width - 1))
            rows = [r[:i] + r[i + 1:] for r in rows]
            width -= 1
        elif edit == "title":
            rows.insert(0, [data.draw(st.text(max_size=20))] + [None] * (width - 1))
            header_at += 1
        elif edit == "blank_row":
            rows.insert(data.draw(st.integers(0, len(rows))), [None] * width)
        elif edit == "cells":
            for _ in range(data.draw(st.integers(1, 6))):
                r, c = data.draw(st.integers(header_at + 1, max(header_at + 1, len(rows) - 1))), data.draw(st.integers(0, width - 1))
                if r < len(rows):
                    rows[r][c] = data.draw(CELLS)
        elif edit == "cut_rows":
            rows = rows[: data.draw(st.integers(0, len(rows)))]
    return rows, header_at


def _write(data, path, rows: list[list]):
    fmt = data.draw(st.sampled_from(["xlsx", "utf-8", "utf-8-sig", "gbk", "mixed", "cut"]), label="format")
    if fmt == "xlsx":
        clean = [[c if not isinstance(c, str) else "".join(ch for ch in c if ch.isprintable()) for c in r] for r in rows]
        return write_xlsx(path.with_suffix(".xlsx"), [str(c) if c is not None else None for c in clean[0]] if clean else [],
                          clean[1:])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([["" if c is None else c for c in r] for r in rows])
    text = buffer.getvalue()
    if fmt == "mixed":  # header in GBK, body in UTF-8: two offices' files pasted together
        head, _, body = text.partition("\r\n")
        raw = head.encode("gbk", "replace") + b"\r\n" + body.encode("utf-8")
    else:
        raw = text.encode("utf-8" if fmt == "cut" else fmt, "replace")
        if fmt == "cut":
            raw = raw[: data.draw(st.integers(0, len(raw)))]
    target = path.with_suffix(".csv")
    target.write_bytes(raw)
    return target


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), kind=st.sampled_from(KINDS), pick=st.integers(0, 3), mapped=st.booleans())
def test_mutated_ledgers_are_reported_never_raised(demo_session, tmp_path_factory, corpus, data, kind, pick, mapped):
    file, table = corpus[kind][pick]
    header_at = file.header_line - 1
    rows, header_at = _mutate(data, table, header_at)
    path = _write(data, tmp_path_factory.mktemp("m") / "台账", rows)
    mapping = None
    if mapped:  # the user confirmed the mapping of every header still as written, and skipped the rest
        headers = {normalise_header(h): f for h, f in file.true_mapping.items()}
        kept = {}
        for row in rows[:header_at + 1]:
            for cell in row:
                key = normalise_header(cell) if isinstance(cell, str) else ""
                if key in headers and headers[key] not in kept.values():
                    kept[cell] = headers[key]
        mapping = choices_to_columns(kind, kept)
    try:
        frame = read_ledger(path, kind, mapping=mapping)
        with demo_session.begin_nested():
            result = load_ledger(frame, demo_session, dry_run=True)
    except FengqiaoError as error:
        assert CHINESE.search(str(error)), str(error)
        return
    c = result.counts
    assert c["loaded"] + c["warned"] + c["refused"] == c["rows"] == frame.total
    assert c["new"] + c["updated"] + c["unchanged"] == c["loaded"] + c["warned"]
    assert len(result.refusals) == c["refused"] and len(result.warnings) == c["warned"]
    assert result.refusals["reason"].map(lambda r: bool(CHINESE.search(str(r)))).all()
