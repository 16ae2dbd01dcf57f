"""Writing located ledger rows with COPY, and the batch with its quarantine.

Rows are written by their key (the ledger's number or a fingerprint), so a re-import updates instead
of duplicating; the counts say how many rows were new, updated or unchanged. New disputes are COPied
straight into ``dispute`` and known ones updated from a staging table; petitions are staged and
upserted in one statement. ``record_batch`` records the import in ``import_batch`` and its refused
rows and the rows it loaded with a warning (``warning`` true), with their cells, in ``import_quarantine``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from etl.copy import copy_frame, ewkt_points, indexes_and_keys_deferred
from etl.ledger_area import drop_foreign
from etl.ledger_parties import finders, write_parties
from etl.ledger_reading import LedgerFrame
from etl.ledger_rules import SEPARATOR
from etl.progress import Progress, no_progress

PLACEHOLDER_PREFIX = "RX-"
"""``ref_no`` of a petition created from a hotline ticket until a petition ledger gives it its own number."""
BULK_ROWS = 50_000
"""From this many new disputes on, the dispute table's secondary indexes and foreign keys are rebuilt once
after the COPY (as the demo loader does) instead of maintained row by row; the table is then locked
for the rest of the import's transaction."""


def refused_rows(frame: LedgerFrame, problems: pd.DataFrame) -> pd.DataFrame:
    """One line per row with ``problems`` (refusals or warnings): sheet, row, columns, reasons, the row's cells."""
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


