"""Risk signals (防变量预警) computed for a day from the records, and their acknowledgements.

``compute_signals(session, day)`` raises four kinds of signal (``geo.enums.SignalKind``); every
threshold is a constant below, and ``DEFINITIONS`` says each rule in Chinese for the page:

- **spike** (纠纷激增): a grid cell or township whose disputes in the last 7 or in the last 30 days (the window
  ends on ``day``) exceed the 99.9 % quantile of a Poisson distribution whose mean is the unit's own mean
  daily count over the 365 days before the window, times the window's length (``scipy.stats.poisson.ppf``).
  The baseline is cut to the days the data covers (the first day in ``dispute_cell_day``); a window whose
  baseline covers fewer than ``MIN_BASELINE_DAYS`` days is not tested, and at least ``MIN_SPIKE_COUNT``
  disputes are needed, so one dispute in a cell with no history is not a spike. When both windows fire,
  the one with the smaller tail probability is reported (both are in ``details``). Counts come from the
  materialized view ``dispute_cell_day`` (local days), so they are as fresh as its last refresh.
- **collective** (集体访苗头): ``COLLECTIVE_HOUSEHOLDS`` or more distinct households of one grid cell (the
  household's own cell), or of one village, involved (``dispute_household``) in disputes of the same domain
  reported in the ``COLLECTIVE_WINDOW_DAYS`` days ending on ``day``. A village is raised only when none of
  its cells is raised for that domain; one signal per unit lists every domain that reached the threshold.
- **repeat_petitioner** (重复信访人): a petition received in the ``PETITION_WINDOW_DAYS`` days ending on ``day``
  whose petitioner (same ID number) lodged ``REPEAT_PETITIONS`` or more petitions in the 12 months up to
  and including it, or that is at least the ``REPEAT_CHAIN``-th petition of its repeat chain
  (``previous_petition_id``).
- **escalation** (初访越级上行): a first-time petition received in that window and lodged above county level
  (city: it may go on to the province or Beijing; province or Beijing: it already has).

Severity 1–4 (``SEVERITY_LABELS``, the words of ``RiskLevel``). Inside a sensitive period (table
``sensitive_period``, used when it exists) covering the signal's county, or the whole city, every signal's
severity goes up one step (at most 4) and its reason says so.

Each signal has a stable key ``kind:subject:day`` (subject = the unit code, or the petition's ref_no for
petition signals): computing the same day again gives the same keys, which is what an acknowledgement
(``signal_ack``) refers to. Acknowledgements are per day (每日一碰) and kept for good.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import numpy as np
import pandas as pd
from scipy.stats import poisson
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.access import Principal, require_action
from geo.areas import county_of
from geo.audit import record
from geo.deadlines import check_day
from geo.enums import DisputeDomain, LodgedLevel, RiskLevel, SignalKind
from geo.errors import InvalidInput, NotFound
from geo.kpis import LOCAL_TIMEZONE
from geo.models.signals import SignalAck
from geo.privacy import mask_name

SPIKE_WINDOWS = (7, 30)
BASELINE_DAYS = 365
SPIKE_QUANTILE = 0.999
MIN_SPIKE_COUNT = 3
MIN_BASELINE_DAYS = 90
EXTREME_TAIL = 1e-6
"""A spike whose Poisson tail probability is below this is 重大 rather than 较大."""
COLLECTIVE_HOUSEHOLDS = 5
COLLECTIVE_WINDOW_DAYS = 30
PETITION_WINDOW_DAYS = 7
REPEAT_PETITIONS = 3
REPEAT_MONTHS = 12
REPEAT_CHAIN = 3
MAX_CHAIN = 200
UPPER_LEVELS = (LodgedLevel.CITY, LodgedLevel.PROVINCE, LodgedLevel.BEIJING)

SEVERITY_LABELS = {rank: level.label for rank, level in enumerate(RiskLevel, start=1)}
"""1 一般, 2 较大, 3 重大, 4 特别重大."""
MAX_SEVERITY = max(SEVERITY_LABELS)
LEVEL_LABELS = {"grid": "网格", "village": "村（社区）", "township": "乡镇（街道）"}
KIND_ORDER = {kind.value: i for i, kind in enumerate(SignalKind)}

DEFINITIONS = {
    SignalKind.SPIKE.value: (
        f"网格或乡镇（街道）近 {SPIKE_WINDOWS[0]} 日或近 {SPIKE_WINDOWS[1]} 日登记的矛盾纠纷件数，超过以其自身此前 "
        f"{BASELINE_DAYS} 日日均件数 × 天数为均值的泊松分布 {SPIKE_QUANTILE:.1%} 分位数（且至少 {MIN_SPIKE_COUNT} 件）。"
        f"数据不足 {MIN_BASELINE_DAYS} 日的不作判断；尾概率小于百万分之一的为“重大”，其余为“较大”。"
    ),
    SignalKind.COLLECTIVE.value: (
        f"同一网格（或同一村、社区）的 {COLLECTIVE_HOUSEHOLDS} 户及以上住户，在近 {COLLECTIVE_WINDOW_DAYS} 日内卷入同一类别的"
        f"矛盾纠纷；为“较大”，达到 {2 * COLLECTIVE_HOUSEHOLDS} 户及以上的为“重大”。"
    ),
    SignalKind.REPEAT_PETITIONER.value: (
        f"近 {PETITION_WINDOW_DAYS} 日收到的信访事项中，信访人（身份证号相同）{REPEAT_MONTHS} 个月内信访 {REPEAT_PETITIONS} 次及以上，"
        f"或该事项是同一重复信访链的第 {REPEAT_CHAIN} 次及以上；为“较大”，到省、赴京或集体访（5人及以上）的上调一级。"
    ),
    SignalKind.ESCALATION.value: (
        f"近 {PETITION_WINDOW_DAYS} 日收到的初信初访事项在县级以上登记：市级为“较大”（有赴省进京风险），"
        "到省为“重大”，赴京为“特别重大”。"
    ),
    "sensitive": "敏感时期内，所涉县区（或全市）的各类预警均上调一级（最高“特别重大”）。",
}

SIGNAL_COLUMNS = ["signal_key", "kind", "kind_label", "unit_code", "unit_name", "level", "county_code", "severity",
                  "severity_label", "reason", "observed", "expected", "threshold", "sensitive_periods", "details"]


def compute_signals(session: Session, day: date) -> pd.DataFrame:
    """Every signal raised for ``day`` (see the module docstring), most severe first.

    Columns ``SIGNAL_COLUMNS``: ``signal_key``; ``kind`` and its label; the unit (``unit_code``,
    ``unit_name``, ``level`` = grid/village/township, ``county_code``); ``severity`` 1–4 and its label;
    ``reason`` (a Chinese sentence with the numbers); ``observed`` (disputes, households, or petitions counted),
    ``expected`` (the Poisson mean, spikes only; NaN otherwise), ``threshold`` (the count that had to be
    exceeded or reached; NaN for escalation); ``sensitive_periods`` (names, empty outside one);
    ``details`` (a dict with the figures behind the reason).
    """
    day = check_day(day, "预警日期")
    found = [*_spikes(session, day), *_collectives(session, day), *_petition_signals(session, day)]
    _apply_sensitive_periods(session, day, found)
    for signal in found:
        signal["kind_label"] = SignalKind(signal["kind"]).label
        signal["severity_label"] = SEVERITY_LABELS[signal["severity"]]
    frame = pd.DataFrame(found, columns=SIGNAL_COLUMNS)
    frame = frame.astype({"severity": "int64", "observed": "float64", "expected": "float64", "threshold": "float64"})
    frame["kind_order"] = frame["kind"].map(KIND_ORDER)
    frame = frame.sort_values(["severity", "kind_order", "unit_code", "signal_key"],
                              ascending=[False, True, True, True], ignore_index=True)
    frame = frame.drop(columns="kind_order")
    frame.attrs["day"] = day
    return frame


def signal_key(kind: str, subject: str, day: date) -> str:
    return f"{kind}:{subject}:{day.isoformat()}"


# --- spikes -------------------------------------------------------------------------------------------------------

def _spikes(session: Session, day: date) -> list[dict]:
    data_start = session.execute(text("SELECT min(day) FROM dispute_cell_day")).scalar()
    if data_start is None or data_start > day:
        return []
    params: dict = {"day": day, "baseline": BASELINE_DAYS, "longest": max(SPIKE_WINDOWS)}
    columns = []
    for i, window in enumerate(SPIKE_WINDOWS):
        params[f"w{i}"] = window
        columns.append(f"coalesce(sum(disputes) FILTER (WHERE day > CAST(:day AS date) - CAST(:w{i} AS integer)), 0)"
                       f" AS observed_{i}")
        columns.append(f"coalesce(sum(disputes) FILTER (WHERE day <= CAST(:day AS date) - CAST(:w{i} AS integer)), 0)"
                       f" - coalesce(sum(disputes) FILTER (WHERE day <= CAST(:day AS date) - CAST(:w{i} AS integer)"
                       f" - CAST(:baseline AS integer)), 0) AS baseline_{i}")
    rows = session.execute(text(
        f"SELECT grid_code, township_code, {', '.join(columns)} FROM dispute_cell_day"
        " WHERE day > CAST(:day AS date) - CAST(:longest AS integer) - CAST(:baseline AS integer)"
        " AND day <= CAST(:day AS date) GROUP BY grid_code, township_code"
    ), params).mappings().all()
    if not rows:
        return []
    cells = pd.DataFrame(rows)
    counts = [c for c in cells.columns if c.startswith(("observed_", "baseline_"))]
    cells[counts] = cells[counts].astype("int64")
    townships = cells.groupby("township_code", as_index=False)[counts].sum()
    units = pd.concat([
        cells.drop(columns="township_code").rename(columns={"grid_code": "code"}).assign(level="grid"),
        townships.rename(columns={"township_code": "code"}).assign(level="township"),
    ], ignore_index=True)

    tests = []
    for i, window in enumerate(SPIKE_WINDOWS):
        end = day - timedelta(days=window)
        covered = (end - max(end - timedelta(days=BASELINE_DAYS - 1), data_start)).days + 1
        if covered < MIN_BASELINE_DAYS:
            continue
        observed = units[f"observed_{i}"].to_numpy()
        baseline = units[f"baseline_{i}"].to_numpy()
        rate = baseline / covered
        expected = rate * window
        threshold = poisson.ppf(SPIKE_QUANTILE, expected)
        tail = poisson.sf(observed - 1, expected)
        fired = (observed > threshold) & (observed >= MIN_SPIKE_COUNT)
        tests.append(pd.DataFrame({"unit": np.arange(len(units)), "window": window, "covered": covered,
                                   "observed": observed, "baseline": baseline, "rate": rate, "expected": expected,
                                   "threshold": threshold, "tail": tail, "fired": fired}))
    if not tests:
        return []
    tests = pd.concat(tests, ignore_index=True)
    fired_units = tests.loc[tests["fired"], "unit"].unique()
    if not len(fired_units):
        return []
    names = _unit_names(session, units.loc[fired_units, "code"].tolist())
    signals = []
    for unit in fired_units:
        code, level = units.at[unit, "code"], units.at[unit, "level"]
        mine = tests[tests["unit"] == unit].sort_values(["fired", "tail", "window"], ascending=[False, True, True])
        best = mine.iloc[0]
        window, observed, expected = int(best["window"]), int(best["observed"]), float(best["expected"])
        threshold, covered = float(best["threshold"]), int(best["covered"])
        reason = (f"{names[code]['label']}近 {window} 日登记矛盾纠纷 {observed} 件；按此前 {covered} 日日均 "
                  f"{best['rate']:.2f} 件推算，{window} 日应约 {expected:.1f} 件，泊松分布 {SPIKE_QUANTILE:.1%} 上限为 "
                  f"{threshold:.0f} 件，实际超出上限。")
        signals.append(_signal(
            SignalKind.SPIKE, code, day, names[code], level=level,
            severity=3 if best["tail"] < EXTREME_TAIL else 2, reason=reason,
            observed=observed, expected=expected, threshold=threshold,
            details={"window_days": window, "baseline_days": covered, "baseline_disputes": int(best["baseline"]),
                     "rate_per_day": float(best["rate"]), "tail_probability": float(best["tail"]),
                     "quantile": SPIKE_QUANTILE,
                     "windows": [{"window_days": int(t.window), "observed": int(t.observed),
                                  "expected": float(t.expected), "threshold": float(t.threshold), "fired": bool(t.fired)}
                                 for t in mine.sort_values("window").itertuples()]},
        ))
    return signals


# --- forming collective cases -------------------------------------------------------------------------------------

_COLLECTIVE = """
SELECT left(h.grid_code, 12) AS village_code, h.grid_code, d.domain, GROUPING(h.grid_code) = 1 AS whole_village,
       count(DISTINCT dh.household_id) AS households, count(DISTINCT d.id) AS disputes
