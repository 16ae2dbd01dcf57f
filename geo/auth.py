"""Accounts and sign-in: argon2id password hashes, lock-out after repeated failures, expiring sessions.

The browser holds a random token; the database keeps only its SHA-256, so a copy of the table
cannot be replayed as cookies. Every sign-in, failure, lock-out and sign-out is written to the
audit log.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from geo.access import SUPERVISORS, Principal
from geo.audit import record
from geo.enums import RegionLevel, Role
from geo.errors import Forbidden, InvalidInput, NotFound
from geo.models import AppUser, Region, UserSession

HASHER = PasswordHasher()  # argon2id, the library's RFC 9106 low-memory profile
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=10)
MIN_PASSWORD = 10
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,40}$")
# Hashed once, verified when the user name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = HASHER.hash(secrets.token_hex(16))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _token_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def principal_of(user: AppUser) -> Principal:
    return Principal(user.username, Role(user.role), user.region_code, user.display_name)


def add_user(session: Session, username: str, display_name: str, role: Role | str, region_code: str | None,
             password: str | None = None) -> tuple[AppUser, str]:
    """Create an account; returns it with its password (generated when none is given)."""
    role = Role(role)
    if not USERNAME.match(username or ""):
        raise InvalidInput(f"用户名“{username}”不合规：须为 3–40 位字母、数字、下划线、点或连字符。")
    if session.scalar(select(AppUser.id).where(AppUser.username == username)) is not None:
        raise InvalidInput(f"用户名“{username}”已存在。")
    expected = {Role.COUNTY_SUPERVISOR: RegionLevel.COUNTY, Role.TOWNSHIP_SUPERVISOR: RegionLevel.TOWNSHIP}.get(role)
    if expected is not None:
        level = session.scalar(select(Region.level).where(Region.code == (region_code or "")))
        if level != expected:
            raise InvalidInput(f"{role.label}须指定一个{expected.label}代码（收到：{region_code or '空'}）。")
    elif region_code:
        raise InvalidInput(f"{role.label}不限区域，不应指定区域代码。")
    password = password or secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"密码至少 {MIN_PASSWORD} 位。")
    user = AppUser(username=username, display_name=display_name or username, role=role,
                   region_code=region_code if role in SUPERVISORS else None, password_hash=HASHER.hash(password))
    session.add(user)
    session.flush()
    record(session, "system", "user_add", username, {"role": role.value, "region_code": user.region_code})
    return user, password


def list_users(session: Session) -> list[AppUser]:
    return list(session.scalars(select(AppUser).order_by(AppUser.username)))


def disable_user(session: Session, username: str) -> None:
    """Disable an account and end its sessions at once."""
    user = session.scalar(select(AppUser).where(AppUser.username == username))
    if user is None:
        raise NotFound(f"没有用户“{username}”。")
    user.active = False
    session.execute(update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
                    .values(ended_at=_now()))
    record(session, "system", "user_disable", username, None)


def sign_in(session: Session, username: str, password: str) -> tuple[Principal, str]:
    """Check the password; return the principal and a new session token, or refuse with the reason.

    After ``MAX_FAILURES`` wrong passwords in a row the account is locked for ``LOCK_FOR``.
    The caller commits the session whatever happens, so failures are counted and logged.
    """
    user = session.scalar(select(AppUser).where(AppUser.username == (username or "").strip()).with_for_update())
    refused = Forbidden("用户名或密码错误。")
    if user is None:
        _verify(_DUMMY_HASH, password)
        record(session, (username or "")[:60], "sign_in_failed", None, {"reason": "unknown user"})
        raise refused
    if not user.active:
        record(session, user.username, "sign_in_refused", None, {"reason": "disabled"})
        raise Forbidden("该账户已停用，请联系系统管理员。")
    now = _now()
    if user.locked_until and user.locked_until > now:
        record(session, user.username, "sign_in_refused", None, {"reason": "locked"})
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise Forbidden(f"连续 {MAX_FAILURES} 次密码错误，账户已锁定，请约 {minutes} 分钟后再试。")
    if not _verify(user.password_hash, password):
        user.failed_attempts += 1
        detail = {"reason": "wrong password", "failed_attempts": user.failed_attempts}
        if user.failed_attempts >= MAX_FAILURES:
            user.locked_until, user.failed_attempts = now + LOCK_FOR, 0
            detail["locked_until"] = user.locked_until.isoformat()
        record(session, user.username, "sign_in_failed", None, detail)
        raise refused
    user.failed_attempts, user.locked_until = 0, None
    token = secrets.token_urlsafe(32)
    session.add(UserSession(token_sha256=_token_key(token), user_id=user.id, expires_at=now + ABSOLUTE_TIMEOUT))
    record(session, user.username, "sign_in", None, None)
    return principal_of(user), token


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


LIVE = (
    "WITH live AS (SELECT s.token_sha256, s.last_seen_at, u.username, u.role, u.region_code, u.display_name"
    "  FROM user_session s JOIN app_user u ON u.id = s.user_id"
    "  WHERE s.token_sha256 = :key AND u.active AND s.ended_at IS NULL AND s.expires_at > now()"
    "  AND s.last_seen_at > now() - make_interval(secs => :idle))"
)
PEEK = text(LIVE + " SELECT username, role, region_code, display_name FROM live")
RESOLVE = text(
    # Every request asks; the session row is rewritten only once a minute (idle time is kept to the minute).
    LIVE + ", touched AS (UPDATE user_session s SET last_seen_at = now() FROM live"
    "  WHERE s.token_sha256 = live.token_sha256 AND live.last_seen_at < now() - interval '1 minute')"
    " SELECT username, role, region_code, display_name FROM live"
)


def resolve(session: Session, token: str | None, *, renew: bool = True) -> Principal | None:
    """The principal of a live session, or None when it ended, expired or idled out. A request the user made
    keeps the session alive (``renew``); a page's own background check must not, or it would never idle out."""
    if not token:
        return None
    row = session.execute(RESOLVE if renew else PEEK,
                          {"key": _token_key(token), "idle": IDLE_TIMEOUT.total_seconds()}).one_or_none()
    return Principal(row.username, Role(row.role), row.region_code, row.display_name) if row else None


def sign_out(session: Session, token: str | None) -> None:
    if not token:
        return
    ended = session.execute(
        update(UserSession).where(UserSession.token_sha256 == _token_key(token), UserSession.ended_at.is_(None))
        .values(ended_at=_now()).returning(UserSession.user_id)
    ).scalar()
    if ended is not None:
        username = session.scalar(select(AppUser.username).where(AppUser.id == ended))
        record(session, username, "sign_out", None, None)
