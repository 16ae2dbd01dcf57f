"""What each of the three ledgers is: its fields, the columns derived from them with their checks, its key.

``derive_*`` complete a parsed chunk's columns (defaults and inferred statuses). Cells that make the
record wrong (contradicting what it is) refuse the row (``check``); an optional fact that contradicts
another, or is missing where a status implies it, is a warning and the row loads without it (``warn``).
``natural_keys`` gives each row the key its re-imports are matched by.

A dispute's parties come as parallel ``many`` cells (names, ID numbers, phones): the n-th of each belong
together. When the cells hold different numbers of values, they are still paired by position and the
row carries a warning to check the pairing; nothing is dropped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from etl.ledger_fields import DISPUTE_FIELDS, HOTLINE_FIELDS, PETITION_FIELDS, Field
from geo.models import ImportKind

SEPARATOR = "\x1f"
"""Joins a row's cells into one text (``LedgerFrame.rows.raw``) and the parts of a fingerprint."""


@dataclass(frozen=True)
class LedgerSpec:
    kind: ImportKind
    fields: tuple[Field, ...]
    location_required: bool
    fingerprint: tuple[str, ...]
    """Fields whose text identifies a row when the ledger has no number of its own."""


SPECS = {
    ImportKind.DISPUTES: LedgerSpec(ImportKind.DISPUTES, DISPUTE_FIELDS, True,
                                    ("reported_at", "domain", "summary", "households_involved")),
    ImportKind.PETITIONS: LedgerSpec(ImportKind.PETITIONS, PETITION_FIELDS, True,
                                     ("received_on", "category", "domain", "petitioner_name", "petitioner_id_number",
                                      "petitioner_phone", "lodged_level")),
    ImportKind.HOTLINE: LedgerSpec(ImportKind.HOTLINE, HOTLINE_FIELDS, False, ()),
}
FIELDS = {kind: {f.name: f for f in spec.fields} for kind, spec in SPECS.items()}


def _dates_as_days(series: pd.Series) -> pd.Series:
    return series.dt.normalize() if series.dtype.kind == "M" else series


def derive_disputes(out: pd.DataFrame, get, check, warn, values: dict) -> pd.DataFrame:
    """Dispute columns, with risk, households and status inferred where blank; parties and the finder."""
    reported = get("reported_at")
    resolved = get("resolved_at")
    status = get("status")
    out["status"] = status.where(status.notna(), np.where(resolved.notna(), "resolved", "reported"))
    early = warn(pd.to_datetime(resolved) < pd.to_datetime(reported), "resolved_at",
                 "化解时间早于登记时间（已导入，化解时间按未填写处理）")
    resolved = resolved.where(~early)
    out["reported_at"] = reported
    out["resolved_at"] = resolved
    out["domain"] = get("domain")
    out["risk_level"] = get("risk_level").fillna("low")
    out["channel"] = get("channel")
    out["households_involved"] = get("households_involved").fillna(1).astype("Int64")
    out["summary"] = get("summary")
    out["ref_no"] = get("ref_no")
    out["found_by"] = get("found_by")
    warn((out["status"] == "resolved") & resolved.isna(), "status",
         "化解状态为“已化解”，但没有化解时间（已导入，不计入化解用时统计）")
    if PARTY_FIELDS & values.keys():
        out["parties"] = _parties(get, warn)
    return out


PARTY_FIELDS = {"party_name", "party_id_number", "party_phone"}


def _parties(get, warn) -> pd.Series:
    """Per row a tuple of (name, ID number, phone) parties, paired by position; a warning where counts differ."""
    cells = [get(name).map(lambda v: v if isinstance(v, tuple) else ()) for name in ("party_name", "party_id_number",
                                                                                      "party_phone")]
    counts = pd.concat([c.map(len) for c in cells], axis=1)
    given = counts.where(counts > 0)
    warn(given.min(axis=1) < given.max(axis=1), "party_name",
         "当事人、身份证号、联系电话的个数不一致，已按先后顺序对应导入，请核对")
    width = counts.max(axis=1)
    return pd.Series([tuple((_at(n, i), _at(d, i), _at(p, i)) for i in range(w)) if w else ()
                      for n, d, p, w in zip(*cells, width)], index=width.index, dtype=object)


def _at(values: tuple, i: int) -> str | None:
    value = values[i] if i < len(values) else None
    return value if isinstance(value, str) else None


