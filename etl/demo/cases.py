"""Disputes (2023–2025) with persistent hotspots and seasons, the petitions some of them become,
repeat chains, and the backlog cases handed down to leaders.

Each county follows a story (``config.INVERSION_2023`` → ``INVERSION_2025``): the more inverted its
pyramid in a year, the more disputes leak into petitions, the higher petitions are lodged, and the
lower one-time resolution and satisfaction. References between generated rows are row indices
(``household``, ``dispute``, ``previous``); the loader turns them into database ids.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.demo.config import END, INVERSION_2023, INVERSION_2025, START
from etl.demo.people import People
from etl.demo.names import person_names
from geo.enums import (
    BacklogMode,
    DisputeDomain,
    LodgedLevel,
    PetitionCategory,
    PetitionChannel,
    ResolutionChannel,
    RiskLevel,
)

DOMAINS = list(DisputeDomain)
BASE_MIX = np.array([0.14, 0.12, 0.06, 0.16, 0.08, 0.10, 0.14, 0.15, 0.05])
RURAL_BOOST = np.array([1.0, 0.8, 1.0, 1.7, 0.9, 1.4, 1.0, 1.0, 1.0])
URBAN_BOOST = np.array([1.5, 1.4, 1.1, 0.3, 1.2, 0.6, 1.0, 1.2, 1.0])
SEASON = np.ones((len(DOMAINS), 12))
SEASON[DOMAINS.index(DisputeDomain.LABOUR_SOCIAL_SECURITY)] = [2.0, 1.8, 1.0, 0.8, 0.8, 0.8, 0.9, 0.9, 0.9, 1.0, 1.2, 2.2]
SEASON[DOMAINS.index(DisputeDomain.RURAL_AGRICULTURE)] = [0.6, 0.7, 1.5, 1.7, 1.5, 1.0, 0.8, 0.8, 1.4, 1.5, 1.0, 0.6]
SEASON[DOMAINS.index(DisputeDomain.URBAN_RURAL_CONSTRUCTION)] = [0.7, 0.6, 1.0, 1.3, 1.3, 1.3, 1.2, 1.2, 1.1, 1.0, 0.8, 0.7]
SEASON[DOMAINS.index(DisputeDomain.MARRIAGE_FAMILY)] = [1.2, 1.6, 1.1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1.1, 0.9, 1.0]
YEAR_FACTOR = {2023: 0.92, 2024: 1.05, 2025: 1.02}
"""Screening finds a little more from 2024 on, as the plan's grid work takes hold."""

DISPUTES_PER_HOUSEHOLD_YEAR = 1 / 60
DIRECT_PETITIONS_PER_HOUSEHOLD_YEAR = 1 / 480
HOTSPOTS_PER_COUNTY = 3
HOTSPOT_DOMAINS = [DisputeDomain.URBAN_RURAL_CONSTRUCTION, DisputeDomain.LABOUR_SOCIAL_SECURITY,
                   DisputeDomain.NATURAL_RESOURCES, DisputeDomain.RURAL_AGRICULTURE]
