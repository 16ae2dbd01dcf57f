"""党员联户 changes made by grid supervisors: link, move, unlink, accept a suggestion, undo; caps and history.

Every change is checked here, on the server, whatever the page did:

- the role may "link" and every member and household touched (and the member a household leaves) lies in
  the actor's write area; ids the session cannot see (row-level security hides other areas) are refused;
- one active link per household: a link is closed (``valid_to = clock_timestamp()``, ``ended_by``) before
  another opens, so the history stays; ``clock_timestamp()`` keeps several changes of one transaction ordered;
- a member's active load after the change stays within the effective cap, min(member capacity, township cap);
- a household is linked only to a member of its own grid cell or of a neighbouring one (cells whose polygons
  intersect, a shared corner included) unless the caller confirms the exception, which the change records.

Concurrent changes are serialised by transaction-level advisory locks on the members gaining households
and on the households, taken in one global order (members, then households, by id) before anything is
read: the application role has no UPDATE right on ``party_member`` or ``household``, which
``SELECT … FOR UPDATE`` would need. The unique index over open links is the last wall; its violation
becomes the same message as a household found linked.

Each change writes one ``link_change`` row (items: household, from and to member, exception) and one audit
entry. Refusals for area or role (``Forbidden``) also add a "refused" audit entry before raising: the
caller must let the transaction commit (catch inside the ``with`` block) for it to stay on record.
Loads count every active link of the member (``member_active_links``, a count the database gives past
row-level security), also links to households of another township the actor cannot see.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from numbers import Integral

import pandas as pd
from sqlalchemy import insert, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from geo.access import Principal, require_action
from geo.areas import TOWNSHIP_CODE
from geo.audit import ACTION_LABELS, record
from geo.errors import Forbidden, InvalidInput, NotFound
from geo.models import DEFAULT_LINK_CAP, LinkChange
from geo.privacy import mask_name

MAX_IDS_SHOWN = 8
MAX_CAP = 100
LOCK_MEMBER, LOCK_HOUSEHOLD = 0x66710001, 0x66710002
"""Advisory-lock namespaces (first key) of members and households; the second key is the id."""
GAINING_KINDS = ("link", "move", "accept_suggestion")
"""Changes that give households to members by choice, so the neighbour rule applies (undo restores)."""

NEIGHBOURS_SQL = """
SELECT a.code AS cell, b.code AS neighbour FROM grid_cell a JOIN grid_cell b ON ST_Intersects(a.geom, b.geom)
WHERE a.code = ANY(CAST(:cells AS text[]))
"""
"""Each cell of ``:cells`` with every cell whose polygon intersects it (itself included)."""

_LOCK = text("""
SELECT count(pg_advisory_xact_lock(ns, (id % 2147483647)::int)) FROM (
    SELECT ns, id FROM unnest(CAST(:ns AS int[]), CAST(:ids AS bigint[])) AS t(ns, id) ORDER BY ns, id OFFSET 0
) ordered
""")
_HOUSEHOLDS = text("""
SELECT h.id, h.grid_code, h.township_code, l.member_id AS current, m.grid_code AS current_grid,
       (SELECT coalesce(x.ended_by, x.assigned_by) FROM member_household_link x
        WHERE x.household_id = h.id ORDER BY x.id DESC LIMIT 1) AS last_by
FROM household h
LEFT JOIN member_household_link l ON l.household_id = h.id AND l.valid_to IS NULL
LEFT JOIN party_member m ON m.id = l.member_id
WHERE h.id = ANY(CAST(:ids AS bigint[]))
""")
_MEMBERS = text("""
SELECT m.id, m.grid_code, m.name, LEAST(m.capacity, coalesce(c.cap, :default_cap)) AS cap,
       member_active_links(m.id) AS load
FROM party_member m LEFT JOIN link_cap c ON c.township_code = m.township_code
WHERE m.id = ANY(CAST(:ids AS bigint[]))
""")
_NOT_NEIGHBOURS = text("""
SELECT p.hg, p.mg FROM unnest(CAST(:hgs AS text[]), CAST(:mgs AS text[])) AS p(hg, mg)
WHERE p.hg <> p.mg AND NOT EXISTS (
    SELECT 1 FROM grid_cell a JOIN grid_cell b ON ST_Intersects(a.geom, b.geom) WHERE a.code = p.hg AND b.code = p.mg)