FROM dispute d
JOIN dispute_household dh ON dh.dispute_id = d.id
JOIN household h ON h.id = dh.household_id
WHERE d.reported_at >= (CAST(:first AS date)::timestamp AT TIME ZONE :tz)
  AND d.reported_at < ((CAST(:day AS date) + 1)::timestamp AT TIME ZONE :tz)
GROUP BY GROUPING SETS ((left(h.grid_code, 12), d.domain, h.grid_code), (left(h.grid_code, 12), d.domain))
HAVING count(DISTINCT dh.household_id) >= :threshold
"""


def _collectives(session: Session, day: date) -> list[dict]:
    first = day - timedelta(days=COLLECTIVE_WINDOW_DAYS - 1)
    rows = session.execute(text(_COLLECTIVE), {"first": first, "day": day, "tz": LOCAL_TIMEZONE,
                                               "threshold": COLLECTIVE_HOUSEHOLDS}).mappings().all()
    cells = [r for r in rows if not r["whole_village"]]
    raised = {(r["village_code"], r["domain"]) for r in cells}
    villages = [r for r in rows if r["whole_village"] and (r["village_code"], r["domain"]) not in raised]
    by_unit: dict[tuple[str, str], list] = {}
    for row in cells:
        by_unit.setdefault((row["grid_code"], "grid"), []).append(row)
    for row in villages:
        by_unit.setdefault((row["village_code"], "village"), []).append(row)
    if not by_unit:
        return []
    names = _unit_names(session, [code for code, _ in by_unit])
    signals = []
    for (code, level), found in sorted(by_unit.items()):
        found = sorted(found, key=lambda r: (-r["households"], r["domain"]))
        parts = [f"{r['households']} 户卷入“{DisputeDomain(r['domain']).label}”类矛盾纠纷（{r['disputes']} 件）" for r in found]
        most = int(found[0]["households"])
        reason = (f"{names[code]['label']}在 {_md(first)}至{_md(day)}（近 {COLLECTIVE_WINDOW_DAYS} 日）有 "
                  f"{'；'.join(parts)}，达到 {COLLECTIVE_HOUSEHOLDS} 户的集体访苗头线。")
        signals.append(_signal(
            SignalKind.COLLECTIVE, code, day, names[code], level=level,
            severity=3 if most >= 2 * COLLECTIVE_HOUSEHOLDS else 2, reason=reason,
            observed=most, expected=np.nan, threshold=COLLECTIVE_HOUSEHOLDS,
            details={"window_days": COLLECTIVE_WINDOW_DAYS, "from": first.isoformat(),
                     "domains": [{"domain": r["domain"], "label": DisputeDomain(r["domain"]).label,
                                  "households": int(r["households"]), "disputes": int(r["disputes"])} for r in found]},
        ))
    return signals


# --- repeat petitioners and first-time petitions lodged high ------------------------------------------------------

_PETITIONS = """
WITH RECURSIVE recent AS (
    SELECT p.id, p.ref_no, p.origin_grid_code, p.received_on, p.is_first, p.lodged_level, p.head_count, p.domain,
           p.petitioner_name, p.petitioner_id_number, p.previous_petition_id
    FROM petition p
    WHERE p.received_on > CAST(:day AS date) - CAST(:window AS integer) AND p.received_on <= CAST(:day AS date)
), back AS (
    SELECT r.id AS start_id, r.previous_petition_id AS previous, 1 AS length FROM recent r
    UNION ALL
    SELECT b.start_id, p.previous_petition_id, b.length + 1
    FROM back b JOIN petition p ON p.id = b.previous
    WHERE b.length < :max_chain
), chains AS (
    SELECT start_id, max(length) AS chain_length FROM back GROUP BY start_id
), same_person AS (
    SELECT r.id, count(*) AS petitions_12m
    FROM recent r JOIN petition o ON o.petitioner_id_number = r.petitioner_id_number
    WHERE o.received_on > (r.received_on - make_interval(months => CAST(:months AS integer)))::date
      AND o.received_on <= r.received_on
    GROUP BY r.id
)
SELECT r.*, c.chain_length, coalesce(s.petitions_12m, 1) AS petitions_12m
FROM recent r JOIN chains c ON c.start_id = r.id LEFT JOIN same_person s ON s.id = r.id
WHERE c.chain_length >= :chain OR s.petitions_12m >= :repeats OR (r.is_first AND r.lodged_level = ANY(:upper))
ORDER BY r.received_on, r.ref_no
"""


def _petition_signals(session: Session, day: date) -> list[dict]:
    rows = session.execute(text(_PETITIONS), {
        "day": day, "window": PETITION_WINDOW_DAYS, "max_chain": MAX_CHAIN, "months": REPEAT_MONTHS,
        "chain": REPEAT_CHAIN, "repeats": REPEAT_PETITIONS, "upper": [level.value for level in UPPER_LEVELS],
    }).mappings().all()
    if not rows:
        return []
    names = _unit_names(session, sorted({r["origin_grid_code"] for r in rows}))
    signals = []
    for row in rows:
        level = LodgedLevel(row["lodged_level"])
        unit = names[row["origin_grid_code"]]
        who = mask_name(row["petitioner_name"]) or "（未留姓名）"
        heads = int(row["head_count"])
        about = (f"信访事项 {row['ref_no']}（{_md(row['received_on'])}收到，{level.label}登记，"
                 f"{DisputeDomain(row['domain']).label}，{heads} 人，来自{unit['label']}）")
        details = {"ref_no": row["ref_no"], "received_on": row["received_on"].isoformat(), "lodged_level": level.value,
                   "head_count": heads, "petitions_12m": int(row["petitions_12m"]),
                   "chain_length": int(row["chain_length"])}
        many, long_chain = row["petitions_12m"] >= REPEAT_PETITIONS, row["chain_length"] >= REPEAT_CHAIN
        if many or long_chain:
            facts = []
            if many:
                facts.append(f"信访人{who}近 {REPEAT_MONTHS} 个月内已信访 {row['petitions_12m']} 次")
            if long_chain:
                facts.append(f"该事项是同一重复信访链的第 {row['chain_length']} 次信访")
            raised = level in (LodgedLevel.PROVINCE, LodgedLevel.BEIJING) or heads >= 5
            signals.append(_signal(
                SignalKind.REPEAT_PETITIONER, row["ref_no"], day, unit, unit_code=row["origin_grid_code"], level="grid",
                severity=3 if raised else 2, reason=f"{about}：{'；'.join(facts)}（达到 {REPEAT_PETITIONS} 次的重复信访线）。",
                observed=max(row["petitions_12m"] if many else 0, row["chain_length"] if long_chain else 0),
                expected=np.nan, threshold=REPEAT_PETITIONS if many else REPEAT_CHAIN, details=details,
            ))
        if row["is_first"] and level in UPPER_LEVELS:
            risk = {LodgedLevel.CITY: "初信初访未在县级及以下化解即到市级，有赴省进京风险",
                    LodgedLevel.PROVINCE: "初信初访已越级到省", LodgedLevel.BEIJING: "初信初访已越级赴京"}[level]
            signals.append(_signal(
                SignalKind.ESCALATION, row["ref_no"], day, unit, unit_code=row["origin_grid_code"], level="grid",
                severity={LodgedLevel.CITY: 2, LodgedLevel.PROVINCE: 3, LodgedLevel.BEIJING: 4}[level],
                reason=f"{about}：{risk}。", observed=np.nan, expected=np.nan, threshold=np.nan, details=details,
            ))
    return signals


# --- shared pieces ------------------------------------------------------------------------------------------------

def _signal(kind: SignalKind, subject: str, day: date, unit: dict, *, level: str, severity: int, reason: str,
            observed, expected, threshold, details: dict, unit_code: str | None = None) -> dict:
    code = unit_code or subject
    return {"signal_key": signal_key(kind.value, subject, day), "kind": kind.value, "unit_code": code,
            "unit_name": unit["name"], "level": level, "county_code": county_of(code), "severity": severity,
            "reason": reason, "observed": observed, "expected": expected, "threshold": threshold,
            "sensitive_periods": [], "details": details}


def _md(day: date) -> str:
    return f"{day.month}月{day.day}日"


def _unit_names(session: Session, codes: list[str]) -> dict[str, dict]:
    """Code → {name, label}: label reads e.g. 网格“老城一网格”（浉河区老城街道）."""
    grid = [c for c in codes if len(c) == 15]
    regions = [c for c in codes if len(c) != 15]
    rows = session.execute(text("""
        SELECT g.code, g.name, coalesce(k.name, '') || coalesce(t.name, '') AS context, 'grid' AS level
        FROM grid_cell g LEFT JOIN region k ON k.code = g.county_code LEFT JOIN region t ON t.code = g.township_code
        WHERE g.code = ANY(:grid)
        UNION ALL
        SELECT r.code, r.name, coalesce(k.name, '') || CASE WHEN r.level = 'village' THEN coalesce(t.name, '') ELSE '' END,
               r.level
        FROM region r LEFT JOIN region k ON k.code = left(r.code, 6) LEFT JOIN region t ON t.code = left(r.code, 9) || '000'
        WHERE r.code = ANY(:regions)
    """), {"grid": grid, "regions": regions}).all()
    found = {code: {"name": name, "label": f"{LEVEL_LABELS.get(level, '')}“{name}”（{context}）" if context
                    else f"{LEVEL_LABELS.get(level, '')}“{name}”"} for code, name, context, level in rows}
    return {code: found.get(code, {"name": code, "label": f"单元 {code}"}) for code in codes}


def _apply_sensitive_periods(session: Session, day: date, signals: list[dict]) -> None:
    """Raise the severity of signals in a sensitive period covering their county (or the whole city)."""
    exists = session.execute(text("SELECT to_regclass('sensitive_period') IS NOT NULL")).scalar()
    if not exists or not signals:
        return
    periods = session.execute(text(
        "SELECT name, county_codes FROM sensitive_period WHERE starts_on <= :day AND ends_on >= :day"
        " ORDER BY starts_on, name"
    ), {"day": day}).all()
    for signal in signals:
        covering = [name for name, counties in periods if counties is None or signal["county_code"] in counties]
        if covering:
            signal["sensitive_periods"] = covering
            signal["severity"] = min(signal["severity"] + 1, MAX_SEVERITY)
            signal["reason"] += f"正值敏感时期（{'、'.join(covering)}），预警等级上调一级。"


# --- acknowledgements ---------------------------------------------------------------------------------------------

MAX_NOTE_LENGTH = 500
_KEY = re.compile(r"(?P<kind>[a-z_]+):(?P<subject>[0-9A-Za-z_-]+):(?P<day>\d{4}-\d{2}-\d{2})")


def find_signal(session: Session, key: str) -> dict:
    """The signal ``key`` (``kind:subject:day``) as ``compute_signals`` raises it for its day, under the
    session's scope: a signal the caller may not see is not found."""
    match = _KEY.fullmatch(key or "") if isinstance(key, str) else None
    if match is None or match["kind"] not in KIND_ORDER:
        raise InvalidInput(f"预警编号“{key}”无效：请在预警列表中选择一条预警再确认。")
    try:
        day = date.fromisoformat(match["day"])
    except ValueError as exc:
        raise InvalidInput(f"预警编号“{key}”中的日期无效：请在预警列表中选择一条预警再确认。") from exc
    signals = compute_signals(session, day)
    found = signals[signals["signal_key"] == key]
    if found.empty:
        raise NotFound(f"找不到预警“{key}”，或其不在您的查看范围内：请刷新预警列表后再确认。")
    return found.iloc[0].to_dict()