HOTSPOT_PEAK, HOTSPOT_RADIUS_KM = 30.0, 1.5
SUMMARIES = {
    DisputeDomain.URBAN_RURAL_CONSTRUCTION: ["征地拆迁补偿争议", "房屋建设质量纠纷", "物业服务纠纷", "棚户区改造安置纠纷"],
    DisputeDomain.LABOUR_SOCIAL_SECURITY: ["拖欠农民工工资", "工伤认定争议", "社保缴纳纠纷", "劳动合同解除争议"],
    DisputeDomain.LAW_LITIGATION: ["判决执行不到位", "不服法院裁判", "执法程序争议"],
    DisputeDomain.RURAL_AGRICULTURE: ["土地承包经营权纠纷", "土地流转租金纠纷", "农业补贴发放争议", "灌溉用水纠纷"],
    DisputeDomain.ECONOMIC_MANAGEMENT: ["民间借贷纠纷", "非法集资涉稳", "合同欠款纠纷"],
    DisputeDomain.NATURAL_RESOURCES: ["宅基地界址纠纷", "林地权属争议", "土地确权争议", "采砂环境影响纠纷"],
    DisputeDomain.MARRIAGE_FAMILY: ["婚姻家庭纠纷", "赡养老人纠纷", "遗产继承纠纷"],
    DisputeDomain.NEIGHBOURHOOD: ["相邻通行纠纷", "噪声扰民纠纷", "邻里排水纠纷"],
    DisputeDomain.OTHER: ["其他矛盾纠纷"],
}
CHANNEL_WEIGHTS = {
    ResolutionChannel.PEOPLES_MEDIATION: 0.50, ResolutionChannel.ADMINISTRATIVE_MEDIATION: 0.12,
    ResolutionChannel.JUDICIAL_MEDIATION: 0.06, ResolutionChannel.PETITION_MEDIATION: 0.06,
    ResolutionChannel.LITIGATION_MEDIATION: 0.06, ResolutionChannel.ARBITRATION: 0.05,
    ResolutionChannel.RECONSIDERATION: 0.03, ResolutionChannel.ONE_STOP_CENTRE: 0.12,
}
LEVELS = list(LodgedLevel)
HEALTHY_PYRAMID = np.array([0.52, 0.33, 0.10, 0.04, 0.01])
INVERTED_PYRAMID = np.array([0.08, 0.16, 0.30, 0.27, 0.19])
CATEGORY_WEIGHTS = {PetitionCategory.COMPLAINT_REQUEST: 0.72, PetitionCategory.ACCUSATION: 0.14,
                    PetitionCategory.SUGGESTION: 0.14}
PETITION_CHANNEL_WEIGHTS = {PetitionChannel.VISIT: 0.38, PetitionChannel.LETTER: 0.10,
                            PetitionChannel.ONLINE: 0.30, PetitionChannel.HOTLINE_12345: 0.22}
HAND_DOWN_DATES = pd.to_datetime(["2023-03-20", "2023-09-20", "2024-03-20", "2024-09-20", "2025-03-20", "2025-09-20"])
LEADER_TITLES = ["县委书记", "县长", "县委副书记", "常务副县长", "副县长", "县委政法委书记", "县信访局局长", "乡镇党委书记"]
HANDED_DOWN_BY = ["市信访工作联席会议办公室", "市委政法委", "市信访局"]
END_TS = pd.Timestamp(END)


def inversion(county: np.ndarray, when: pd.DatetimeIndex | pd.Series) -> np.ndarray:
    """How inverted a county's pyramid is at a date: linear from 2023-01 to 2025-12."""
    frac = np.clip(np.asarray((pd.DatetimeIndex(when) - pd.Timestamp(START)).days) / (END - START).days, 0, 1)
    start = np.array([INVERSION_2023[c] for c in county])
    end = np.array([INVERSION_2025[c] for c in county])
    return start + (end - start) * frac


def _choice(rng, weights: dict, n: int) -> np.ndarray:
    keys = list(weights)
    p = np.array(list(weights.values()), dtype=float)
    return np.array([k.value for k in keys])[rng.choice(len(keys), n, p=p / p.sum())]


def _distance_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    k = np.cos(np.radians((lat1 + lat2) / 2))
    return 111.2 * np.hypot((lon1 - lon2) * k, lat1 - lat2)