def stage_table(session: Session, name: str, columns: str, frame: pd.DataFrame,
                progress: Progress = no_progress) -> None:
    """COPY ``frame`` into a temporary table ``name`` (dropped at commit), reporting phase "stage" per chunk."""
    session.execute(text(f"DROP TABLE IF EXISTS pg_temp.{name}"))
    session.execute(text(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP"))
    progress("stage", 0, len(frame))
    copy_frame(session, name, frame, lambda done: progress("stage", done, len(frame)))
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


DISPUTE_COLUMNS = ("grid_code", "geom", "domain", "risk_level", "status", "channel", "reported_at", "resolved_at",
                   "households_involved", "summary", "found_by_member_id", "found_by_name", "source")
DISPUTE_STAGE = ("ref_no text PRIMARY KEY, grid_code text, geom text, domain text, risk_level text, status text,"
                 " channel text, reported_at timestamptz, resolved_at timestamptz, households_involved smallint,"
                 " summary text, found_by_member_id bigint, found_by_name text, source text")
DISPUTE_UPDATE = f"""
UPDATE dispute d SET {", ".join(f"{c} = s.{c}" for c in DISPUTE_COLUMNS)}
FROM (SELECT ref_no, grid_code, ST_GeomFromEWKT(geom) AS geom, {", ".join(DISPUTE_COLUMNS[2:])} FROM ledger_stage) s
WHERE d.ref_no = s.ref_no AND ({", ".join(f"d.{c}" for c in DISPUTE_COLUMNS)}) IS DISTINCT FROM
                              ({", ".join(f"s.{c}" for c in DISPUTE_COLUMNS)})
RETURNING d.ref_no
"""


def write_disputes(session: Session, records: pd.DataFrame, location_reasons: pd.Series, *,
                   within: str | None = None, progress: Progress = no_progress, bulk: bool = True):
    """Write the located disputes (none of another area's when ``within``); the counts and the refused rows.

    Numbers already in ``dispute`` are updated where a value changed; new ones are COPied straight into
    the table (COPY inserts rows in batches; staging them and an INSERT … SELECT took about a quarter longer for a
    million rows). The table is locked against other writers first, so no other import adds
    a number between the check and the COPY. From ``BULK_ROWS`` new rows on, the table's secondary
    indexes and foreign keys are dropped and rebuilt around the COPY, which locks readers out until the
    transaction ends: a preview, rolled back anyway, passes ``bulk=False`` so the dashboard reads on.
    Finders and parties are written as ``etl.ledger_parties`` says; a dispute whose parties changed is updated.
    """
    ok = records[records["grid_code"].notna()]
    member, finder = finders(session, ok["found_by"], ok["grid_code"])
    rows = pd.DataFrame({
        "ref_no": ok["key"], "grid_code": ok["grid_code"], "geom": _ewkt(ok["lon"], ok["lat"]),
        "domain": ok["domain"], "risk_level": ok["risk_level"], "status": ok["status"], "channel": ok["channel"],
        "reported_at": _timestamps(ok["reported_at"]), "resolved_at": _timestamps(ok["resolved_at"]),
        "households_involved": ok["households_involved"], "summary": ok["summary"],
        "found_by_member_id": member.astype("Int64"), "found_by_name": finder, "source": "import",
    })
    session.execute(text("LOCK TABLE dispute IN SHARE ROW EXCLUSIVE MODE"))
    stage_table(session, "ledger_keys", "key text PRIMARY KEY, idx bigint",
                pd.DataFrame({"key": ok["key"], "idx": ok.index.to_numpy()}), progress)
    foreign = drop_foreign(session, "ledger_keys", "dispute", "grid_code", within, "纠纷编号")
    rows = rows.drop(index=foreign["idx"])
    known = rows["ref_no"].isin(session.execute(text(
        "SELECT k.key FROM ledger_keys k JOIN dispute d ON d.ref_no = k.key")).scalars().all())
    progress("write", 0, len(rows))
    updated: set[str] = set()
    if known.any():
        stage_table(session, "ledger_stage", DISPUTE_STAGE, rows[known])
        updated = set(session.execute(text(DISPUTE_UPDATE)).scalars())
    new = rows[~known]
    done = int(known.sum())

    def sent(count: int) -> None:
        progress("write", done + count, len(rows))

    if bulk and len(new) >= BULK_ROWS:  # one index build beats a million index insertions (and FK lookups)
        with indexes_and_keys_deferred(session, ("dispute",)):
            copy_frame(session, "dispute", new, sent)
    else:
        copy_frame(session, "dispute", new, sent)
    if "parties" in ok:
        changed = write_parties(session, rows["ref_no"], ok.loc[rows.index, "parties"], within)
        updated |= changed & set(rows.loc[known, "ref_no"])
    progress("write", len(rows), len(rows))
    refused = pd.concat([_as_problems(location_reasons, "位置"), foreign], ignore_index=True)
    return {"new": len(new), "updated": len(updated), "unchanged": done - len(updated)}, refused


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
        for c in PETITION_COLUMNS)},
        previous_petition_id = CASE WHEN excluded.is_first THEN NULL ELSE p.previous_petition_id END
    WHERE ({", ".join(f"p.{c}" for c in PETITION_COLUMNS)}) IS DISTINCT FROM
          ({", ".join(f"excluded.{c}" if c != "hotline_ticket" else "coalesce(excluded.hotline_ticket, p.hotline_ticket)"
                      for c in PETITION_COLUMNS)})
    RETURNING (xmax = 0) AS inserted, p.ref_no
)
SELECT count(*) FILTER (WHERE inserted), array_agg(ref_no) FILTER (WHERE NOT inserted) FROM written
"""


def petition_stage(rows: pd.DataFrame, keys: pd.Series) -> pd.DataFrame:
    """Rows as ``PETITION_STAGE`` columns, with the defaults of what a ledger does not give."""
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


PETITIONS_WRITTEN = "SELECT key AS ref_no FROM ledger_stage"
"""The ``ref_no`` of the petitions ``write_petitions`` wrote (for ``etl.ledger_repeats.link_repeats``)."""


def write_petitions(session: Session, records: pd.DataFrame, location_reasons: pd.Series, *,
                    within: str | None = None, progress: Progress = no_progress):
    """Upsert the located petitions, taking over the placeholders of their hotline tickets; counts, refusals."""
    refused = [_as_problems(location_reasons, "位置")]
    ok = records[records["grid_code"].notna()]
    stage_table(session, "ledger_stage", PETITION_STAGE, petition_stage(ok, ok["key"]), progress)
    refused.append(drop_foreign(session, "ledger_stage", "petition", "origin_grid_code", within, "信访件编号"))
    # A ticket already on another petition: a placeholder a hotline import made (in the user's area) is taken
    # over; else refused.
    clashes = session.execute(text(
        "SELECT s.idx, s.key, s.hotline_ticket, p.ref_no, p.ref_no = :prefix || s.hotline_ticket AS placeholder,"
        " EXISTS (SELECT 1 FROM petition q WHERE q.ref_no = s.key) AS own,"
        " coalesce(starts_with(p.origin_grid_code, CAST(:within AS text)), true) AS mine"
        " FROM ledger_stage s JOIN petition p ON p.hotline_ticket = s.hotline_ticket WHERE p.ref_no <> s.key"
    ), {"prefix": PLACEHOLDER_PREFIX, "within": within}).all()
    adopt = [{"old": c.ref_no, "new": c.key} for c in clashes if c.placeholder and not c.own and c.mine]
    if adopt:
        session.execute(text("UPDATE petition SET ref_no = :new WHERE ref_no = :old"), adopt)
    refuse = [c for c in clashes if not (c.placeholder and not c.own and c.mine)]
    if refuse:
        session.execute(text("DELETE FROM ledger_stage WHERE idx = ANY(:idx)"), {"idx": [c.idx for c in refuse]})
        refused.append(pd.DataFrame({"idx": [c.idx for c in refuse], "column": "12345工单号", "reason": [
            f"12345 工单 {c.hotline_ticket} 已关联信访件 {c.ref_no}" + (
                "：同一工单不能关联两件信访事项" if c.mine else "，该信访件不在您的管辖范围内") for c in refuse]}))
    staged = len(ok) - len(refused[1]) - len(refuse)
    progress("write", 0, staged)
    new, updated_refs = session.execute(text(PETITION_UPSERT)).one()
    progress("write", staged, staged)
    updated = len(set(updated_refs or ()) | {a["new"] for a in adopt})  # taking a placeholder over is an update
    return {"new": new, "updated": updated, "unchanged": staged - new - updated}, pd.concat(refused, ignore_index=True)


def record_batch(session: Session, frame: LedgerFrame, counts: dict, refusals: pd.DataFrame,
                 imported_by: str | None, warnings: pd.DataFrame | None = None) -> int:
    """Record the import in ``import_batch``, its refused and its warned rows in ``import_quarantine``; the id."""
    batch_id = session.execute(text(
        "INSERT INTO import_batch (kind, file_name, file_sha256, imported_by, counts)"
        " VALUES (:kind, :file, :sha, :by, CAST(:counts AS jsonb)) RETURNING id"
    ), {"kind": frame.kind.value, "file": frame.file, "sha": frame.sha256, "by": imported_by,
        "counts": json.dumps(counts, ensure_ascii=False)}).scalar()
    for lines, warning in ((refusals, False), (warnings, True)):
        if lines is None or not len(lines):
            continue
        raws = [json.dumps(dict(zip(_labels(frame.headers[s if isinstance(s, str) else None]), cells)),
                           ensure_ascii=False) for s, cells in zip(lines["sheet"], lines["cells"])]
        copy_frame(session, "import_quarantine", pd.DataFrame({
            "batch_id": batch_id, "file_name": frame.file, "sheet": lines["sheet"], "row_number": lines["row"],
            "column_name": lines["column"].where(lines["column"] != "", None), "reason": lines["reason"],
            "raw": raws, "warning": warning,
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
