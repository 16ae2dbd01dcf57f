"""Saved column mappings of ledgers (``MappingProfile``): save one under a name, find the one for a file.

A profile belongs to an area (the saving user's region code, '' for the whole city) and serves that
area and every area inside it. The profile for a file is found by the file's header signature: the
most specific area first, then the newest. Saving is audited.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from geo.audit import record
from geo.errors import InvalidInput, NotFound
from geo.models import ImportKind, MappingProfile

MAX_NAME_LENGTH = 60


def signature(headers) -> str:
    """What identifies a file's headers: their normalised forms (``headers``: already normalised), as a set."""
    words = sorted({h for h in headers if h})
    return hashlib.sha1("\x1f".join(words).encode("utf-8")).hexdigest()


def profile_name(name) -> str:
    """A profile's name as saved (outer spaces removed); refused when empty or too long."""
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        raise InvalidInput("请为列对应填写一个名称（如“某某镇矛盾纠纷台账”），下次导入同样表头的文件时会自动使用。")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"列对应的名称过长（{len(name)} 字）：请不超过 {MAX_NAME_LENGTH} 字。")
    return name


def save_profile(session: Session, kind: ImportKind | str, name: str, area_code: str | None, headers: list[str],
                 columns: dict[str, str | None], saved_by: str) -> MappingProfile:
    """Save (or replace) the profile ``name`` of ``area_code`` for ``kind``; ``columns`` keys are normalised headers."""
    kind = ImportKind(kind)
    name = profile_name(name)
    if not columns:
        raise InvalidInput("列对应为空：请至少为一列选择字段。")
    if area_code and not (isinstance(area_code, str) and area_code.isdigit() and len(area_code) in (6, 12)):
        raise InvalidInput(f"地区代码“{area_code}”无效：应为 6 位县区代码或 12 位乡镇（街道）代码。")
    values = {"kind": kind.value, "area_code": area_code or "", "name": name, "signature": signature(columns),
              "headers": list(headers), "columns": dict(columns), "saved_by": saved_by}
    statement = insert(MappingProfile).values(**values).on_conflict_do_update(
        index_elements=["kind", "area_code", "name"],
        set_={k: values[k] for k in ("signature", "headers", "columns", "saved_by")} | {"saved_at": func.now()},
    ).returning(MappingProfile.id)
    profile_id = session.execute(statement).scalar_one()
    record(session, saved_by, "save_mapping", f"mapping_profile/{profile_id}",
           {"kind": kind.value, "name": name, "area": area_code or "", "columns": len(columns)})
    return session.get(MappingProfile, profile_id, populate_existing=True)


def _serving(area_code: str | None):
    """Profiles of ``area_code`` or of an area containing it ('' is the city and contains every area)."""
    area = area_code or ""
    return MappingProfile.area_code.in_({"", area[:6], area})


def profile_for(session: Session, kind: ImportKind | str, headers, area_code: str | None) -> MappingProfile | None:
    """The profile serving ``area_code`` whose headers are exactly ``headers`` (normalised), or None."""
    return session.scalars(select(MappingProfile).where(
        MappingProfile.kind == ImportKind(kind), MappingProfile.signature == signature(headers), _serving(area_code),
    ).order_by(MappingProfile.area_code.desc(), MappingProfile.saved_at.desc(), MappingProfile.id.desc()).limit(1)).first()


def profile_named(session: Session, kind: ImportKind | str, name: str, area_code: str | None) -> MappingProfile:
    """The profile ``name`` serving ``area_code`` (the most specific area's when several areas use the name)."""
    row = session.scalars(select(MappingProfile).where(
        MappingProfile.kind == ImportKind(kind), MappingProfile.name == (name or "").strip(), _serving(area_code),
    ).order_by(MappingProfile.area_code.desc()).limit(1)).first()
    if row is None:
        raise NotFound(f"找不到名为“{name}”的{ImportKind(kind).label}列对应：可用 fengqiao import mapping show 查看已保存的列对应。")
    return row


def profiles(session: Session, kind: ImportKind | str | None = None, area_code: str | None = None) -> list[MappingProfile]:
    """The profiles serving ``area_code`` (all of them when None), by kind, area and name."""
    query = select(MappingProfile)
    if kind is not None:
        query = query.where(MappingProfile.kind == ImportKind(kind))
    if area_code is not None:
        query = query.where(_serving(area_code))
    return list(session.scalars(query.order_by(MappingProfile.kind, MappingProfile.area_code, MappingProfile.name)))
