"""The corpus generator: deterministic, readable files, honest counts, a true mapping for every header (no database)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict

import pandas as pd
import pytest
from openpyxl import load_workbook

from etl.identity import is_valid_id_number
from etl.ledger_fields import (
    known_headers,
    parse_bool,
    parse_dates,
    parse_enum,
    parse_id_numbers,
    parse_int,
    parse_phones,
    parse_text,
)
from etl.tabular import cell_text, normalise_header
from tests.corpus.ledgers import FIELDS, CorpusFile, write_corpus
from tests.corpus.templates import TEMPLATES

KINDS = tuple(TEMPLATES)
PARALLEL_FIELDS = {"party_name", "party_id_number", "party_phone", "found_by"}  # dispute fields being added
SMALL = (50, 120)


def read_rows(corpus_file: CorpusFile) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header as a reader sees it and the non-blank data rows (line, cells as text)."""
    if corpus_file.file_format == "xlsx":
        sheet = load_workbook(corpus_file.path).active
        lines = [[cell_text(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    else:
        text = corpus_file.path.read_bytes().decode(corpus_file.encoding)
        lines = list(csv.reader(io.StringIO(text)))
    width = len(corpus_file.headers)
    lines = [(line + [""] * width)[:width] if line else [""] * width for line in lines]
    header = lines[corpus_file.header_line - 1]
    if corpus_file.group_headings:
        top = lines[corpus_file.header_line - 2]
        header = [bottom or above for above, bottom in zip(top, header)]
    data = [(i + 1, row) for i, row in enumerate(lines) if i >= corpus_file.header_line and any(c != "" for c in row)]
    return header, data


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> dict[str, list[CorpusFile]]:
    return {kind: write_corpus(tmp_path_factory.mktemp(kind), 12, seed=20240305, kind=kind, rows=SMALL)
            for kind in KINDS}


def _comparable(corpus_file: CorpusFile) -> dict:
    record = asdict(corpus_file)
    record.pop("path")
    return record


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_corpus_other_seed_other_corpus(tmp_path, kind):
    first = write_corpus(tmp_path / "a", 4, seed=7, kind=kind, rows=SMALL)
    again = write_corpus(tmp_path / "b", 4, seed=7, kind=kind, rows=SMALL)
    other = write_corpus(tmp_path / "c", 4, seed=8, kind=kind, rows=SMALL)
    assert [f.path.read_bytes() for f in first] == [f.path.read_bytes() for f in again]
    assert [_comparable(f) for f in first] == [_comparable(f) for f in again]
    assert [f.path.read_bytes() for f in first] != [f.path.read_bytes() for f in other]


def test_row_counts_span_50_to_500_and_formats_vary(tmp_path):
    files = write_corpus(tmp_path, 20, seed=1)
    assert all(50 <= f.rows_written <= 500 for f in files)
    assert {(f.file_format, f.encoding) for f in files} >= {("xlsx", None), ("csv", "utf-8"), ("csv", "utf-8-sig"),
                                                            ("csv", "gbk")}
    assert len({f.template for f in files}) >= 3


@pytest.mark.parametrize("kind", KINDS)
def test_every_file_opens_with_its_header_and_rows(corpora, kind):
    for corpus_file in corpora[kind]:
        header, data = read_rows(corpus_file)
        assert header == list(corpus_file.headers), corpus_file.path.name
        assert len(data) == corpus_file.rows_written, corpus_file.path.name
        assert [line for line, _ in data] == [row.line for row in corpus_file.rows]


@pytest.mark.parametrize("kind", KINDS)
def test_valid_and_invalid_add_up(corpora, kind):
    for corpus_file in corpora[kind]:
        assert corpus_file.valid_rows + corpus_file.invalid_rows == corpus_file.rows_written
        assert corpus_file.invalid_rows >= 1 and all(row.reason for row in corpus_file.invalid)
        assert {row.line for row in corpus_file.invalid} == {row.line for row in corpus_file.rows if not row.valid}
        assert f"invalid_rows:{corpus_file.invalid_rows}" in corpus_file.mutations


@pytest.mark.parametrize("kind", KINDS)
def test_true_mapping_covers_every_header(corpora, kind):
    names = {f.name for f in FIELDS[kind]} | (PARALLEL_FIELDS if kind == "disputes" else set())
    known = known_headers(FIELDS[kind])
    for corpus_file in corpora[kind]:
        assert set(corpus_file.true_mapping) == set(corpus_file.headers)
        assert len(set(corpus_file.headers)) == len(corpus_file.headers)
        assert set(corpus_file.true_mapping.values()) - {None} <= names
        for header, name in corpus_file.true_mapping.items():
            if name is None:  # a column without a field must not look like one to the importer
                assert normalise_header(header) not in known, header


def test_templates_are_data_with_provenance():
    assert len(TEMPLATES["disputes"]) >= 3
    for templates in TEMPLATES.values():
        for template in templates:
            assert template.provenance and template.observed_in
            assert len(set(template.headers)) == len(template.headers)
            assert "序号" not in template.mapping() or template.mapping()["序号"] is None


def _spec(kind: str, name: str):
    fields = {f.name: f for f in FIELDS[kind]}
    aliases = {"party_id_number": "petitioner_id_number", "party_phone": "petitioner_phone"}
    petition_fields = {f.name: f for f in FIELDS["petitions"]}
    return fields.get(name) or petition_fields.get(aliases.get(name, ""))


def _reasons(spec, cells: pd.Series, header: str) -> pd.Series:
    if spec.kind == "enum":
        return parse_enum(cells, spec, header)[1]
    if spec.kind == "bool":
        return parse_bool(cells, spec, header)[1]
    if spec.kind in ("date", "datetime"):
        return parse_dates(cells, header)[1]
    if spec.kind == "int":
        return parse_int(cells, spec, header)[1]
    if spec.kind == "id_number":
        return parse_id_numbers(cells, None, header)[1]
    if spec.kind == "phone":
        return parse_phones(cells, None, header)[1]
    return parse_text(cells, spec, header)[1]


@pytest.mark.parametrize("kind", KINDS)
def test_valid_rows_pass_fengqiao_value_rules(corpora, kind):
    """Every value of a valid row parses with fengqiao's own parsers (the 12-digit code after a trailing “.0”)."""
    required = {f.name for f in FIELDS[kind] if f.required}
    for corpus_file in corpora[kind]:
        _, data = read_rows(corpus_file)
        valid_lines = {row.line for row in corpus_file.rows if row.valid}
        frame = pd.DataFrame([cells for line, cells in data if line in valid_lines], columns=list(corpus_file.headers),
                             dtype=object)
        for header, name in corpus_file.true_mapping.items():
            spec = _spec(kind, name) if name else None
            if spec is None:
                continue
            cells = frame[header].astype(str)
            if name == "village_code":
                cells = cells.str.replace(r"\.0$", "", regex=True)
            reasons = _reasons(spec, cells, header)
            assert reasons.isna().all(), (corpus_file.path.name, header, reasons.dropna().head(3).tolist())
            if name in required:
                assert (cells.str.strip() != "").all(), (corpus_file.path.name, header)


def test_generated_ids_and_phones_are_well_formed(corpora):
    for corpus_file in corpora["disputes"]:
        for row in corpus_file.rows:
            if row.valid and "party_id_number" in row.values:
                assert is_valid_id_number(row.values["party_id_number"])
            if "party_phone" in row.values:
                assert re.fullmatch(r"1[3-9]\d{9}", row.values["party_phone"])


def test_invalid_reasons_name_their_defect(corpora):
    defects = {row.reason.split(":")[0] for files in corpora.values() for f in files for row in f.invalid}
    assert {"missing_required_date", "impossible_date", "unknown_domain_word"} <= defects
