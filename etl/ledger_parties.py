"""The people a dispute ledger names: its parties (当事人) and its finder (排查人).

Finders: a name that is exactly one party member's in the dispute's village, or else exactly one in its
township, links ``found_by_member_id``; any other name is kept as text (``found_by_name``).

Parties go to ``dispute_party`` in the order of the cell, each linked to a household whose head has
the party's ID number (one such household in the importer's area), or else the party's name in the
dispute's village (one such household, and no other ID number on either side); a linked household is
also added to ``dispute_household``. A dispute's parties are replaced only when the ledger's differ
from those stored, so a re-import changes nothing. A ledger without party columns leaves them alone.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from etl.copy import copy_frame


def finders(session: Session, names: pd.Series, grid_codes: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(member id or None, name kept as text or None) per row, for the ``found_by`` names in those cells."""
    given = names.where(names.map(lambda v: isinstance(v, str)), None)
    member = pd.Series(None, index=names.index, dtype=object)
    wanted = given.notna()
    if wanted.any():
        rows = session.execute(text(
            "SELECT id, name, left(grid_code, 12) AS village, township_code FROM party_member"
            " WHERE name = ANY(:names) AND township_code = ANY(:townships)"
        ), {"names": sorted(set(given[wanted])),
            "townships": sorted({c[:9] + "000" for c in grid_codes[wanted]})}).all()
        members = pd.DataFrame(rows, columns=["id", "name", "village", "township"])
        for level, width, suffix in (("village", 12, ""), ("township", 9, "000")):
            unique = members.groupby(["name", level])["id"].agg(lambda ids: ids.iloc[0] if len(ids) == 1 else None)
            keys = list(zip(given, grid_codes.map(lambda c: c[:width] + suffix if isinstance(c, str) else None)))
            found = pd.Series([unique.get(k) for k in keys], index=names.index, dtype=object)
            member = member.where(member.notna() | ~wanted, found)
    member = member.map(lambda v: int(v) if v is not None and v == v else None)
    return member, given.where(member.isna(), None)


PARTY_STAGE = "ref_no text, position smallint, name text, id_number text, phone text"
PARTIES_WRITE = """
CREATE TEMP TABLE party_new ON COMMIT DROP AS
SELECT d.id AS dispute_id, s.position, s.name, s.id_number, s.phone, coalesce(
    (SELECT min(h.id) FROM household h WHERE h.head_id_number = s.id_number
       AND starts_with(h.grid_code, CAST(:within AS text)) HAVING count(*) = 1),
    (SELECT min(h.id) FROM household h WHERE h.head_name = s.name AND left(h.grid_code, 12) = left(d.grid_code, 12)
       AND (s.id_number IS NULL OR h.head_id_number IS NULL) HAVING count(*) = 1)) AS household_id
FROM party_stage s JOIN dispute d ON d.ref_no = s.ref_no WHERE s.position IS NOT NULL;
CREATE TEMP TABLE party_changed ON COMMIT DROP AS
SELECT d.id AS dispute_id, d.ref_no FROM dispute d JOIN (SELECT DISTINCT ref_no FROM party_stage) k ON k.ref_no = d.ref_no
WHERE (SELECT array_agg(ROW(position, name, id_number, phone, household_id)::text ORDER BY position)
       FROM dispute_party p WHERE p.dispute_id = d.id) IS DISTINCT FROM
      (SELECT array_agg(ROW(position, name, id_number, phone, household_id)::text ORDER BY position)
       FROM party_new n WHERE n.dispute_id = d.id);
DELETE FROM dispute_household x USING dispute_party p, party_changed c
WHERE p.dispute_id = c.dispute_id AND x.dispute_id = c.dispute_id AND x.household_id = p.household_id;
DELETE FROM dispute_party p USING party_changed c WHERE p.dispute_id = c.dispute_id;
INSERT INTO dispute_party (dispute_id, position, name, id_number, phone, household_id)
SELECT n.dispute_id, n.position, n.name, n.id_number, n.phone, n.household_id FROM party_new n JOIN party_changed USING (dispute_id);
INSERT INTO dispute_household (dispute_id, household_id)
SELECT DISTINCT n.dispute_id, n.household_id FROM party_new n JOIN party_changed USING (dispute_id)
WHERE n.household_id IS NOT NULL ON CONFLICT DO NOTHING
"""


def write_parties(session: Session, keys: pd.Series, parties: pd.Series, within: str | None) -> set[str]:
    """Store the parties of the written disputes (``keys`` their ref_no); the ref_no whose parties changed."""
    rows = [(key, position, *party) for key, found in zip(keys, parties)
            for position, party in enumerate(found or ())] + [(key, None, None, None, None) for key in keys]
    session.execute(text(f"CREATE TEMP TABLE party_stage ({PARTY_STAGE}) ON COMMIT DROP"))
    copy_frame(session, "party_stage", pd.DataFrame(rows, columns=["ref_no", "position", "name", "id_number", "phone"])
               .astype({"position": "Int64"}))
    for statement in PARTIES_WRITE.split(";\n"):
        session.execute(text(statement), {"within": within or ""})
    changed = set(session.execute(text("SELECT ref_no FROM party_changed")).scalars())
    session.execute(text("DROP TABLE party_stage, party_new, party_changed"))
    return changed