def make_disputes(rng: np.random.Generator, cells: pd.DataFrame, people: People) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Disputes and the households they involve (rows ``dispute``, ``household``).

    ``cells`` has code, urban, lon, lat (a centroid) in the order the people were made in.
    """
    n_cells = len(cells)
    households_per_cell = people.households.groupby("grid_code").size().reindex(cells["code"], fill_value=0).to_numpy()
    county = cells["code"].str[:6].to_numpy()
    mix = BASE_MIX * np.where(cells["urban"].to_numpy()[:, None], URBAN_BOOST, RURAL_BOOST)
    mix /= mix.sum(axis=1, keepdims=True)

    months = pd.date_range(START, END, freq="MS")
    hot = np.ones((n_cells, len(DOMAINS), len(months)))
    for code in np.unique(county):
        in_county = np.flatnonzero(county == code)
        weight = households_per_cell[in_county].astype(float) + 1
        for centre in rng.choice(in_county, min(HOTSPOTS_PER_COUNTY, len(in_county)), replace=False, p=weight / weight.sum()):
            domain = DOMAINS.index(HOTSPOT_DOMAINS[rng.integers(len(HOTSPOT_DOMAINS))])
            d = _distance_km(cells["lon"].to_numpy()[in_county], cells["lat"].to_numpy()[in_county],
                             cells["lon"].iat[centre], cells["lat"].iat[centre])
            fade = np.linspace(1.0, rng.choice([1.0, 0.6, 0.25]), len(months))  # some hotspots are defused
            hot[in_county, domain, :] += HOTSPOT_PEAK * np.exp(-d / HOTSPOT_RADIUS_KM)[:, None] * fade[None, :]

    season = SEASON[:, months.month - 1]
    year = np.array([YEAR_FACTOR[y] for y in months.year])
    rate = DISPUTES_PER_HOUSEHOLD_YEAR / 12
    lam = households_per_cell[:, None, None] * rate * mix[:, :, None] * season[None] * year[None, None] * hot
    counts = rng.poisson(lam)
    cell_i, domain_i, month_i = np.nonzero(counts)
    reps = counts[cell_i, domain_i, month_i]
    cell_i, domain_i, month_i = (np.repeat(a, reps) for a in (cell_i, domain_i, month_i))
    hot_here = np.repeat(hot[np.nonzero(counts)], reps) > 3
    n = len(cell_i)

    month_start = months[month_i]
    day = np.floor(rng.random(n) * month_start.days_in_month)
    minute = rng.integers(8 * 60, 18 * 60, n)  # reported in office hours, within the month
    reported = month_start + pd.to_timedelta(day, unit="D") + pd.to_timedelta(minute, unit="min")
    order = np.argsort(reported.values, kind="stable")
    cell_i, domain_i, hot_here, reported = cell_i[order], domain_i[order], hot_here[order], reported[order]

    involved = rng.choice([1, 2, 3, 4], n, p=[0.62, 0.28, 0.07, 0.03])
    collective = hot_here & (rng.random(n) < 0.3)
    involved[collective] = rng.integers(5, 26, collective.sum())
    risk = np.array([r.value for r in RiskLevel])[rng.choice(4, n, p=[0.72, 0.20, 0.07, 0.01])]
    risk[collective] = np.where(rng.random(collective.sum()) < 0.8, RiskLevel.HIGH.value, RiskLevel.CRITICAL.value)

    t = inversion(county[cell_i], reported)
    leak = (0.025 + 0.075 * t) * np.where(np.isin(risk, [RiskLevel.HIGH.value, RiskLevel.CRITICAL.value]), 2.0, 1.0)
    escalated = rng.random(n) < leak
    duration = pd.to_timedelta(rng.lognormal(np.log(9), 0.9, n), unit="D")
    resolved_at = reported + duration
    resolved = ~escalated & (resolved_at <= END_TS)
    status = np.where(escalated, "escalated", np.where(resolved, "resolved",
                      np.where((END_TS - reported) > pd.Timedelta(days=3), "mediating", "reported")))

    first_household, dispute_households = _involved_households(rng, cell_i, involved, cells, people)
    hxy = people.households[["lon", "lat"]].to_numpy()
    member_of_cell = people.members.groupby("grid_code").indices
    found_by = np.array([
        rng.choice(member_of_cell[code]) if code in member_of_cell and rng.random() < 0.75 else -1
        for code in cells["code"].to_numpy()[cell_i]
    ], dtype=np.int64)
    domains = np.array([d.value for d in DOMAINS])[domain_i]
    disputes = pd.DataFrame({
        "grid_code": cells["code"].to_numpy()[cell_i],
        "lon": hxy[first_household, 0],
        "lat": hxy[first_household, 1],
        "domain": domains,
        "risk_level": risk,
        "status": status,
        "channel": np.where(resolved, _choice(rng, CHANNEL_WEIGHTS, n), None),
        "found_by": found_by,
        "reported_at": reported,
        "resolved_at": resolved_at.where(resolved),
        "households_involved": involved,
        "summary": [SUMMARIES[DisputeDomain(d)][rng.integers(len(SUMMARIES[DisputeDomain(d)]))] for d in domains],
        "first_household": first_household,
    })
    return disputes, dispute_households


def _involved_households(rng, cell_i, involved, cells, people) -> tuple[np.ndarray, pd.DataFrame]:
    """The first involved household of each dispute, and all (dispute, household) pairs."""
    households_of = people.households.groupby("grid_code").indices
    codes = cells["code"].to_numpy()
    first = np.empty(len(cell_i), dtype=np.int64)
    pairs_d, pairs_h = [], []
    for i, (c, k) in enumerate(zip(cell_i, involved)):
        pool = households_of[codes[c]]
        chosen = rng.choice(pool, min(k, len(pool)), replace=False)
        first[i] = chosen[0]
        pairs_d.append(np.full(len(chosen), i))
        pairs_h.append(chosen)
    return first, pd.DataFrame({"dispute": np.concatenate(pairs_d), "household": np.concatenate(pairs_h)})


def make_petitions(rng: np.random.Generator, cells: pd.DataFrame, people: People, disputes: pd.DataFrame) -> pd.DataFrame:
    """First-time petitions (from escalated disputes and directly) and their repeat chains."""
    escalated = np.flatnonzero(disputes["status"].to_numpy() == "escalated")
    from_disputes = pd.DataFrame({
        "grid_code": disputes["grid_code"].to_numpy()[escalated],
        "received": (disputes["reported_at"].iloc[escalated] + pd.to_timedelta(rng.integers(3, 46, len(escalated)), "D")).dt.normalize().to_numpy(),
        "domain": disputes["domain"].to_numpy()[escalated],
        "household": disputes["first_household"].to_numpy()[escalated],
        "dispute": escalated,
        "head_count": np.where(disputes["households_involved"].to_numpy()[escalated] >= 5,
                               disputes["households_involved"].to_numpy()[escalated], 1),
    })
    direct = _direct_petitions(rng, cells, people)
    first = pd.concat([from_disputes, direct], ignore_index=True)
    first = first[first["received"] <= END_TS].sort_values("received", kind="stable").reset_index(drop=True)
    first = _attributes(rng, first, is_first=True)
    first["key"] = np.arange(len(first))

    rounds, previous_round = [first], first
    while True:
        repeats = _repeats_of(rng, previous_round)
        if repeats.empty:
            break
        offset = rounds[-1]["key"].max() + 1
        repeats["key"] = np.arange(offset, offset + len(repeats))
        rounds.append(repeats)
        previous_round = repeats
    petitions = _link_rounds(rounds)
    households = people.households
    petitions["petitioner_name"] = households["head_name"].to_numpy()[petitions["household"]]
    petitions["petitioner_id_number"] = households["head_id_number"].to_numpy()[petitions["household"]]
    petitions["petitioner_phone"] = households["head_phone"].to_numpy()[petitions["household"]]
    return _numbered(rng, petitions)


def _direct_petitions(rng, cells, people) -> pd.DataFrame:
    households_of = people.households.groupby("grid_code").indices
    months = pd.date_range(START, END, freq="MS")
    n_households = np.array([len(households_of.get(code, ())) for code in cells["code"]])
    county = cells["code"].str[:6].to_numpy()
    t = inversion(np.repeat(county, len(months)), np.tile(months, len(cells))).reshape(len(cells), len(months))
    lam = n_households[:, None] * DIRECT_PETITIONS_PER_HOUSEHOLD_YEAR / 12 * (0.6 + 0.8 * t)
    counts = rng.poisson(lam)
    cell_i, month_i = np.nonzero(counts)
    reps = counts[cell_i, month_i]
    cell_i, month_i = np.repeat(cell_i, reps), np.repeat(month_i, reps)
    n = len(cell_i)
    starts = months[month_i]
    received = (starts + pd.to_timedelta(rng.integers(0, 28, n), "D")).to_numpy()
    codes = cells["code"].to_numpy()[cell_i]
    household = np.array([rng.choice(households_of[c]) for c in codes], dtype=np.int64)
    head = np.where(rng.random(n) < 0.03, rng.integers(5, 41, n), np.where(rng.random(n) < 0.05, rng.integers(2, 5, n), 1))
    domains = np.array([d.value for d in DOMAINS])[rng.choice(len(DOMAINS), n, p=BASE_MIX / BASE_MIX.sum())]
    return pd.DataFrame({"grid_code": codes, "received": received, "domain": domains, "household": household,
                         "dispute": -1, "head_count": head})


def _attributes(rng, frame: pd.DataFrame, is_first: bool) -> pd.DataFrame:
    """Category, channel, level lodged, registration, dates, outcome for a batch of petitions."""
    n = len(frame)
    county = frame["grid_code"].str[:6].to_numpy()
    received = pd.DatetimeIndex(frame["received"])
    t = np.clip(inversion(county, received) + rng.normal(0, 0.05, n), 0, 1)
    if is_first:
        pmf = (1 - t)[:, None] * HEALTHY_PYRAMID + t[:, None] * INVERTED_PYRAMID
        level = (pmf.cumsum(axis=1) < rng.random(n)[:, None]).sum(axis=1)
        frame["category"] = _choice(rng, CATEGORY_WEIGHTS, n)
    else:
        level = np.minimum(frame["level_index"].to_numpy() + (rng.random(n) < 0.35), len(LEVELS) - 1)
    frame["level_index"] = level
    frame["lodged_level"] = np.array([lv.value for lv in LEVELS])[level]
    frame["channel"] = _choice(rng, PETITION_CHANNEL_WEIGHTS, n)
    complaint = frame["category"].to_numpy() == PetitionCategory.COMPLAINT_REQUEST.value
    p_national = np.select([level >= 3, level == 2], [0.55, 0.12], 0.03) + 0.05 * (frame["channel"] == "online")
    frame["nationally_registered"] = complaint & (rng.random(n) < p_national)
    frame["is_first"] = is_first

    not_accepted = rng.random(n) < 0.04
    accept_days = np.select([rng.random(n) < 0.85, rng.random(n) < 0.67], [rng.integers(1, 11, n), rng.integers(11, 16, n)],
                            rng.integers(16, 31, n))
    accepted = received + pd.to_timedelta(accept_days, "D")
    extended = rng.random(n) < 0.08
    late = ~extended & (rng.random(n) < 0.06)
    handling = np.select([extended, late], [rng.integers(61, 89, n), rng.integers(61, 101, n)], rng.integers(15, 59, n))
    closed = np.where(not_accepted, accepted, accepted + pd.to_timedelta(handling, "D"))
    closed = pd.DatetimeIndex(closed)
    is_closed = closed <= END_TS
    frame["accepted_on"] = pd.Series(accepted, index=frame.index).where(~not_accepted & (accepted <= END_TS))
    frame["extension_days"] = np.where(extended & ~not_accepted, 30, 0)
    frame["closed_on"] = pd.Series(closed, index=frame.index).where(is_closed)
    frame["status"] = np.select([not_accepted & is_closed, is_closed, accepted <= END_TS],
                                ["not_accepted", "closed", "accepted"], "received")

    q = np.clip(0.93 - 0.38 * t + rng.normal(0, 0.03, n), 0.3, 0.99)
    counts_for_kpi = is_first & complaint & (frame["status"].to_numpy() == "closed")
    frame["resolved_once"] = counts_for_kpi & (rng.random(n) < q)
    frame["wants_repeat"] = (frame["status"].to_numpy() == "closed") & ~frame["resolved_once"].to_numpy() & \
        (rng.random(n) < np.where(counts_for_kpi, 1.0, 0.2 if is_first else 0.35))
    frame["t"] = t
    return frame


def _repeats_of(rng, previous: pd.DataFrame) -> pd.DataFrame:
    wants = previous[previous["wants_repeat"]]
    received = wants["closed_on"] + pd.to_timedelta(rng.integers(15, 121, len(wants)), "D")
    keep = (received <= END_TS).to_numpy()
    wants, received = wants[keep], received[keep]
    repeats = pd.DataFrame({
        "grid_code": wants["grid_code"].to_numpy(), "received": received.to_numpy(),
        "domain": wants["domain"].to_numpy(), "household": wants["household"].to_numpy(), "dispute": -1,
        "head_count": wants["head_count"].to_numpy(), "category": wants["category"].to_numpy(),
        "level_index": wants["level_index"].to_numpy(), "previous_key": wants["key"].to_numpy(),
    })
    return _attributes(rng, repeats, is_first=False)


def _link_rounds(rounds: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate the rounds; ``previous`` is the row index of the petition a repeat follows."""
    petitions = pd.concat(rounds, ignore_index=True)
    position = pd.Series(np.arange(len(petitions)), index=petitions["key"])
    petitions["previous"] = petitions["previous_key"].map(position).fillna(-1).astype(np.int64) \
        if "previous_key" in petitions else -1
    has_repeat = set(petitions.loc[petitions["previous"] >= 0, "previous"])
    kpi_rows = petitions["is_first"] & (petitions["category"] == PetitionCategory.COMPLAINT_REQUEST.value) & \
        (petitions["status"] == "closed")
    petitions["one_time_resolved"] = np.where(kpi_rows, ~petitions.index.isin(list(has_repeat)), None)
    return petitions.sort_values("received", kind="stable")


