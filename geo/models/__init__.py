"""The data model of the plan, split by aggregate; importing this package registers every table."""

from geo.models.access import AppUser, AuditLog, DemoLoad
from geo.models.base import SRID, Base
from geo.models.cases import BacklogCase, Dispute, DisputeHousehold, Petition
from geo.models.people import Household, MemberHouseholdLink, PartyMember
from geo.models.regions import GridCell, Region
from geo.models.reviews import DemoCountyStatus, DemoCriterion, DemoScore, RiskEvent, ScreeningReport

__all__ = [
    "SRID", "Base", "AppUser", "AuditLog", "DemoLoad", "BacklogCase", "Dispute", "DisputeHousehold",
    "Petition", "Household", "MemberHouseholdLink", "PartyMember", "GridCell", "Region",
    "DemoCountyStatus", "DemoCriterion", "DemoScore", "RiskEvent", "ScreeningReport",
]
