"""Enumerations of the plan's vocabulary: English codes in the database, Chinese labels for people.

Each enumeration is a ``StrEnum`` whose value is stored; ``label(member)`` gives the Chinese word the
user reads. The database checks every enumerated column against these values (CHECK constraints).
"""

from __future__ import annotations

from enum import StrEnum


class Labelled(StrEnum):
    """A StrEnum whose members carry a Chinese label as ``.label``."""

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class RegionLevel(Labelled):
    CITY = "city", "市"
    COUNTY = "county", "县区"
    TOWNSHIP = "township", "乡镇（街道）"
    VILLAGE = "village", "村（社区）"


class RegionKind(Labelled):
    """The official kind of a unit, as the statistical division names it."""

    PREFECTURE = "prefecture", "地级市"
    DISTRICT = "district", "区"
    COUNTY = "county", "县"
    ZONE = "zone", "开发区"
    SUBDISTRICT = "subdistrict", "街道"
    TOWN = "town", "镇"
    XIANG = "xiang", "乡"
    OTHER_TOWNSHIP = "other_township", "管理区、农场等"
    COMMUNITY = "community", "社区"
    VILLAGE = "village", "村"


class GeometrySource(Labelled):
    OFFICIAL = "official", "官方边界"
    ILLUSTRATIVE = "illustrative", "示意边界（生成）"


class RecordSource(Labelled):
    """Where a record came from: the generated demo set or a user's import."""

    DEMO = "demo", "演示数据（生成）"
    IMPORT = "import", "导入"
    ENTERED = "entered", "页面录入"


class DisputeDomain(Labelled):
    URBAN_RURAL_CONSTRUCTION = "urban_rural_construction", "城乡建设"
    LABOUR_SOCIAL_SECURITY = "labour_social_security", "劳动社保"
    LAW_LITIGATION = "law_litigation", "涉法涉诉"
    RURAL_AGRICULTURE = "rural_agriculture", "农村农业"
    ECONOMIC_MANAGEMENT = "economic_management", "经济管理"
    NATURAL_RESOURCES = "natural_resources", "自然资源"
    MARRIAGE_FAMILY = "marriage_family", "婚姻家庭"
    NEIGHBOURHOOD = "neighbourhood", "邻里纠纷"
    OTHER = "other", "其他"


KEY_DOMAINS = tuple(DisputeDomain)[:6]
"""The six key domains the plan names."""


class RiskLevel(Labelled):
    LOW = "low", "一般"
    MEDIUM = "medium", "较大"
    HIGH = "high", "重大"
    CRITICAL = "critical", "特别重大"


class DisputeStatus(Labelled):
    REPORTED = "reported", "已登记"
    MEDIATING = "mediating", "化解中"
    RESOLVED = "resolved", "已化解"
    ESCALATED = "escalated", "已转信访"


class ResolutionChannel(Labelled):
    PEOPLES_MEDIATION = "peoples_mediation", "人民调解"
    ADMINISTRATIVE_MEDIATION = "administrative_mediation", "行政调解"
    JUDICIAL_MEDIATION = "judicial_mediation", "司法调解"
    PETITION_MEDIATION = "petition_mediation", "访调对接"
    LITIGATION_MEDIATION = "litigation_mediation", "诉调对接"
    ARBITRATION = "arbitration", "仲裁"
    RECONSIDERATION = "reconsideration", "行政复议"
    ONE_STOP_CENTRE = "one_stop_centre", "一站式矛盾纠纷调处化解中心"


class PetitionCategory(Labelled):
    SUGGESTION = "suggestion", "建议意见类"
    ACCUSATION = "accusation", "检举控告类"
    COMPLAINT_REQUEST = "complaint_request", "申诉求决类"


class PetitionChannel(Labelled):
    LETTER = "letter", "来信"
    VISIT = "visit", "来访"
    ONLINE = "online", "网上信访"
    HOTLINE_12345 = "hotline_12345", "12345热线转办"