def acknowledge(session: Session, key: str, by: Principal, note: str | None = None) -> dict:
    """Record that ``by`` acknowledged the signal ``key`` (with an optional note), in the audit log too.

    The signal is looked up (``find_signal``) and its unit, kind and day come from it, never from the
    caller: ``by`` must be allowed to acknowledge in that unit (``Forbidden`` otherwise). Acknowledgements
    are only ever added: acknowledging again adds a second row, and the table refuses updates and deletes.
    Returns the signal acknowledged.
    """
    if note is not None and not isinstance(note, str):
        raise InvalidInput("备注应为文字。")
    note = (note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidInput(f"备注过长（{len(note)} 字）：请不超过 {MAX_NOTE_LENGTH} 字。")
    signal = find_signal(session, key)
    require_action(by, "acknowledge", signal["unit_code"])
    ack = SignalAck(signal_key=key, day=date.fromisoformat(key[-10:]), kind=SignalKind(signal["kind"]),
                    unit_code=signal["unit_code"], acknowledged_by=by.display_name or by.username, note=note or None)
    session.add(ack)
    session.flush()
    record(session, by.username, "acknowledge_signal", f"signal_ack/{ack.id}",
           {"signal_key": key, "unit_code": signal["unit_code"]})
    return signal


ACK_COLUMNS = ["signal_key", "day", "kind", "unit_code", "acknowledged_by", "acknowledged_at", "note"]


def acknowledgements(session: Session, keys) -> pd.DataFrame:
    """Every acknowledgement of the signals ``keys``, oldest first (columns ``ACK_COLUMNS``)."""
    rows = session.execute(text(
        "SELECT signal_key, day, kind, unit_code, acknowledged_by, acknowledged_at, note FROM signal_ack"
        " WHERE signal_key = ANY(:keys) ORDER BY acknowledged_at, id"
    ), {"keys": list(keys)}).all()
    return pd.DataFrame(rows, columns=ACK_COLUMNS)


def acknowledged_count(session: Session, keys) -> int:
    """How many of the signals ``keys`` have at least one acknowledgement."""
    return session.execute(text("SELECT count(DISTINCT signal_key) FROM signal_ack WHERE signal_key = ANY(:keys)"),
                           {"keys": list(keys)}).scalar()


def earlier_acknowledgements(session: Session, keys, before: date) -> pd.DataFrame:
    """For each of ``keys``, the latest acknowledgement of the same kind and subject on a day before ``before``.

    Columns ``ACK_COLUMNS`` plus ``for_key`` (the key of ``keys`` it belongs to); keys whose subject was
    never acknowledged before are absent. It tells the reader that a signal of today was already seen
    (and what was noted) on an earlier day.
    """
    prefixes = {key[:-10]: key for key in keys}
    rows = session.execute(text(
        "SELECT DISTINCT ON (left(signal_key, -10)) left(signal_key, -10) AS prefix,"
        " signal_key, day, kind, unit_code, acknowledged_by, acknowledged_at, note"
        " FROM signal_ack WHERE left(signal_key, -10) = ANY(:prefixes) AND day < :before"
        " ORDER BY left(signal_key, -10), day DESC, acknowledged_at DESC, id DESC"
    ), {"prefixes": list(prefixes), "before": before}).mappings().all()
    return pd.DataFrame([{**{c: r[c] for c in ACK_COLUMNS}, "for_key": prefixes[r["prefix"]]} for r in rows],
                        columns=[*ACK_COLUMNS, "for_key"])
