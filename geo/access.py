"""Who may do what, where: the signed-in principal, its area, and the role → permission table.

The same scopes feed two walls: the dashboard checks them in every page and callback, and
``apply_scope`` hands them to PostgreSQL as transaction-local settings that the row-level
security policies read (see migration 0007). A missing setting means no rows, never all rows.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import text

from geo.areas import CITY_CODE, scope_prefix
from geo.enums import Role
from geo.errors import Forbidden

CITY_PREFIX = CITY_CODE[:4]
"""Every unit of the city (counties, the 411571 zone, townships, villages, grid cells) starts with 4115."""

PAGES: dict[str, frozenset[Role]] = {
    "overview": frozenset({Role.LEADERSHIP, Role.COUNTY_SUPERVISOR, Role.TOWNSHIP_SUPERVISOR}),
    "pyramid": frozenset({Role.LEADERSHIP, Role.COUNTY_SUPERVISOR, Role.TOWNSHIP_SUPERVISOR, Role.REVIEWER}),
    "demo_county": frozenset({Role.LEADERSHIP, Role.REVIEWER, Role.ADMIN}),
    "compliance": frozenset({Role.LEADERSHIP, Role.COUNTY_SUPERVISOR, Role.TOWNSHIP_SUPERVISOR, Role.ADMIN}),
    "clock": frozenset({Role.LEADERSHIP, Role.COUNTY_SUPERVISOR, Role.TOWNSHIP_SUPERVISOR}),
    "backlog": frozenset({Role.LEADERSHIP, Role.COUNTY_SUPERVISOR}),  # backlog cases are county business
    "warnings": frozenset({Role.LEADERSHIP, Role.COUNTY_SUPERVISOR, Role.TOWNSHIP_SUPERVISOR}),
    "imports": frozenset({Role.COUNTY_SUPERVISOR, Role.TOWNSHIP_SUPERVISOR}),
    "workspace": frozenset({Role.COUNTY_SUPERVISOR, Role.TOWNSHIP_SUPERVISOR}),
    "audit": frozenset({Role.ADMIN}),
}
"""Page key (a page module's name) → roles that may open it and call its callbacks."""

SUPERVISORS = frozenset({Role.COUNTY_SUPERVISOR, Role.TOWNSHIP_SUPERVISOR})
ACTIONS: dict[str, frozenset[Role]] = {
    "enter_report": SUPERVISORS,
    "acknowledge": SUPERVISORS,
    "import": SUPERVISORS,
    "link": SUPERVISORS,
    "reveal": SUPERVISORS,
    "declare_sensitive_period": frozenset({Role.ADMIN}),
    "catalogue": frozenset({Role.ADMIN}),
    "audit": frozenset({Role.ADMIN}),
}
"""Writes (and reveals) → roles allowed to do them; supervisors only inside their own area."""


@dataclass(frozen=True)
class Principal:
    """A signed-in user as the checks see them."""

    username: str
    role: Role
    region_code: str | None = None
    display_name: str = ""

    @property
    def area_prefix(self) -> str | None:
        """Code prefix of the area this user reads: the city, a county (6 digits), a township (9), or none."""
        if self.role in (Role.COUNTY_SUPERVISOR, Role.TOWNSHIP_SUPERVISOR):
            return scope_prefix(self.region_code)
        if self.role in (Role.LEADERSHIP, Role.REVIEWER):
            return CITY_PREFIX
        return None

    @property
    def write_prefix(self) -> str | None:
        """Code prefix of the area this user may change (supervisors only)."""
        return self.area_prefix if self.role in SUPERVISORS else None

    @property
    def person_prefix(self) -> str | None:
        """Code prefix of the area whose record-level data (people, households, links) this user reads."""
        return None if self.role is Role.REVIEWER else self.area_prefix

    @property
    def area_code(self) -> str:
        """The area a page opens on: the supervisor's county or township, else the city."""
        return self.region_code if self.role in SUPERVISORS else CITY_CODE

    def may_open(self, page: str) -> bool:
        return self.role in PAGES.get(page, frozenset())

    def may(self, action: str) -> bool:
        return self.role in ACTIONS[action]

    def covers(self, code: str | None) -> bool:
        """Whether ``code`` (any unit or grid code, or the city) lies inside this user's area."""
        prefix = self.area_prefix
        if prefix is None or not code:
            return False
        code = str(code)
        if code == CITY_CODE:
            return prefix == CITY_PREFIX
        return code.startswith(prefix)

    def covers_for_write(self, code: str | None) -> bool:
        return self.write_prefix is not None and bool(code) and str(code).startswith(self.write_prefix)


CURRENT: ContextVar[Principal | None] = ContextVar("fengqiao_principal", default=None)
"""The principal of the request being served (set by the dashboard for each request)."""


def current() -> Principal:
    """The signed-in principal, or ``Forbidden`` when there is none."""
    principal = CURRENT.get()
    if principal is None:
        raise Forbidden("未登录：请先登录。")
    return principal


def require_action(principal: Principal, action: str, code: str | None = None) -> None:
    """Refuse unless the role may do ``action`` and, when ``code`` is given, it lies in the user's area."""
    if not principal.may(action):
        raise Forbidden(f"当前角色（{principal.role.label}）无权执行此操作。")
    if code is not None and principal.role in SUPERVISORS and not principal.covers_for_write(code):
        raise Forbidden(f"{code} 不在您的管辖范围（{principal.region_code}）内。")


def require_area(principal: Principal, code: str | None) -> None:
    """Refuse a read of an area outside the user's own (the city counts as an area)."""
    if code and not principal.covers(code):
        raise Forbidden(f"{code} 不在您的查看范围内。")


SCOPE_SETTINGS = text(
    "SELECT set_config('fengqiao.read_scope', :read, true), set_config('fengqiao.write_scope', :write, true),"
    " set_config('fengqiao.person_scope', :person, true), set_config('fengqiao.audit_scope', :audit, true),"
    " set_config('fengqiao.username', :username, true)"
)


def apply_scope(connection, principal: Principal | None) -> None:
    """Give this transaction the principal's scopes for the row-level security policies.

    ``set_config(..., true)`` lasts until the transaction ends. Without a principal every scope is
    the empty string, which the policies read as "nothing".
    """
    connection.execute(SCOPE_SETTINGS, {
        "read": (principal and principal.area_prefix) or "",
        "write": (principal and principal.write_prefix) or "",
        "person": (principal and principal.person_prefix) or "",
        "audit": CITY_PREFIX if principal and principal.may("audit") else "",
        "username": principal.username if principal else "",
    })