""")
_CLOSE = text("""
UPDATE member_household_link SET valid_to = clock_timestamp(), ended_by = :username
WHERE household_id = ANY(CAST(:ids AS bigint[])) AND valid_to IS NULL
""")
_OPEN = text("""
INSERT INTO member_household_link (member_id, household_id, valid_from, assigned_by)
SELECT t.m, t.h, clock_timestamp(), :username FROM unnest(CAST(:members AS bigint[]), CAST(:ids AS bigint[])) AS t(m, h)
""")


@dataclass(frozen=True)
class ChangeResult:
    change_id: int | None
    """``link_change.id``; None when nothing changed."""
    kind: str
    """"link" | "unlink" | "move" | "accept_suggestion" | "undo"."""
    changed: int
    """Households whose link changed."""
    message: str
    """One Chinese sentence for the page."""


class NeedsException(InvalidInput):
    """Some households lie neither in the member's grid cell nor in a neighbouring one.

    ``households`` are their ids and ``cells`` their grid codes; calling again with
    ``confirm_exception=True`` makes the change and records these households as exceptions.
    """

    def __init__(self, message: str, households: list[int], cells: list[str]):
        super().__init__(message)
        self.households = households
        self.cells = cells


def link(session: Session, actor: Principal, household_ids: list[int], member_id: int, *,
         confirm_exception: bool = False) -> ChangeResult:
    """Link households that have no active link to ``member_id``."""
    member = _id(member_id, "党员")
    return _change(session, actor, "link", dict.fromkeys(_ids(household_ids), member),
                   confirm_exception=confirm_exception)


def move(session: Session, actor: Principal, household_ids: list[int], member_id: int, *,
         confirm_exception: bool = False) -> ChangeResult:
    """Move linked households from their member to ``member_id``."""
    member = _id(member_id, "党员")
    return _change(session, actor, "move", dict.fromkeys(_ids(household_ids), member),
                   confirm_exception=confirm_exception)


def unlink(session: Session, actor: Principal, household_ids: list[int]) -> ChangeResult:
    """End the active link of each household."""
    return _change(session, actor, "unlink", dict.fromkeys(_ids(household_ids)))


def apply_suggestion(session: Session, actor: Principal, pairs: list[tuple[int, int]], *,
                     confirm_exception: bool = False) -> ChangeResult:
    """Link unlinked households as suggested: ``pairs`` of (household_id, member_id)."""
    targets: dict[int, int] = {}
    for household, member in pairs:
        household, member = _id(household, "住户"), _id(member, "党员")
        if targets.setdefault(household, member) != member:
            raise InvalidInput(f"建议中住户 {household} 对应了不止一名党员，请重新生成建议。")
    if not targets:
        raise InvalidInput("建议中没有可采纳的住户。")
    return _change(session, actor, "accept_suggestion", targets, confirm_exception=confirm_exception)


def undo_last(session: Session, actor: Principal) -> ChangeResult:
    """Reverse the actor's newest change that is not an undo and not yet undone.

    Refused when a household has changed since (its active member is no longer the one that change set).
    """
    _refusals_logged(session, actor, "undo", None, lambda: require_action(actor, "link"))
    last = session.execute(text(
        "SELECT id, kind, items FROM link_change WHERE username = :username AND kind <> 'undo' AND undone_by IS NULL"
        " ORDER BY id DESC LIMIT 1"), {"username": actor.username}).one_or_none()
    if last is None:
        return ChangeResult(None, "undo", 0, "没有可以撤销的联户调整。")
    items = last.items
    return _change(session, actor, "undo", {i["household_id"]: i["from_member"] for i in items},
                   expected={i["household_id"]: i["to_member"] for i in items}, undoes=(last.id, last.kind))


def link_cap(session: Session, township_code: str) -> int:
    """The township's cap on households per member, ``DEFAULT_LINK_CAP`` where none is set."""
    cap = session.execute(text("SELECT cap FROM link_cap WHERE township_code = :code"),
                          {"code": township_code}).scalar()
    return DEFAULT_LINK_CAP if cap is None else cap


