"""12345 hotline tickets, linked to petitions by ticket number both ways.

A ticket transferred in (转入) creates a petition (channel ``hotline_12345``, ``ref_no`` “RX-<ticket>”)
or updates the one it created before; a ticket naming a petition (信访件编号), or transferred out (转出)
from one, links to it. Conflicting links are refused with the petition and ticket they clash with.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from etl.ledger_area import area_label
from etl.ledger_fields import LOCATION_HINT
from etl.ledger_writing import PETITION_STAGE, PLACEHOLDER_PREFIX, petition_stage, stage_table
from etl.progress import Progress, no_progress

HOTLINE_MATCH = """
UPDATE hotline_stage s SET petition_id = p.id, petition_ref = p.ref_no, matched_by = 'ticket',
       placeholder = (p.ref_no = :prefix || s.key)
FROM petition p WHERE p.hotline_ticket = s.key;
UPDATE hotline_stage s SET petition_id = p.id, petition_ref = p.ref_no, matched_by = 'ref', other_ticket = p.hotline_ticket,
       placeholder = false
FROM petition p WHERE s.petition_id IS NULL AND s.petition_ref_no IS NOT NULL AND p.ref_no = s.petition_ref_no;
"""
HOTLINE_WRITTEN = "SELECT coalesce(petition_ref, :prefix || key) AS ref_no FROM hotline_stage"
"""The ``ref_no`` of the petitions ``write_hotline`` created, updated or linked (for ``link_repeats``)."""
HOTLINE_UPDATE_COLUMNS = ("origin_grid_code", "category", "domain", "petitioner_name", "petitioner_id_number",
                          "petitioner_phone", "is_first", "lodged_level", "status", "received_on", "closed_on",
                          "satisfaction")


def write_hotline(session: Session, records: pd.DataFrame, location_reasons: pd.Series, *,
                  within: str | None = None, progress: Progress = no_progress):
    """Link tickets to petitions, or create and update their placeholder petitions; counts, refusals.

    With ``within``, a ticket that matches a petition outside that area is refused.
    """
    stage = petition_stage(records.assign(channel="hotline_12345"), records["key"])
    stage["petition_ref_no"] = records["petition_ref_no"]
    stage["direction"] = records["direction"]
    stage["location_reason"] = location_reasons
    stage_table(session, "hotline_stage", PETITION_STAGE + ", petition_ref_no text, direction text,"
                " location_reason text, petition_id bigint, petition_ref text, matched_by text, other_ticket text,"
                " placeholder boolean", stage, progress)
    for statement in HOTLINE_MATCH.strip().split(";\n"):
        session.execute(text(statement), {"prefix": PLACEHOLDER_PREFIX})
    foreign = session.execute(text(
        "DELETE FROM hotline_stage s USING petition p WHERE p.id = s.petition_id"
        " AND NOT starts_with(p.origin_grid_code, :within) RETURNING s.idx, s.key, p.ref_no, p.origin_grid_code"
    ), {"within": within}).all() if within else []
    area = area_label(session, within) if foreign else ""
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
    staged = len(stage) - len(refuse) - len(foreign)
    refuse += [(i, "信访件编号", f"工单 {key} 关联的信访件 {ref} 位于网格 {code}，不在您的管辖范围（{area}）内")
               for i, key, ref, code in foreign]
    progress("write", 0, staged)
    if refuse:
        session.execute(text("DELETE FROM hotline_stage WHERE idx = ANY(:idx)"), {"idx": [i for i, _, _ in refuse]})
    linked_new = session.execute(text(
        "UPDATE petition p SET hotline_ticket = s.key FROM hotline_stage s"
        " WHERE s.matched_by = 'ref' AND p.id = s.petition_id RETURNING p.id"
    )).rowcount
    columns = HOTLINE_UPDATE_COLUMNS
    values = [f"coalesce(s.{c}, p.{c})" if c == "origin_grid_code" else f"s.{c}" for c in columns]  # no place: kept
    updated = session.execute(text(
        f"UPDATE petition p SET {', '.join(f'{c} = {v}' for c, v in zip(columns, values))}, source = 'import',"
        " previous_petition_id = CASE WHEN s.is_first THEN NULL ELSE p.previous_petition_id END"
        " FROM hotline_stage s WHERE s.matched_by = 'ticket' AND s.placeholder AND p.id = s.petition_id"
        f" AND ({', '.join(f'p.{c}' for c in columns)}, p.source) IS DISTINCT FROM ({', '.join(values)}, 'import')"
    )).rowcount
    new = session.execute(text(
        f"INSERT INTO petition (ref_no, channel, hotline_ticket, head_count, nationally_registered, extension_days,"
        f" source, {', '.join(columns)})"
        f" SELECT :prefix || key, 'hotline_12345', key, 1, false, 0, 'import', {', '.join(columns)}"
        " FROM hotline_stage WHERE petition_id IS NULL"
    ), {"prefix": PLACEHOLDER_PREFIX}).rowcount
    linked_before = session.execute(text(
        "SELECT count(*) FROM hotline_stage WHERE matched_by = 'ticket' AND NOT placeholder")).scalar()
    progress("write", staged, staged)
    counts = {"new": new, "updated": updated + linked_new, "unchanged": staged - new - updated - linked_new,
              "linked": linked_new + linked_before}
    refused = pd.DataFrame({"idx": [i for i, _, _ in refuse], "column": [c for _, c, _ in refuse],
                            "reason": [r for _, _, r in refuse]})
    return counts, refused
