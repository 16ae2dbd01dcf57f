"""Repeat petitions (重复信访) linked to the petition they repeat, as the demo data links them.

A petition that is not a first petition (``is_first`` false) follows the latest earlier petition
(received before it; on the same day, the one written before it) of the same petitioner about the
same matter, and ``previous_petition_id`` points there:

- the same petitioner: the same ID number; where one of the two petitions has no ID number, the same
  name and phone;
- the same matter: the same problem category (问题类别, ``domain``).

Links are set for the repeats an import wrote, and for earlier repeats of the same petitioners that
had none yet (a repeat imported before the petition it repeats) when they lie in the importer's area.
A repeat without an earlier petition keeps no link, and the import's notes say how many. Links are
recomputed the same way on a re-import, so importing a file again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

POOL = """
CREATE TEMP TABLE repeat_pool ON COMMIT DROP AS
WITH touched AS (SELECT p.domain, p.petitioner_id_number, p.petitioner_name, p.petitioner_phone
                 FROM petition p JOIN repeat_touched t ON t.ref_no = p.ref_no)
SELECT o.id, o.ref_no, o.received_on, o.domain, o.petitioner_id_number AS idn, o.petitioner_name AS nm,
       o.petitioner_phone AS ph, o.is_first, o.previous_petition_id AS previous, o.origin_grid_code AS grid_code
FROM petition o WHERE (o.domain, o.petitioner_id_number) IN (SELECT domain, petitioner_id_number FROM touched)
UNION
SELECT o.id, o.ref_no, o.received_on, o.domain, o.petitioner_id_number, o.petitioner_name, o.petitioner_phone,
       o.is_first, o.previous_petition_id, o.origin_grid_code
FROM petition o
WHERE (o.domain, o.petitioner_name, o.petitioner_phone) IN
      (SELECT domain, petitioner_name, petitioner_phone FROM touched)
"""
POOL_INDEXES = (
    "CREATE INDEX ON repeat_pool (domain, idn, received_on, id)",
    "CREATE INDEX ON repeat_pool (domain, nm, ph, received_on, id)",
    "ANALYZE repeat_pool",
)
EARLIER = """
SELECT c.id FROM (
    (SELECT o.id, o.received_on FROM repeat_pool o
     WHERE o.domain = r.domain AND o.idn = r.idn AND (o.received_on, o.id) < (r.received_on, r.id)
     ORDER BY o.received_on DESC, o.id DESC LIMIT 1)
    UNION ALL
    (SELECT o.id, o.received_on FROM repeat_pool o
     WHERE o.domain = r.domain AND o.nm = r.nm AND o.ph = r.ph AND (o.idn IS NULL OR r.idn IS NULL)
       AND (o.received_on, o.id) < (r.received_on, r.id)
     ORDER BY o.received_on DESC, o.id DESC LIMIT 1)
) c ORDER BY c.received_on DESC, c.id DESC LIMIT 1
"""
LINK = f"""
WITH found AS (
    SELECT r.id, r.ref_no IN (SELECT ref_no FROM repeat_touched) AS touched, ({EARLIER}) AS previous
    FROM repeat_pool r
    WHERE NOT r.is_first AND (r.ref_no IN (SELECT ref_no FROM repeat_touched)
                              OR r.previous IS NULL AND coalesce(starts_with(r.grid_code, CAST(:within AS text)), true))
), changed AS (  -- runs although nothing below reads it
    UPDATE petition p SET previous_petition_id = f.previous FROM found f
    WHERE p.id = f.id AND p.previous_petition_id IS DISTINCT FROM f.previous
)
SELECT count(*) FILTER (WHERE touched AND previous IS NOT NULL),
       count(*) FILTER (WHERE touched AND previous IS NULL),
       count(*) FILTER (WHERE NOT touched AND previous IS NOT NULL)
FROM found
"""


@dataclass(frozen=True)
class Repeats:
    """Of the repeats an import wrote: how many follow an earlier petition, how many none; and how many
    earlier repeats without a link now follow a petition of this import."""

    linked: int
    unlinked: int
    earlier_linked: int

    def notes(self) -> list[str]:
        notes = []
        if self.unlinked:
            notes.append(f"有 {self.unlinked} 件重复信访在系统中找不到同一信访人此前就同一问题类别的信访件，未关联"
                         "（可先导入此前的信访件，再重新导入本台账）")
        if self.earlier_linked:
            notes.append(f"另有 {self.earlier_linked} 件此前导入的重复信访关联到了本次导入的信访件")
        return notes


def link_repeats(session: Session, touched_refs: str, params: dict | None = None,
                 within: str | None = None) -> Repeats:
    """Link the repeats among the petitions whose ``ref_no`` the query ``touched_refs`` (one column, ``ref_no``)
    lists, and the earlier repeats of their petitioners without a link yet (only inside ``within``, if given)."""
    session.execute(text("DROP TABLE IF EXISTS pg_temp.repeat_touched, pg_temp.repeat_pool"))
    session.execute(text(f"CREATE TEMP TABLE repeat_touched ON COMMIT DROP AS {touched_refs}"), params or {})
    session.execute(text("ANALYZE repeat_touched"))
    session.execute(text(POOL))
    for statement in POOL_INDEXES:
        session.execute(text(statement))
    return Repeats(*session.execute(text(LINK), {"within": within}).one())