def _numbered(rng, petitions: pd.DataFrame) -> pd.DataFrame:
    """Reference numbers, hotline tickets and satisfaction, in order of receipt."""
    old_index = petitions.index.to_numpy()
    petitions = petitions.reset_index(drop=True)
    new_position = pd.Series(np.arange(len(petitions)), index=old_index)
    petitions["previous"] = np.where(petitions["previous"] >= 0,
                                     new_position.reindex(petitions["previous"]).to_numpy(), -1).astype(np.int64)
    year = pd.DatetimeIndex(petitions["received"]).year.astype(str)
    county = petitions["grid_code"].str[:6]
    sequence = petitions.groupby([county, year]).cumcount() + 1
    petitions["ref_no"] = "XF" + county + year + sequence.map("{:06d}".format)
    hotline = petitions["channel"] == PetitionChannel.HOTLINE_12345.value
    petitions["hotline_ticket"] = np.where(
        hotline, "12345-" + pd.DatetimeIndex(petitions["received"]).strftime("%Y%m%d") + "-" + petitions.index.map("{:07d}".format), None)
    n = len(petitions)
    closed = petitions["status"].to_numpy() == "closed"
    good = petitions["one_time_resolved"].to_numpy() != False  # noqa: E712 (None counts as not failed)
    p_sat = np.where(good, 0.55 + 0.35 * (1 - petitions["t"].to_numpy()), 0.08)
    p_basic = np.where(good, 0.85 * (1 - p_sat), 0.27)
    draw = rng.random(n)
    rating = np.select([draw < p_sat, draw < p_sat + p_basic], ["satisfied", "basically_satisfied"], "dissatisfied")
    petitions["satisfaction"] = np.where(closed & (rng.random(n) < 0.92), rating, None)
    return petitions


