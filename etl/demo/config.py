"""Parameters of the illustrative Xinyang data set: scales, sizes, and the story each county tells.

Sizes follow the 7th census (2,189,594 family households, 2.66 people each); county shares of
households are approximate (illustrative, rounded from published county populations).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

CITY_HOUSEHOLDS = 2_189_594
PEOPLE_PER_HOUSEHOLD = 2.66
MEMBER_SHARE_OF_RESIDENTS = 0.055
HOUSEHOLDS_PER_LINKED_MEMBER = 12.5
START, END = date(2023, 1, 1), date(2025, 12, 31)
YEARS = (2023, 2024, 2025)
GEOGRAPHY_SEED = 20231
"""Boundaries and grid cells do not depend on the user's seed, so grid codes stay stable across reloads."""

COUNTY_HOUSEHOLD_SHARE = {
    "411502": 0.104, "411503": 0.118, "411521": 0.078, "411522": 0.094, "411523": 0.046,
    "411524": 0.085, "411525": 0.160, "411526": 0.102, "411527": 0.084, "411528": 0.118, "411571": 0.011,
}
COUNTY_SEATS = {
    "411502": (114.075, 32.125), "411503": (114.125, 32.155), "411521": (114.513, 32.203),
    "411522": (114.920, 32.010), "411523": (114.879, 31.644), "411524": (115.406, 31.799),
    "411525": (115.654, 32.168), "411526": (115.051, 32.131), "411527": (115.420, 32.473),
    "411528": (114.741, 32.342), "411571": (114.170, 32.140),
}
"""Approximate county seats (urban centres): where 街道 and 社区 cluster on the illustrative map."""

HIGH_TECH_ZONE = "411571"
HIGH_TECH_HOST = "411503"
"""411571 has no official polygon: an illustrative area is carved out of 平桥区 for it."""

INVERSION_2023 = {
    "411502": 0.75, "411503": 0.85, "411521": 0.45, "411522": 0.70, "411523": 0.30, "411524": 0.55,
    "411525": 0.80, "411526": 0.40, "411527": 0.60, "411528": 0.65, "411571": 0.35,
}
INVERSION_2025 = {
    "411502": 0.30, "411503": 0.45, "411521": 0.20, "411522": 0.25, "411523": 0.25, "411524": 0.60,
    "411525": 0.35, "411526": 0.20, "411527": 0.75, "411528": 0.30, "411571": 0.20,
}
"""How inverted each county's pyramid is (0 healthy, 1 inverted): most improve, 商城县 and 淮滨县 do not."""


@dataclass(frozen=True)
class Scale:
    name: str
    counties: tuple[str, ...] | None
    household_fraction: float


SCALES = {
    "city": Scale("city", None, 1.0),
    "small": Scale("small", ("411502", "411522"), 0.2),
}
"""``small`` is an urban district and a rural county (浉河区, 光山县) with a fifth of their households."""
