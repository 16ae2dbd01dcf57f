"""Showing one personal field in clear (查看个人信息): checked, logged, and masked everywhere else.

Only the fields below may be revealed: of households, members, petitions, a dispute's finder kept as
text (``found_by_name``) and a dispute's parties (``dispute_party``, placed by their dispute's cell). A reveal needs the "reveal" action inside the record's area, and the record must be visible in
the caller's session (under row-level security an out-of-area record is simply not found). Every
reveal and every refusal is written to the audit log in the caller's transaction; the value never is.
"""

from __future__ import annotations

from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.access import Principal, require_action
from geo.audit import record
from geo.errors import Forbidden
from geo.models import Dispute, DisputeParty, Household, PartyMember, Petition
from geo.privacy import mask_id_number, mask_name, mask_phone

KINDS = {
    "household": (Household, Household.grid_code, "住户"),
    "member": (PartyMember, PartyMember.grid_code, "党员"),
    "petition": (Petition, Petition.origin_grid_code, "信访事项"),
    "dispute": (Dispute, Dispute.grid_code, "矛盾纠纷"),
    "dispute_party": (DisputeParty, select(Dispute.grid_code).where(Dispute.id == DisputeParty.dispute_id)
                      .scalar_subquery(), "纠纷当事人"),
}
"""Kind → (model, its grid code column, what a person calls it)."""

FIELDS: dict[str, dict[str, Callable[[str | None], str]]] = {
    "household": {"head_name": mask_name, "head_id_number": mask_id_number, "head_phone": mask_phone},
    "member": {"name": mask_name, "phone": mask_phone},
    "petition": {"petitioner_name": mask_name, "petitioner_id_number": mask_id_number,
                 "petitioner_phone": mask_phone},
    "dispute": {"found_by_name": mask_name},
    "dispute_party": {"name": mask_name, "id_number": mask_id_number, "phone": mask_phone},
}
"""Kind → the personal fields that may be revealed → the mask shown otherwise."""

MAX_ID = 2**63 - 1
MAX_LOGGED = 60
"""Characters of a caller's kind or field kept in a refusal entry (a forged request may send anything)."""


def masked(kind: str, field: str, value: str | None) -> str:
    """``value`` as pages show it by default: masked the way its field is."""
    return FIELDS[kind][field](value)


def reveal(session: Session, actor: Principal, kind: str, record_id: int, field: str) -> str:
    """The plain value of ``field`` of record ``kind/record_id`` ("" when empty); logged either way.

    Refusals raise ``Forbidden`` after adding a "refused" entry to ``session``: the caller must let that
    transaction commit (catch the error inside the ``with`` block) for the refusal to stay on record.
    """
    target = f"{kind}/{record_id}"[:MAX_LOGGED]
    try:
        value = _read(session, actor, kind, record_id, field)
    except Forbidden as exc:
        record(session, actor.username, "refused", target,
               {"action": "reveal", "field": str(field)[:MAX_LOGGED], "reason": str(exc)})
        raise
    record(session, actor.username, "reveal", target, {"field": field})
    return value or ""


def _read(session: Session, actor: Principal, kind, record_id, field) -> str | None:
    require_action(actor, "reveal")
    if not (isinstance(kind, str) and isinstance(field, str) and field in FIELDS.get(kind, {})):
        raise Forbidden("该字段不属于可查看的个人信息。")
    model, grid_code, label = KINDS[kind]
    row = None
    if isinstance(record_id, int) and not isinstance(record_id, bool) and 0 < record_id <= MAX_ID:
        row = session.execute(select(getattr(model, field), grid_code).where(model.id == record_id)).one_or_none()
    if row is None:
        raise Forbidden(f"找不到该{label}，或它不在您的管辖范围内。")
    require_action(actor, "reveal", row[1])
    return row[0]
