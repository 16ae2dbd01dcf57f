"""Revealing personal data: only supervisors, only in their own area, only allow-listed fields, always logged."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from geo.access import Principal
from geo.enums import Role
from geo.errors import Forbidden
from geo.models import AuditLog, Household, PartyMember, Petition
from geo.reveal import FIELDS, KINDS, masked, reveal
from tests.conftest import audit_entries


@pytest.fixture
def household(demo_session) -> Household:
    return demo_session.scalars(select(Household).where(Household.head_phone.is_not(None))
                                .order_by(Household.id).limit(1)).one()


@pytest.fixture
def supervisor(household) -> Principal:
    """The township supervisor of the first household's township."""
    return Principal("tw_sup", Role.TOWNSHIP_SUPERVISOR, household.township_code, "乡镇督导")


def _log(session, username: str) -> list[AuditLog]:
    return audit_entries(session, username)


def _record(demo_session, model, grid_code, prefix: str, field: str):
    return demo_session.scalars(select(model).where(grid_code.startswith(prefix), getattr(model, field).is_not(None))
                                .order_by(model.id).limit(1)).one()


@pytest.mark.parametrize("kind, model, grid_column, field", [
    ("household", Household, Household.grid_code, "head_name"),
    ("household", Household, Household.grid_code, "head_id_number"),
    ("household", Household, Household.grid_code, "head_phone"),
    ("member", PartyMember, PartyMember.grid_code, "phone"),
    ("petition", Petition, Petition.origin_grid_code, "petitioner_name"),
])
def test_a_supervisor_sees_the_plain_value_in_their_area_and_it_is_logged(
        demo_session, as_user, supervisor, kind, model, grid_column, field):
    if kind == "petition":  # petitions are scarcer than households: take the county supervisor
        supervisor = Principal("co_sup", Role.COUNTY_SUPERVISOR, supervisor.region_code[:6])
    wanted = _record(demo_session, model, grid_column, supervisor.area_prefix, field)
    session = as_user(supervisor)
    before = datetime.now(timezone.utc)

    value = reveal(session, supervisor, kind, wanted.id, field)

    assert value == getattr(wanted, field) and value != masked(kind, field, value)
    [entry] = _log(session, supervisor.username)
    assert (entry.action, entry.target, entry.detail) == ("reveal", f"{kind}/{wanted.id}", {"field": field})
    assert before - timedelta(minutes=5) < entry.at < datetime.now(timezone.utc) + timedelta(minutes=1)
    assert value not in str(entry.detail) + entry.target


def test_a_household_of_another_township_is_not_found_and_the_refusal_is_logged(demo_session, as_user, supervisor):
    other = demo_session.scalars(select(Household).where(~Household.grid_code.startswith(supervisor.area_prefix))
                                 .order_by(Household.id).limit(1)).one()
    session = as_user(supervisor)
    with pytest.raises(Forbidden, match="不在您的管辖范围内"):
        reveal(session, supervisor, "household", other.id, "head_phone")
    [entry] = _log(session, supervisor.username)
    assert (entry.action, entry.target) == ("refused", f"household/{other.id}")
    assert entry.detail["action"] == "reveal" and "管辖范围" in entry.detail["reason"]
    assert other.head_phone not in str(entry.detail)


def test_an_owner_session_does_not_bypass_the_area_check(demo_session, supervisor):
    """Without row-level security the record is found, and the area check still refuses it."""
    other = demo_session.scalars(select(Household).where(~Household.grid_code.startswith(supervisor.area_prefix))
                                 .order_by(Household.id).limit(1)).one()
    with pytest.raises(Forbidden, match=other.grid_code):
        reveal(demo_session, supervisor, "household", other.id, "head_name")
    assert _log(demo_session, supervisor.username)[-1].action == "refused"


@pytest.mark.parametrize("role", [Role.LEADERSHIP, Role.REVIEWER, Role.ADMIN])
def test_other_roles_are_refused(demo_session, as_user, household, role):
    principal = Principal(f"user_{role.value}", role)
    session = as_user(principal)
    with pytest.raises(Forbidden, match=role.label):
        reveal(session, principal, "household", household.id, "head_name")
    assert [e.action for e in _log(session, principal.username)] == ["refused"]


@pytest.mark.parametrize("kind, field, record_id", [
    ("household", "size", None),
    ("household", "geom", None),
    ("member", "head_phone", None),
    ("dispute", "summary", None),
    ("app_user", "password_hash", None),
    (["household"], "head_name", None),
    ("household", "head_name", 10**12),
    ("household", "head_name", 2**70),
    ("household", "head_name", "1"),
])
def test_unknown_fields_and_records_are_refused(as_user, supervisor, household, kind, field, record_id):
    session = as_user(supervisor)
    with pytest.raises(Forbidden):
        reveal(session, supervisor, kind, household.id if record_id is None else record_id, field)
    [entry] = _log(session, supervisor.username)
    assert entry.action == "refused" and entry.detail["field"] == str(field)


@pytest.mark.parametrize("kind, field, value, expected", [
    ("household", "head_name", "张三丰", "张**"),
    ("household", "head_id_number", "41150219800101123X", "411502********123X"),
    ("member", "phone", "13812345678", "138****5678"),
    ("petition", "petitioner_phone", None, ""),
])
def test_masked_uses_the_mask_of_the_field(kind, field, value, expected):
    assert masked(kind, field, value) == expected


def test_every_revealable_field_exists_on_its_model():
    for kind, fields in FIELDS.items():
        assert all(hasattr(KINDS[kind][0], field) for field in fields)
