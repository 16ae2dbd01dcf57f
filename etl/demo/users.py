"""One demo account per role, with fresh random passwords each time the demo is loaded."""

from __future__ import annotations

import secrets

from sqlalchemy import delete, text
from sqlalchemy.orm import Session

from geo.auth import add_user
from geo.enums import Role
from geo.models import AppUser

DEMO_COUNTY = "411502"
"""浉河区: in both demo scales, urban and rural townships alike."""
DEMO_ACCOUNTS = (
    ("demo_leader", "演示·市领导小组", Role.LEADERSHIP),
    ("demo_county", "演示·县级网格督导", Role.COUNTY_SUPERVISOR),
    ("demo_township", "演示·乡镇网格督导", Role.TOWNSHIP_SUPERVISOR),
    ("demo_reviewer", "演示·示范县评审", Role.REVIEWER),
    ("demo_admin", "演示·系统管理员", Role.ADMIN),
)


def busiest_township(session: Session, county: str = DEMO_COUNTY) -> str:
    """The township of ``county`` with the most households (the first by code when there are none)."""
    return session.execute(text(
        "SELECT r.code FROM region r LEFT JOIN household h ON h.township_code = r.code"
        " WHERE r.level = 'township' AND r.parent_code = :county GROUP BY r.code"
        " ORDER BY count(h.id) DESC, r.code LIMIT 1"), {"county": county}).scalar_one()


def create_demo_users(session: Session) -> list[tuple[str, str, Role, str | None, str]]:
    """(Re)create the demo accounts; returns (username, display name, role, region, password) for each."""
    usernames = [username for username, _, _ in DEMO_ACCOUNTS]
    session.execute(delete(AppUser).where(AppUser.username.in_(usernames)))
    regions = {Role.COUNTY_SUPERVISOR: DEMO_COUNTY, Role.TOWNSHIP_SUPERVISOR: busiest_township(session)}
    made = []
    for username, display_name, role in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(9)
        add_user(session, username, display_name, role, regions.get(role), password)
        made.append((username, display_name, role, regions.get(role), password))
    return made
