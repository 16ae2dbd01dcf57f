"""Accounts and sign-in against the real database: hashes, lock-out, expiry, sign-out, and the audit trail."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from geo import auth
from geo.enums import Role
from geo.errors import Forbidden, InvalidInput, NotFound
from geo.models import AppUser

TOWNSHIP = "411502001000"


def actions(session, username: str) -> list[str]:
    return list(session.scalars(sa.text("SELECT action FROM audit_log WHERE username = :u ORDER BY id"), {"u": username}))


def test_passwords_are_stored_as_argon2id_and_sign_in_opens_a_session(session):
    user, password = auth.add_user(session, "laocheng", "老城街道督导", Role.TOWNSHIP_SUPERVISOR, TOWNSHIP)
    assert len(password) >= auth.MIN_PASSWORD and user.password_hash.startswith("$argon2id$")
    assert password not in user.password_hash
    principal, token = auth.sign_in(session, "laocheng", password)
    assert (principal.username, principal.role, principal.region_code) == ("laocheng", Role.TOWNSHIP_SUPERVISOR, TOWNSHIP)
    stored = session.scalar(sa.text("SELECT token_sha256 FROM user_session"))
    assert stored != token and len(stored) == 64  # only the token's hash is kept
    assert auth.resolve(session, token) == principal
    assert auth.resolve(session, token + "x") is None and auth.resolve(session, None) is None
    auth.sign_out(session, token)
    assert auth.resolve(session, token) is None
    assert actions(session, "laocheng") == ["sign_in", "sign_out"]


@pytest.mark.parametrize("args, message", [
    (("a", "x", Role.LEADERSHIP, None), "用户名"),
    (("county1", "x", Role.COUNTY_SUPERVISOR, None), "县区代码"),
    (("county2", "x", Role.COUNTY_SUPERVISOR, TOWNSHIP), "县区代码"),
    (("town1", "x", Role.TOWNSHIP_SUPERVISOR, "411502"), "乡镇"),
    (("leader1", "x", Role.LEADERSHIP, "411502"), "不限区域"),
])
def test_accounts_are_checked(session, args, message):
    with pytest.raises(InvalidInput, match=message):
        auth.add_user(session, *args)


def test_short_passwords_and_duplicate_names_are_refused(session):
    with pytest.raises(InvalidInput, match="至少 10 位"):
        auth.add_user(session, "leader", "x", Role.LEADERSHIP, None, "short")
    auth.add_user(session, "leader", "x", Role.LEADERSHIP, None)
    with pytest.raises(InvalidInput, match="已存在"):
        auth.add_user(session, "leader", "y", Role.REVIEWER, None)


def test_five_wrong_passwords_lock_the_account(session):
    _, password = auth.add_user(session, "reviewer", "评审", Role.REVIEWER, None)
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(Forbidden, match="用户名或密码错误"):
            auth.sign_in(session, "reviewer", "wrong-password")
    with pytest.raises(Forbidden, match="已锁定"):
        auth.sign_in(session, "reviewer", password)  # even the right password, while locked
    user = session.scalar(sa.select(AppUser).where(AppUser.username == "reviewer"))
    assert user.locked_until > datetime.now(timezone.utc) + auth.LOCK_FOR - timedelta(minutes=1)
    user.locked_until = datetime.now(timezone.utc) - timedelta(seconds=1)  # the lock has run out
    principal, _ = auth.sign_in(session, "reviewer", password)
    assert principal.role is Role.REVIEWER and user.failed_attempts == 0
    assert actions(session, "reviewer") == ["sign_in_failed"] * 5 + ["sign_in_refused", "sign_in"]


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(session):
    with pytest.raises(Forbidden, match="^用户名或密码错误。$"):
        auth.sign_in(session, "nobody", "whatever-password")
    assert actions(session, "nobody") == ["sign_in_failed"]


def test_sessions_expire_when_idle_or_old_and_end_when_the_user_is_disabled(session):
    _, password = auth.add_user(session, "county", "督导", Role.COUNTY_SUPERVISOR, "411502")
    _, idle = auth.sign_in(session, "county", password)
    _, old = auth.sign_in(session, "county", password)
    _, live = auth.sign_in(session, "county", password)
    session.execute(sa.text("UPDATE user_session SET last_seen_at = now() - make_interval(mins => 31)"
                            " WHERE token_sha256 = :k"), {"k": auth._token_key(idle)})
    session.execute(sa.text("UPDATE user_session SET expires_at = now() - interval '1 second'"
                            " WHERE token_sha256 = :k"), {"k": auth._token_key(old)})
    assert auth.resolve(session, idle) is None and auth.resolve(session, old) is None
    assert auth.resolve(session, live) is not None
    auth.disable_user(session, "county")
    assert auth.resolve(session, live) is None
    with pytest.raises(Forbidden, match="停用"):
        auth.sign_in(session, "county", password)
    with pytest.raises(NotFound):
        auth.disable_user(session, "nobody")
