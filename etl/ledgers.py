"""The three ledgers counties keep, imported from .xlsx or .csv: disputes, petitions, 12345 hotline tickets.

``read_ledger(path, kind)`` parses and validates without a database: headers are matched against the
alias tables of ``etl.ledger_fields`` (the template's header, or any alias: 纠纷类别/矛盾类型/类别 …);
a file missing a required column is refused whole with the list of what is missing. Every other
problem refuses only its row, with the sheet, row, column and a reason in Chinese.

``load_ledger(frame, session)`` resolves each row's place to a grid cell (coordinates → the cell that
contains the point; a grid code; a village code → that village's first cell; village + township
names) and writes the rows keyed by the ledger's own number (``ref_no``) or, when a ledger has none,
by a fingerprint of the row: new disputes are COPied straight into their table, known ones updated
from a staging table; petitions are staged with COPY and upserted in one statement. Re-importing a
file, or one that overlaps it, updates instead of duplicating, and the counts say how many rows were
new, updated, unchanged or refused, and how many loaded rows carry a warning: ``loaded`` (clean) +
``warned`` (loaded with a warning) + ``refused`` = ``rows``. With ``within`` (a county or township code prefix) rows placed
outside that area, or naming another area's record, are refused. Refused rows, and rows loaded with a
warning (an optional value left out), go to ``import_quarantine`` with their cells, from which
``etl.ledger_reports.error_report`` writes the workbook: the refused rows to fix and re-import, and a
sheet of the warnings. A dispute's parties and finder are stored as ``etl.ledger_parties`` says. Repeat petitions are linked to the petition they repeat
(``etl.ledger_repeats``). Imported rows get ``source = 'import'``; after disputes, the aggregates that
read them are refreshed. ``progress(phase, done, total)`` hears how far it is (``etl.progress``).
``load_ledger`` does not commit: the caller's transaction makes one import all or nothing.

12345 hotline tickets link to petitions by ticket number, both ways: a ticket transferred in (转入)
creates a petition (channel ``hotline_12345``, ``ref_no`` “RX-<ticket>”) or updates the one it created
before; a ticket naming a petition (信访件编号), or transferred out (转出) from one, links to it.
When a petition ledger later lists a ticket that a hotline import created a petition for, the
ledger's petition takes that petition over (its number replaces “RX-…”), so nothing is doubled.

The parts: ``etl.ledger_rules`` (each ledger's fields, derived columns and key), ``etl.ledger_reading``
(file → ``LedgerFrame``), ``etl.ledger_places`` (places → grid cells), ``etl.ledger_area`` (the
importer's area), ``etl.ledger_writing`` (staging, upserts, quarantine), ``etl.ledger_hotline`` (12345
linking) and ``etl.ledger_repeats`` (repeat petitions); this module puts them together.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial

import pandas as pd
from sqlalchemy.orm import Session

from etl.ledger_area import outside
from etl.ledger_fields import no_reasons
from etl.ledger_hotline import HOTLINE_WRITTEN, write_hotline
from etl.ledger_places import cells_containing, locate
from etl.ledger_reading import LedgerFrame, read_ledger
from etl.ledger_repeats import link_repeats
from etl.ledger_rules import SPECS, LedgerSpec
from etl.ledger_writing import (
    PETITIONS_WRITTEN,
    PLACEHOLDER_PREFIX,
    record_batch,
    refused_rows,
    write_disputes,
    write_petitions,
)
from etl.progress import LEDGER_PHASES, Progress, no_progress
from geo.aggregates import DISPUTE_VIEWS, refresh_aggregates
from geo.audit import record
from geo.models import ImportKind


@dataclass
class ImportResult:
    """What an import did (or, with ``dry_run``, would do)."""

    kind: ImportKind
    file: str
    counts: dict[str, int]  # rows = loaded + warned + refused; new + updated + unchanged = loaded + warned
    refusals: pd.DataFrame  # sheet, row, column, reason, cells (list of the row's cells); one per refused row
    headers: dict[str | None, list[str]]
    notes: list[str]
    batch_id: int | None
    dry_run: bool
    columns: list[dict] = field(default_factory=list)
    """Every column of the file and what became of it (``LedgerFrame.columns``)."""
    warnings: pd.DataFrame = field(default_factory=lambda: refused_rows(None, pd.DataFrame()))
    """Like ``refusals``, one per row loaded with a warning (the optional values it was loaded without)."""

    def summary(self) -> str:
        c = self.counts
        text_ = (f"{self.kind.label}“{self.file}”共 {c['rows']} 行：新增 {c['new']} 条，更新 {c['updated']} 条，"
                 f"未变 {c['unchanged']} 条，拒收 {c['refused']} 条")
        if c["warned"]:
            text_ += f"；导入的行中 {c['warned']} 条有提示（可选项无法识别或缺失，已按未填写导入）"
        if self.kind == ImportKind.HOTLINE:
            text_ += f"；其中关联到已有信访件 {c['linked']} 条"
        if c.get("repeats_linked"):
            text_ += f"；{c['repeats_linked']} 件重复信访已关联到此前的信访件"
        return text_ + ("（预检，未写入）" if self.dry_run else "") + "。"


WRITTEN = {ImportKind.PETITIONS: PETITIONS_WRITTEN, ImportKind.HOTLINE: HOTLINE_WRITTEN}
"""Per ledger of petitions: the query listing the petitions an import wrote, whose repeats are linked."""


def read_disputes(path, **options) -> LedgerFrame:
    return read_ledger(path, ImportKind.DISPUTES, **options)


def read_petitions(path, **options) -> LedgerFrame:
    return read_ledger(path, ImportKind.PETITIONS, **options)


def read_hotline(path, **options) -> LedgerFrame:
    return read_ledger(path, ImportKind.HOTLINE, **options)


def load_disputes(frame: LedgerFrame, session: Session, **options) -> ImportResult:
    return load_ledger(frame, session, **options)


load_petitions = load_hotline = load_disputes


def load_ledger(frame: LedgerFrame, session: Session, *, dry_run: bool = False, imported_by: str | None = None,
                within: str | None = None, progress: Progress = no_progress) -> ImportResult:
    """Write ``frame`` in the session's transaction (or, with ``dry_run``, report and roll back).

    ``within``: a code prefix (county or township); rows placed outside it, or naming another area's
    record, are refused. ``progress(phase, done, total)`` hears of the phases "locate", "stage",
    "write" and "refresh" (rows done of rows in the phase).
    """
    records = frame.records
    progress("locate", 0, len(records))
    grid, location_reasons = locate(session, records) if len(records) else (pd.Series(dtype=object), no_reasons([]))
    foreign = outside(session, records, grid, within)
    progress("locate", len(records), len(records))
    savepoint = session.begin_nested() if dry_run else nullcontext()
    try:
        writer = {ImportKind.DISPUTES: partial(write_disputes, bulk=not dry_run),
                  ImportKind.PETITIONS: write_petitions, ImportKind.HOTLINE: write_hotline}[frame.kind]
        mine = records.drop(index=foreign["idx"])
        counts, refused = writer(session, mine.assign(grid_code=grid.drop(index=foreign["idx"])),
                                 location_reasons.drop(index=foreign["idx"]), within=within, progress=progress)
        problems = pd.concat([frame.refused, foreign, refused], ignore_index=True)
        refused_idx = problems["idx"].unique()
        warned = frame.warnings[~frame.warnings["idx"].isin(refused_idx)]
        # A refused row's warnings join its reasons, so that the user fixes everything at once.
        refusals = refused_rows(frame, pd.concat([problems, frame.warnings[frame.warnings["idx"].isin(refused_idx)]],
                                                 ignore_index=True))
        warnings = refused_rows(frame, warned)
        counts = {"rows": frame.total, **counts, "loaded": frame.total - len(refusals) - len(warnings),
                  "warned": len(warnings), "refused": len(refusals)}
        counts.setdefault("linked", 0)
        notes = list(frame.notes)
        if frame.kind in WRITTEN:
            repeats = link_repeats(session, WRITTEN[frame.kind], {"prefix": PLACEHOLDER_PREFIX}, within)
            counts["repeats_linked"] = repeats.linked
            notes += repeats.notes()
        batch_id = record_batch(session, frame, counts, refusals, imported_by, warnings)
        record(session, imported_by or "", "import", f"import_batch/{batch_id}",
               {"kind": frame.kind.value, "file": frame.file, "within": within, **counts})
        if not dry_run and frame.kind is ImportKind.DISPUTES:
            progress("refresh", 0, len(records))
            refresh_aggregates(session, DISPUTE_VIEWS)
            progress("refresh", len(records), len(records))
    finally:
        if dry_run:
            savepoint.rollback()
    return ImportResult(frame.kind, frame.file, counts, refusals, frame.headers, notes,
                        None if dry_run else batch_id, dry_run, frame.columns, warnings)


__all__ = ["LEDGER_PHASES", "PLACEHOLDER_PREFIX", "SPECS", "ImportResult", "LedgerFrame", "LedgerSpec", "Progress",
           "cells_containing", "load_disputes", "load_hotline", "load_ledger", "load_petitions", "locate",
           "read_disputes", "read_hotline", "read_ledger", "read_petitions"]