def member_cap(session: Session, member_id: int) -> int:
    """A member's effective cap: the smaller of their own capacity and their township's cap."""
    row = session.execute(_MEMBERS, {"ids": [member_id], "default_cap": DEFAULT_LINK_CAP}).one_or_none()
    if row is None:
        raise NotFound(f"找不到党员 {member_id}，或其不在您的查看范围内。")
    return row.cap


def set_link_cap(session: Session, actor: Principal, township_code: str, cap: int) -> None:
    """Set a township's cap (1–100 households per member); members already above it stay linked."""
    if not (isinstance(township_code, str) and TOWNSHIP_CODE.fullmatch(township_code)):
        raise InvalidInput(f"乡镇（街道）代码应为 12 位数字：{township_code!r}。")
    if isinstance(cap, bool) or not isinstance(cap, Integral) or not 1 <= cap <= MAX_CAP:
        raise InvalidInput(f"联户上限应为 1 到 {MAX_CAP} 之间的整数，收到 {cap!r}。")
    cap = int(cap)
    _refusals_logged(session, actor, "set_link_cap", f"link_cap/{township_code}",
                     lambda: require_action(actor, "link", township_code))
    if session.execute(text("SELECT 1 FROM region WHERE code = :code AND level = 'township'"),
                       {"code": township_code}).first() is None:
        raise NotFound(f"找不到乡镇（街道）{township_code}。")
    previous = session.execute(text("SELECT cap FROM link_cap WHERE township_code = :code"),
                               {"code": township_code}).scalar()
    session.execute(text(
        "INSERT INTO link_cap (township_code, cap, set_by) VALUES (:code, :cap, :username)"
        " ON CONFLICT (township_code) DO UPDATE SET cap = EXCLUDED.cap, set_by = EXCLUDED.set_by, set_at = now()"),
        {"code": township_code, "cap": cap, "username": actor.username})
    record(session, actor.username, "set_link_cap", f"link_cap/{township_code}", {"cap": cap, "previous": previous})


def history(session: Session, household_id: int) -> pd.DataFrame:
    """Every link period of a household, oldest first.

    Columns: member_id, member_name (masked; empty for a member outside the session's area),
    member_grid_code, valid_from, valid_to (NaT while active), assigned_by, ended_by, active.
    """
    household = _id(household_id, "住户")
    if session.execute(text("SELECT 1 FROM household WHERE id = :id"), {"id": household}).first() is None:
        raise NotFound(f"找不到住户 {household}，或其不在您的查看范围内。")
    rows = session.execute(text(
        "SELECT l.member_id, m.name AS member_name, m.grid_code AS member_grid_code, l.valid_from, l.valid_to,"
        " l.assigned_by, l.ended_by FROM member_household_link l LEFT JOIN party_member m ON m.id = l.member_id"
        " WHERE l.household_id = :id ORDER BY l.valid_from, l.id"), {"id": household}).mappings().all()
    frame = pd.DataFrame(rows, columns=["member_id", "member_name", "member_grid_code", "valid_from", "valid_to",
                                        "assigned_by", "ended_by"])
    frame["member_name"] = frame["member_name"].map(mask_name)
    frame["active"] = frame["valid_to"].isna()
    return frame


# --- the one path every change takes -----------------------------------------------------------------------------

