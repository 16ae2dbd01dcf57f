"""Real places of Xinyang (``etl/reference``) and the ways a ledger writes their names."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REFERENCE = Path(__file__).resolve().parents[2] / "etl" / "reference"
TOWNSHIP_SUFFIXES = ("街道", "镇", "乡")
VILLAGE_SUFFIXES = ("社区", "村")


@dataclass(frozen=True)
class Place:
    """A village (or community) with its township and county, and the name variants that stay unambiguous."""

    village_code: str
    village_full: str  # 程庄村民委员会
    village_short: str  # 程庄村
    village_kind: str  # 村 or 社区
    township: str
    township_kind: str  # 街道, 镇, 乡 or other
    county: str
    village_bare: str | None  # 程庄, when unique in its township
    township_bare: str | None  # 谭家河, when unique in the city

    @property
    def county_code(self) -> str:
        return self.village_code[:6]

    def village_committee(self) -> str:
        """程庄村委会 / 义阳社区居委会."""
        return self.village_short + ("居委会" if self.village_kind == "社区" else "委会")

    def township_office(self) -> str:
        """老城街道办事处 / 谭家河镇人民政府."""
        return self.township + ("办事处" if self.township.endswith("街道") else "人民政府")


def _strip(name: str, suffixes: tuple[str, ...]) -> str | None:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


def _read(name: str) -> list[dict[str, str]]:
    with open(REFERENCE / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=1)
def places() -> tuple[Place, ...]:
    """Every village of the reference whose township name is unique in the city (so names alone locate it)."""
    townships = {row["code"]: row for row in _read("townships.csv")}
    name_counts = Counter(row["name"] for row in townships.values())
    bare_counts = Counter(_strip(row["name"], TOWNSHIP_SUFFIXES) for row in townships.values())
    villages = _read("villages.csv")
    village_bare_counts = Counter((row["township_code"], _strip(row["short_name"], VILLAGE_SUFFIXES))
                                  for row in villages)
    result = []
    for row in villages:
        township = townships.get(row["township_code"])
        if township is None or name_counts[township["name"]] > 1:
            continue
        township_bare = _strip(township["name"], TOWNSHIP_SUFFIXES)
        village_bare = _strip(row["short_name"], VILLAGE_SUFFIXES)
        result.append(Place(
            village_code=row["code"], village_full=row["name"], village_short=row["short_name"],
            village_kind=row["kind"], township=township["name"], township_kind=township["kind"],
            county=township["county_name"],
            village_bare=village_bare if village_bare and village_bare_counts[(row["township_code"], village_bare)] == 1
            else None,
            township_bare=township_bare if township_bare and bare_counts[township_bare] == 1
            and township_bare not in name_counts else None,
        ))
    return tuple(result)


def known_village_names(township: str) -> set[str]:
    """Every way the villages of ``township`` may be written (to pick a name that is surely not one of them)."""
    names = set()
    for place in places():
        if place.township == township:
            names |= {place.village_full, place.village_short, place.village_committee(), place.village_bare or ""}
    return names
