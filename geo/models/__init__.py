"""The data model of the plan, split by aggregate; importing this package registers every table."""

from geo.models.access import AppUser, AuditLog, DemoLoad, UserSession
from geo.models.base import SRID, Base
from geo.models.cases import BacklogCase, Dispute, DisputeHousehold, DisputeParty, Petition
from geo.models.imports import (BoundaryHistory, BoundaryLevel, ImportBatch, ImportKind, ImportQuarantine,
                                MappingProfile)
from geo.models.people import DEFAULT_LINK_CAP, Household, LinkCap, LinkChange, MemberHouseholdLink, PartyMember
from geo.models.regions import GridCell, Region
from geo.models.reviews import DemoCountyStatus, DemoCriterion, DemoScore, RiskEvent, ScreeningReport
from geo.models.signals import SignalAck
from geo.models.supervision import ReportCadence, SensitivePeriod

__all__ = [
    "SRID", "Base", "AppUser", "AuditLog", "DemoLoad", "UserSession", "DEFAULT_LINK_CAP", "LinkCap", "LinkChange", "BacklogCase", "Dispute", "DisputeHousehold", "DisputeParty",
    "Petition", "Household", "MemberHouseholdLink", "PartyMember", "GridCell", "Region",
    "DemoCountyStatus", "DemoCriterion", "DemoScore", "RiskEvent", "ScreeningReport",
    "ReportCadence", "SensitivePeriod", "SignalAck",
    "BoundaryHistory", "BoundaryLevel", "ImportBatch", "ImportKind", "ImportQuarantine", "MappingProfile",
]