def _change(session: Session, actor: Principal, kind: str, targets: dict[int, int | None], *,
            expected: dict[int, int | None] | None = None, confirm_exception: bool = False,
            undoes: tuple[int, str] | None = None) -> ChangeResult:
    """Check and make one change: ``targets`` maps each household to its new member (None: unlinked)."""
    target = f"link_change/{undoes[0]}" if undoes else None
    _refusals_logged(session, actor, kind, target, lambda: require_action(actor, "link"))
    gaining = sorted({m for m in targets.values() if m is not None})
    ids = sorted(targets)
    session.execute(_LOCK, {"ns": [LOCK_MEMBER] * len(gaining) + [LOCK_HOUSEHOLD] * len(ids), "ids": gaining + ids})
    households = {r.id: r for r in session.execute(_HOUSEHOLDS, {"ids": ids})}
    members = {r.id: r for r in session.execute(_MEMBERS, {"ids": gaining, "default_cap": DEFAULT_LINK_CAP})}
    _refusals_logged(session, actor, kind, target, lambda: _check_area(actor, targets, households, members))
    _check_state(kind, targets, households, members, expected)
    exceptions = _check_neighbours(session, targets, households, members, confirm_exception) \
        if kind in GAINING_KINDS else set()
    _check_caps(targets, households, members)

    items = [{"household_id": h, "from_member": households[h].current, "to_member": targets[h],
              "exception": h in exceptions} for h in ids]
    township = Counter(households[h].township_code for h in ids).most_common(1)[0][0]
    try:
        with session.begin_nested():
            change_id = _write(session, actor, kind, targets, households, township, items)
    except IntegrityError as exc:  # the unique index saw a link made by a writer that skipped the locks
        if "one_active_link_per_household" not in str(exc.orig):
            raise
        households = {r.id: r for r in session.execute(_HOUSEHOLDS, {"ids": ids})}
        raise InvalidInput(_already_linked(households, [h for h in ids if households[h].current is not None])
                           or "所选住户刚被他人联系，请刷新后重试。") from None
    if undoes:
        session.execute(update(LinkChange).where(LinkChange.id == undoes[0]).values(undone_by=change_id))
    detail = {"households": len(ids), "members": len(gaining), "exceptions": len(exceptions)}
    if undoes:
        detail["undone"] = undoes[0]
    record(session, actor.username, kind, f"link_change/{change_id}", detail)
    return ChangeResult(change_id, kind, len(ids), _message(kind, len(ids), members, exceptions, undoes))


def _write(session, actor, kind, targets, households, township, items) -> int:
    closing = [h for h in targets if households[h].current is not None]
    if closing:
        closed = session.execute(_CLOSE, {"ids": closing, "username": actor.username}).rowcount
        if closed != len(closing):
            raise Forbidden(f"有 {len(closing) - closed} 户的现有联户关系不在您的可调整范围内，未作任何调整。")
    opening = [h for h in targets if targets[h] is not None]
    if opening:
        session.execute(_OPEN, {"ids": opening, "members": [targets[h] for h in opening], "username": actor.username})
    return session.execute(insert(LinkChange).values(
        username=actor.username, township_code=township, kind=kind, items=items).returning(LinkChange.id)).scalar_one()


def _refusals_logged(session: Session, actor: Principal, action: str, target: str | None, check) -> None:
    """Run ``check``; on ``Forbidden`` add a "refused" audit entry and raise."""
    try:
        check()
    except Forbidden as exc:
        record(session, actor.username, "refused", target, {"action": action, "reason": str(exc)})
        raise


def _check_area(actor: Principal, targets, households, members) -> None:
    missing = [h for h in targets if h not in households]
    if missing:
        raise Forbidden(f"找不到住户 {_list(missing)}，或其不在您的管辖范围内，未作任何调整。")
    absent = sorted({m for m in targets.values() if m is not None and m not in members})
    if absent:
        raise Forbidden(f"找不到党员 {_list(absent)}，或其不在您的管辖范围内，未作任何调整。")
    for member in members.values():
        _require(actor, member.grid_code, f"党员 {mask_name(member.name)}（{member.id}）")
    for grid, ids in _group(targets, lambda h: households[h].grid_code).items():
        _require(actor, grid, f"住户 {_list(ids)}")
    leaving = [h for h in targets if households[h].current is not None]
    hidden = [h for h in leaving if households[h].current_grid is None]
    if hidden:
        raise Forbidden(f"住户 {_list(hidden)} 现联系的党员不在您的管辖范围内，未作任何调整。")
    for grid, ids in _group(leaving, lambda h: households[h].current_grid).items():
        _require(actor, grid, f"住户 {_list(ids)} 现联系的党员")


def _require(actor: Principal, code: str, what: str) -> None:
    try:
        require_action(actor, "link", code)
    except Forbidden as exc:
        raise Forbidden(f"{what}：{exc}") from None


