"""One generated ledger row as fengqiao should understand it: the values to write and their true meaning."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from etl.ledger_fields import (
    CATEGORY_CHOICES,
    CHANNEL_CHOICES,
    DISPUTE_STATUS_CHOICES,
    DOMAIN_CHOICES,
    FIRST_OR_REPEAT,
    HOTLINE_STATUS_CHOICES,
    LEVEL_CHOICES,
    PETITION_STATUS_CHOICES,
    RESOLUTION_CHOICES,
    RISK_CHOICES,
    SATISFACTION_CHOICES,
)
from tests.corpus import values as v
from tests.corpus.places import Place, known_village_names
from tests.corpus.templates import Template

DATE_FIELDS = frozenset({"reported_at", "resolved_at", "received_on", "accepted_on", "closed_on"})
DATETIME_FIELDS = frozenset({"reported_at", "resolved_at"})
ENUMS = {
    "disputes": {"domain": DOMAIN_CHOICES, "risk_level": RISK_CHOICES, "status": DISPUTE_STATUS_CHOICES,
                 "channel": RESOLUTION_CHOICES},
    "petitions": {"domain": DOMAIN_CHOICES, "category": CATEGORY_CHOICES, "channel": CHANNEL_CHOICES,
                  "lodged_level": LEVEL_CHOICES, "status": PETITION_STATUS_CHOICES, "is_first": FIRST_OR_REPEAT,
                  "satisfaction": SATISFACTION_CHOICES},
    "hotline": {"domain": DOMAIN_CHOICES, "category": CATEGORY_CHOICES, "status": HOTLINE_STATUS_CHOICES,
                "satisfaction": SATISFACTION_CHOICES},
}
REQUIRED_DATE = {"disputes": "reported_at", "petitions": "received_on", "hotline": "received_on"}


@dataclass
class Record:
    """A row before layout: ``values`` by fengqiao field (datetimes, words, numbers), the place, and any defect."""

    values: dict[str, object]
    place: Place
    defect: str | None = None
    extras: dict[str, object] = field(default_factory=dict)  # columns without a field, by header

    def truth(self, kind: str) -> dict[str, object]:
        """What a correct import yields: dates in ISO form, enum words as codes, the place as its village code."""
        enums = ENUMS[kind]
        result: dict[str, object] = {}
        for name, value in self.values.items():
            if value is None or value == "" or name in ("village_name", "township_name", "county_name"):
                continue
            if isinstance(value, datetime):
                result[name] = value.isoformat(sep=" ") if name in DATETIME_FIELDS else value.date().isoformat()
            elif name in enums:
                word = "".join(str(value).split()).lower()
                result[name] = enums[name].get(word, value)  # a deliberately unknown word stays as written
            else:
                result[name] = value
        result["village_code"] = self.place.village_code
        return result


def _maybe(rng: random.Random, value, blank_share: float = 0.1):
    return None if rng.random() < blank_share else value


def _location(place: Place) -> dict[str, object]:
    return {"village_name": place.village_short, "township_name": place.township, "county_name": place.county,
            "village_code": place.village_code}


def dispute(rng: random.Random, place: Place, ref: str) -> Record:
    domain = rng.choice(v.DOMAIN_WORDS)
    reported = v.moment(rng)
    state = rng.choices(("reported", "mediating", "resolved", "escalated"), (2, 3, 6, 1))[0]
    resolved = v.later(rng, reported) if state == "resolved" else None
    values = {
        "ref_no": ref, "reported_at": reported, "domain": domain,
        "risk_level": _maybe(rng, rng.choice(v.RISK_WORDS)),
        "status": rng.choice(v.DISPUTE_STATUS[state]), "resolved_at": resolved,
        "channel": _maybe(rng, rng.choice(v.CHANNEL_WORDS), 0.3) if state == "resolved" else None,
        "households_involved": rng.choices((1, 2, 3, 5, 8, 12), (8, 6, 3, 2, 1, 1))[0],
        "summary": rng.choice(v.SUMMARIES[v.canonical(DOMAIN_CHOICES, domain)]),
        "party_name": v.person_name(rng), "party_id_number": _maybe(rng, v.id_number(rng, place.county_code)),
        "party_phone": _maybe(rng, v.mobile(rng)), "found_by": v.person_name(rng), **_location(place),
    }
    return Record(values, place)


def petition(rng: random.Random, place: Place, ref: str) -> Record:
    received = v.moment(rng)
    state = rng.choices(("received", "accepted", "not_accepted", "closed"), (1, 3, 1, 5))[0]
    accepted = v.later(rng, received, 15) if state in ("accepted", "closed") else None
    closed = v.later(rng, accepted, 60) if state == "closed" else None
    values = {
        "ref_no": ref, "received_on": received, "category": rng.choice(v.CATEGORY_WORDS),
        "channel": rng.choice(v.PETITION_CHANNEL_WORDS), "domain": rng.choice(v.DOMAIN_WORDS),
        "is_first": rng.choice(v.FIRST_WORDS), "lodged_level": rng.choice(v.LEVEL_WORDS),
        "petitioner_name": v.person_name(rng), "petitioner_id_number": _maybe(rng, v.id_number(rng, place.county_code)),
        "petitioner_phone": _maybe(rng, v.mobile(rng)), "head_count": rng.choices((1, 2, 3, 6), (10, 3, 2, 1))[0],
        "status": rng.choice(v.PETITION_STATUS[state]), "accepted_on": accepted, "closed_on": closed,
        "satisfaction": rng.choice(v.SATISFACTION_WORDS) if closed else None, **_location(place),
    }
    return Record(values, place)


def hotline(rng: random.Random, place: Place, ref: str) -> Record:
    received = v.moment(rng)
    state = rng.choices(("received", "accepted", "closed"), (1, 3, 6))[0]
    closed = v.later(rng, received, 30) if state == "closed" else None
    values = {
        "hotline_ticket": ref, "received_on": received, "category": rng.choice(v.CATEGORY_WORDS),
        "domain": _maybe(rng, rng.choice(v.DOMAIN_WORDS)), "petitioner_name": v.person_name(rng),
        "petitioner_phone": v.mobile(rng), "status": rng.choice(v.HOTLINE_STATUS[state]), "closed_on": closed,
        "satisfaction": rng.choice(v.SATISFACTION_WORDS) if closed else None, **_location(place),
    }
    return Record(values, place)


MAKERS = {"disputes": dispute, "petitions": petition, "hotline": hotline}


def defects_for(kind: str, template: Template) -> list[str]:
    """The defects a row of this template can be given (each makes fengqiao refuse the row)."""
    found = ["missing_required_date", "impossible_date"]
    if kind in ("disputes", "petitions"):
        found.append("unknown_domain_word")
    if kind in ("petitions", "hotline"):
        found.append("unknown_category_word")
    if kind == "hotline":
        found.append("missing_ticket_number")
    id_field = "party_id_number" if kind == "disputes" else "petitioner_id_number"
    if template.has(id_field):
        found.append("id_check_digit_wrong")
    if not template.has("village_code"):
        found.append("unknown_village")
    return found


def spoil(rng: random.Random, record: Record, kind: str, defect: str) -> None:
    """Give ``record`` one defect; ``record.defect`` says which and why the row is invalid."""
    values = record.values
    date_field = REQUIRED_DATE[kind]
    if defect == "missing_required_date":
        values[date_field] = None
        why = f"{date_field} (required) left blank"
    elif defect == "impossible_date":
        values[date_field] = rng.choice(v.IMPOSSIBLE_DATES)
        for later_field in ("resolved_at", "accepted_on", "closed_on"):
            values[later_field] = None  # no later date that could be checked against the spoiled one
        values["status"] = rng.choice(v.DISPUTE_STATUS["reported"] if kind == "disputes" else
                                      v.PETITION_STATUS["received"])
        values["satisfaction"] = None
        why = f"{date_field} is not a calendar date: {values[date_field]}"
    elif defect == "unknown_domain_word":
        values["domain"] = rng.choice(v.UNKNOWN_DOMAIN_WORDS)
        why = f"domain word not accepted: {values['domain']}"
    elif defect == "unknown_category_word":
        values["category"] = rng.choice(v.UNKNOWN_CATEGORY_WORDS)
        why = f"category word not accepted: {values['category']}"
    elif defect == "missing_ticket_number":
        values["hotline_ticket"] = None
        why = "hotline_ticket (required) left blank"
    elif defect == "id_check_digit_wrong":
        id_field = "party_id_number" if kind == "disputes" else "petitioner_id_number"
        values[id_field] = v.wrong_check_digit(v.id_number(rng, record.place.county_code))
        why = f"{id_field} fails the GB 11643 check digit"
    elif defect == "unknown_village":
        taken = known_village_names(record.place.township)
        values["village_name"] = next(n for n in ("幸福里村", "新民社区", "永安村", "和平新村", "光明社区")
                                      if n not in taken)
        why = f"village {values['village_name']} does not exist in {record.place.township}"
    else:
        raise ValueError(defect)
    record.defect = f"{defect}: {why}"