class LodgedLevel(Labelled):
    """The level where a petition was lodged, bottom to top (the pyramid's rows)."""

    TOWNSHIP = "township", "乡村"
    COUNTY = "county", "县级"
    CITY = "city", "市级"
    PROVINCE = "province", "到省"
    BEIJING = "beijing", "赴京"


class Satisfaction(Labelled):
    SATISFIED = "satisfied", "满意"
    BASICALLY_SATISFIED = "basically_satisfied", "基本满意"
    DISSATISFIED = "dissatisfied", "不满意"


class PetitionStatus(Labelled):
    RECEIVED = "received", "已登记"
    ACCEPTED = "accepted", "已受理"
    NOT_ACCEPTED = "not_accepted", "不予受理"
    CLOSED = "closed", "已办结"


class BacklogMode(Labelled):
    """The four ways of working a backlog case (四办)."""

    DEADLINE_BY_CATEGORY = "deadline_by_category", "分类限期办"
    LEADER_OWNED = "leader_owned", "领导包案督促办"
    ESCALATED = "escalated", "疑难案件提级办"
    TASK_FORCE = "task_force", "重点案件攻坚办"


class BacklogStatus(Labelled):
    OPEN = "open", "化解中"
    RESOLVED = "resolved", "已化解"
    STALLED = "stalled", "停滞"


class ReportKind(Labelled):
    WEEKLY = "weekly", "每周报告"
    IMMEDIATE = "immediate", "即时报告"
    FOLLOW_UP = "follow_up", "跟踪报告"
    DAILY = "daily", "每日报告"
    HALF_MONTHLY = "half_monthly", "半月分析"


class Direction(Labelled):
    UP = "up", "越高越好"
    DOWN = "down", "越低越好"


class CriterionMeasure(Labelled):
    """How a demonstration-county criterion is measured: computed from the database or entered."""

    ONE_TIME_RESOLUTION_RATE = "one_time_resolution_rate", "一次性化解率"
    SATISFACTION_RATE = "satisfaction_rate", "群众满意率"
    BACKLOG_RESOLUTION_RATE = "backlog_resolution_rate", "积案化解率"
    ZERO_PETITION_VILLAGE_SHARE = "zero_petition_village_share", "零上访村占比"
    OVERDUE_PETITIONS = "overdue_petitions", "超期信访事项数"
    ENTERED = "entered", "评审录入"


class DemoCountyStage(Labelled):
    APPLIED = "applied", "申报"
    BUILDING = "building", "创建中"
    ACCEPTANCE = "acceptance", "验收"
    NAMED = "named", "命名"


class RiskEventKind(Labelled):
    MASS_GATHERING = "mass_gathering", "规模聚集"
    EXTREME_ACT = "extreme_act", "涉访个人极端行为"
    NEGATIVE_PUBLICITY = "negative_publicity", "负面炒作"


class Role(Labelled):
    LEADERSHIP = "leadership", "市领导小组"
    COUNTY_SUPERVISOR = "county_supervisor", "县级网格督导"
    TOWNSHIP_SUPERVISOR = "township_supervisor", "乡镇网格督导"
    REVIEWER = "reviewer", "示范县评审"
    ADMIN = "admin", "系统管理员"


class ReportEvery(Labelled):
    """How often a screening report is due (the cadence of ``report_cadence``)."""

    DAILY = "daily", "每日"
    WEEKLY = "weekly", "每周"
    HALF_MONTHLY = "half_monthly", "每半月"


class CadenceScope(Labelled):
    """When a cadence applies: always, or only inside declared sensitive periods (每日一碰)."""

    ALWAYS = "always", "常态"
    SENSITIVE_PERIOD = "sensitive_period", "敏感时期"


class SignalKind(Labelled):
    """The kinds of risk signal (防变量) that ``geo.signals`` computes for a day."""

    SPIKE = "spike", "纠纷激增"
    COLLECTIVE = "collective", "集体访苗头"
    REPEAT_PETITIONER = "repeat_petitioner", "重复信访人"
    ESCALATION = "escalation", "初访越级上行"
