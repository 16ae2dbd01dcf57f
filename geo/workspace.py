"""What the supervisors' workspace reads: a township's households with their link, its members' places,
member names, the townships a supervisor works in. Personal data leaves here masked."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from geo.access import Principal
from geo.areas import county_of
from geo.enums import RegionLevel, Role
from geo.models import GridCell, Household, LinkChange, MemberHouseholdLink, PartyMember, Region
from geo.privacy import mask_name, mask_phone


def townships_of(session: Session, principal: Principal) -> list[tuple[str, str]]:
    """(code, name) of the townships the user works in: their own, or every township of their county."""
    query = select(Region.code, Region.name).where(Region.level == RegionLevel.TOWNSHIP).order_by(Region.code)
    if principal.role is Role.TOWNSHIP_SUPERVISOR:
        query = query.where(Region.code == principal.region_code)
    else:
        query = query.where(Region.parent_code == county_of(principal.region_code))
    return [tuple(row) for row in session.execute(query)]


def unit_name(session: Session, code: str) -> str | None:
    return session.scalar(select(Region.name).where(Region.code == code))


def household_frame(session: Session, township: str) -> pd.DataFrame:
    """The township's households by id: id, grid_code, lon, lat, source, head and phone (masked),
    member_id, member (masked; "辖区外党员" for a member the user cannot see), linked."""
    rows = session.execute(
        select(Household.id, Household.grid_code, func.ST_X(Household.geom), func.ST_Y(Household.geom),
               Household.source, Household.head_name, Household.head_phone, MemberHouseholdLink.member_id,
               PartyMember.name)
        .outerjoin(MemberHouseholdLink, and_(MemberHouseholdLink.household_id == Household.id,
                                             MemberHouseholdLink.valid_to.is_(None)))
        .outerjoin(PartyMember, PartyMember.id == MemberHouseholdLink.member_id)
        .where(Household.township_code == township).order_by(Household.id)).all()
    frame = pd.DataFrame(rows, columns=["id", "grid_code", "lon", "lat", "source", "head", "phone", "member_id",
                                        "member"])
    frame["source"] = [getattr(s, "value", s) for s in frame["source"]]
    for column, mask in (("head", mask_name), ("phone", mask_phone), ("member", mask_name)):
        frame[column] = frame[column].map(mask, na_action="ignore").fillna("")
    frame["linked"] = frame["member_id"].notna()
    frame.loc[frame["linked"] & (frame["member"] == ""), "member"] = "辖区外党员"
    return frame


def household_ids(session: Session, township: str) -> list[int]:
    """The township's household ids in id order (the order of the map's household trace)."""
    return list(session.scalars(select(Household.id).where(Household.township_code == township)
                                .order_by(Household.id)))


def member_places(session: Session, township: str) -> pd.DataFrame:
    """member_id, lon, lat of the township's members (a member without a point sits at their cell's centroid)."""
    point = func.coalesce(PartyMember.geom, func.ST_Centroid(GridCell.geom))
    return pd.DataFrame(session.execute(
        select(PartyMember.id, func.ST_X(point), func.ST_Y(point))
        .join(GridCell, GridCell.code == PartyMember.grid_code).where(PartyMember.township_code == township)).all(),
        columns=["member_id", "lon", "lat"])


def masked_member_names(session: Session, member_ids: list[int]) -> dict[int, str]:
    rows = session.execute(select(PartyMember.id, PartyMember.name).where(PartyMember.id.in_(member_ids))).all()
    return {member_id: mask_name(name) for member_id, name in rows}


def households_of_change(session: Session, change_id: int) -> list[int]:
    """The households a link change touched."""
    return [item["household_id"] for item in session.get(LinkChange, change_id).items]


def latest_change(session: Session, township: str) -> int:
    """The id of the township's newest link change (0 when there is none)."""
    return session.scalar(select(func.coalesce(func.max(LinkChange.id), 0))
                          .where(LinkChange.township_code == township))


def changes_since(session: Session, township: str, after: int) -> pd.DataFrame:
    """The township's link changes newer than change ``after``: one row per household touched (id, username,
    household_id), oldest first."""
    rows = session.execute(select(LinkChange.id, LinkChange.username, LinkChange.items)
                           .where(LinkChange.township_code == township, LinkChange.id > after)
                           .order_by(LinkChange.id)).all()
    return pd.DataFrame([(change, username, item["household_id"]) for change, username, items in rows
                         for item in items], columns=["id", "username", "household_id"])