def _check_state(kind, targets, households, members, expected) -> None:
    if kind in ("link", "accept_suggestion"):
        message = _already_linked(households, [h for h in targets if households[h].current is not None])
        if message:
            raise InvalidInput(message)
        return
    if kind == "undo":
        changed = [h for h in targets if households[h].current != expected[h]]
        if changed:
            users = "、".join(sorted({households[h].last_by or "他人" for h in changed}))
            raise InvalidInput(f"无法撤销：有 {len(changed)} 户在这次调整之后又被 {users} 改动过"
                               f"（住户 {_list(changed)}），请刷新后核对。")
        return
    verb = "调整" if kind == "move" else "解除"
    unlinked = [h for h in targets if households[h].current is None]
    if unlinked:
        raise InvalidInput(f"所选住户中有 {len(unlinked)} 户尚未联系党员（住户 {_list(unlinked)}），无法{verb}；"
                           "请刷新后重试。")
    same = [h for h in targets if targets[h] is not None and households[h].current == targets[h]]
    if same:
        name = mask_name(members[targets[same[0]]].name)
        raise InvalidInput(f"住户 {_list(same)} 已联系党员 {name}，无需调整。")


def _already_linked(households, linked: list[int]) -> str | None:
    if not linked:
        return None
    users = "、".join(sorted({households[h].last_by or "他人" for h in linked}))
    return f"所选住户中有 {len(linked)} 户已由 {users} 联系（住户 {_list(linked)}），请刷新后重试。"


def _check_neighbours(session, targets, households, members, confirm: bool) -> set[int]:
    """Households outside their new member's cell and its neighbours: refused unless confirmed."""
    pairs = {(households[h].grid_code, members[m].grid_code) for h, m in targets.items()}
    far = {tuple(r) for r in session.execute(_NOT_NEIGHBOURS, {"hgs": [p[0] for p in pairs],
                                                                "mgs": [p[1] for p in pairs]})}
    exceptions = {h for h, m in targets.items() if (households[h].grid_code, members[m].grid_code) in far}
    if exceptions and not confirm:
        ids = sorted(exceptions)
        cells = sorted({households[h].grid_code for h in ids})
        raise NeedsException(
            f"有 {len(ids)} 户（住户 {_list(ids)}）所在网格 {_list(cells, '个')} 既不是党员所在网格，也不与之相邻；"
            "确需跨网格联系的，请确认后再提交。", ids, cells)
    return exceptions


def _check_caps(targets, households, members) -> None:
    gained = Counter(m for m in targets.values() if m is not None)
    lost = Counter(households[h].current for h in targets if households[h].current is not None)
    for member_id, count in sorted(gained.items()):
        member = members[member_id]
        after = member.load - lost[member_id] + count
        if after > member.cap:
            raise InvalidInput(
                f"党员 {mask_name(member.name)} 现联系 {member.load} 户，再联系 {count} 户将达 {after} 户，"
                f"超过上限 {member.cap} 户，未作调整。")


def _message(kind: str, count: int, members, exceptions: set[int], undoes) -> str:
    if kind == "undo":
        return f"已撤销第 {undoes[0]} 号调整（{ACTION_LABELS[undoes[1]]}），{count} 户已恢复原状。"
    if kind == "unlink":
        return f"已解除 {count} 户的联户关系。"
    extra = f"其中 {len(exceptions)} 户为经确认的跨网格联系。" if exceptions else ""
    if kind == "accept_suggestion":
        return f"已采纳建议：为 {count} 户联系了 {len(members)} 名党员。{extra}"
    name = mask_name(next(iter(members.values())).name)
    verb = "联系到" if kind == "link" else "调整到"
    return f"已将 {count} 户{verb}党员 {name}。{extra}"


def _group(keys, key_of) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for k in keys:
        grouped.setdefault(key_of(k), []).append(k)
    return grouped


def _list(values, unit: str = "户") -> str:
    """"1、2、3" or "1、2、…、8 等 20 户"."""
    values = [str(v) for v in values]
    shown = "、".join(values[:MAX_IDS_SHOWN])
    return shown if len(values) <= MAX_IDS_SHOWN else f"{shown} 等 {len(values)} {unit}"


def _id(value, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value <= 0:
        raise InvalidInput(f"{label}编号应为正整数，收到 {value!r}。")
    return int(value)


def _ids(values) -> list[int]:
    ids = sorted({_id(v, "住户") for v in values or []})
    if not ids:
        raise InvalidInput("请先选择要调整的住户。")
    return ids