def make_backlog(rng: np.random.Generator, petitions: pd.DataFrame) -> pd.DataFrame:
    """Backlog cases handed down twice a year from repeat petitions, each owned by a leader."""
    rows = []
    taken: set[int] = set()
    repeats = petitions[~petitions["is_first"]]
    for handed in HAND_DOWN_DATES:
        pool = repeats[(repeats["received"] < handed) & ~repeats.index.isin(list(taken))]
        for county, group in pool.groupby(pool["grid_code"].str[:6]):
            chosen = group.sample(n=min(len(group), max(1, round(len(group) * 0.25)), 25), random_state=rng)
            taken.update(chosen.index)
            for idx, petition in chosen.iterrows():
                mode = list(BacklogMode)[rng.integers(4)]
                days = 90 if mode == BacklogMode.DEADLINE_BY_CATEGORY else 180
                t_end = INVERSION_2025[county]
                resolved_on = handed + pd.Timedelta(days=int(rng.integers(20, days + 60)))
                resolved = rng.random() < 0.55 + 0.4 * (1 - t_end) and resolved_on <= END_TS
                deadline = handed + pd.Timedelta(days=days)
                status = "resolved" if resolved else ("stalled" if deadline < END_TS and rng.random() < 0.3 else "open")
                rows.append({
                    "petition": idx, "county_code": county,
                    "title": f"{SUMMARIES[DisputeDomain(petition['domain'])][0]}重复信访积案",
                    "handed_down_by": HANDED_DOWN_BY[rng.integers(len(HANDED_DOWN_BY))],
                    "handed_down_on": handed, "leader_name": person_names(rng, 1)[0],
                    "leader_title": LEADER_TITLES[rng.integers(len(LEADER_TITLES))], "mode": mode.value,
                    "deadline": deadline, "status": status, "resolved_on": resolved_on if resolved else pd.NaT,
                })
    backlog = pd.DataFrame(rows)
    if not backlog.empty:
        backlog["ref_no"] = "JA" + backlog["county_code"] + backlog.groupby("county_code").cumcount().add(1).map("{:04d}".format)
    return backlog
