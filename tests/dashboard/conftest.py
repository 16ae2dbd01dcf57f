"""Callbacks are called directly here; by default as a member of the city leadership group."""

from __future__ import annotations

import pytest

from geo.access import Principal
from geo.enums import Role

LEADER = Principal("test_leader", Role.LEADERSHIP, None, "测试·市领导")


@pytest.fixture(autouse=True)
def as_leader(signed_in):
    """Tests that need another role call ``signed_in`` again; the last principal set wins."""
    signed_in(LEADER)