def derive_petitions(out: pd.DataFrame, get, check, warn, values: dict) -> pd.DataFrame:
    """Petition columns: ``is_first`` from it or ``is_repeat``, defaults and status where blank; checks the dates."""
    received = _dates_as_days(get("received_on"))
    accepted = _dates_as_days(get("accepted_on"))
    closed = _dates_as_days(get("closed_on"))
    status = get("status")
    out["status"] = status.where(status.notna(), np.select([closed.notna(), accepted.notna()], ["closed", "accepted"],
                                                           "received"))
    accepted = accepted.where(~warn(pd.to_datetime(accepted) < pd.to_datetime(received), "accepted_on",
                                    "受理日期早于登记日期（已导入，受理日期按未填写处理）"))
    closed = closed.where(~warn(pd.to_datetime(closed) < pd.to_datetime(received), "closed_on",
                                "办结日期早于登记日期（已导入，办结日期按未填写处理）"))
    first = get("is_first")
    if "is_repeat" in values:
        repeat = values["is_repeat"]
        check(first.notna() & repeat.notna() & (first == repeat), "is_repeat", "“是否初信初访”与“是否重复信访”相互矛盾")
        first = first.where(first.notna(), repeat.map({True: False, False: True}))
    check(first.isna(), "is_first", "没有填写是否初信初访（或是否重复信访）")
    for name in ("category", "channel", "domain", "lodged_level", "petitioner_name", "petitioner_id_number",
                 "petitioner_phone", "satisfaction", "hotline_ticket", "ref_no", "one_time_resolved"):
        out[name] = get(name)
    out["received_on"], out["accepted_on"], out["closed_on"] = received, accepted, closed
    out["is_first"] = first
    out["head_count"] = get("head_count").fillna(1).astype("Int64")
    out["nationally_registered"] = get("nationally_registered").fillna(False)
    out["extension_days"] = get("extension_days").fillna(0).astype("Int64")
    warn((out["status"] == "closed") & closed.isna(), "status",
         "办理状态为“已办结”，但没有办结日期（已导入，不计入办理用时，也不再计算法定时限）")
    return out


def derive_hotline(out: pd.DataFrame, get, check, warn) -> pd.DataFrame:
    """Hotline ticket columns, with defaults and status inferred where blank; checks dates and transfers out."""
    received = _dates_as_days(get("received_on"))
    closed = _dates_as_days(get("closed_on"))
    status = get("status")
    out["status"] = status.where(status.notna(), np.where(closed.notna(), "closed", "accepted"))
    closed = closed.where(~warn(pd.to_datetime(closed) < pd.to_datetime(received), "closed_on",
                                "办结时间早于来电时间（已导入，办结时间按未填写处理）"))
    for name in ("hotline_ticket", "category", "petition_ref_no", "petitioner_name", "petitioner_phone",
                 "petitioner_id_number", "satisfaction"):
        out[name] = get(name)
    out["received_on"], out["closed_on"] = received, closed
    out["domain"] = get("domain").fillna("other")
    out["direction"] = get("direction").fillna("in")
    out["lodged_level"] = get("lodged_level").fillna("city")
    out["is_first"] = get("is_first").fillna(True)
    warn((out["status"] == "closed") & closed.isna(), "status",
         "工单状态为“已办结”，但没有办结时间（已导入，不计入办理用时）")
    check((out["direction"] == "out") & out["petition_ref_no"].isna(), "direction",
          "转出的工单要填写“信访件编号”（由哪件信访事项转出）")
    return out


def natural_keys(out: pd.DataFrame, spec: LedgerSpec) -> pd.Series:
    """The natural key: the ledger's number, else “FP” + a fingerprint of the identifying cells and the place."""
    if spec.kind == ImportKind.HOTLINE:
        return out["hotline_ticket"]
    own = out["ref_no"]
    missing = own.isna()
    if not missing.any():
        return own
    rows = out[missing]
    place = (_as_text(rows["loc_method"]) + "|" + rows["lon"].map("{:.6f}".format) + "," + rows["lat"].map("{:.6f}".format)
             + "|" + _as_text(rows["grid_in"]) + "|" + _as_text(rows["village_in"]) + "|" + _as_text(rows["county_name"])
             + "|" + _as_text(rows["township_name"]) + "|" + _as_text(rows["village_name"]))
    parts = [_as_text(rows[name]) for name in spec.fingerprint]
    joined = place.str.cat(parts, sep=SEPARATOR)
    fingerprints = joined.map(lambda s: "FP" + hashlib.sha1(s.encode()).hexdigest()[:16].upper())
    return own.where(~missing, fingerprints)


def _as_text(series: pd.Series) -> pd.Series:
    """Text of each value, "" for a missing one (``astype(str)`` keeps missing values missing in pandas 3)."""
    return series.astype(object).map(lambda v: "" if v is None or v is pd.NaT or (isinstance(v, float) and v != v)
                                     else str(v))
