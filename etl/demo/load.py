"""``fengqiao demo load``: generate the illustrative Xinyang data set and COPY it in, in one transaction.

Reloading replaces every row whose ``source`` is ``demo`` and every illustrative geometry; rows a
user imported and official boundaries are left as they are.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from etl.copy import copy_frame, ewkt_points, indexes_and_keys_deferred, reserve_ids
from etl.demo.cases import make_backlog, make_disputes, make_petitions
from etl.demo.config import SCALES, Scale
from etl.demo.geography import Geography, build_geography
from etl.demo.people import People, make_people
from etl.demo.supervision import (
    make_daily_reports,
    make_reviews,
    make_risk_events,
    make_screening_reports,
    make_sensitive_periods,
    read_criteria,
)
from etl.reference import load_reference
from geo.aggregates import refresh_aggregates
from geo.models import SRID, DemoLoad

DEMO = "demo"
RECORD_TABLES = ("risk_event", "backlog_case", "petition", "dispute", "party_member", "household",
                 "screening_report", "demo_score", "demo_county_status", "sensitive_period")
"""Tables with a ``source`` column, in an order that deletes referencing rows first."""
BULK_TABLES = ("household", "party_member", "member_household_link", "dispute", "dispute_household", "petition",
               "screening_report")
"""Tables big enough at city scale that their indexes and foreign keys are rebuilt once, not per row."""
Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoData:
    geography: Geography
    people: People
    disputes: pd.DataFrame
    dispute_households: pd.DataFrame
    petitions: pd.DataFrame
    backlog: pd.DataFrame
    reports: pd.DataFrame
    criteria: pd.DataFrame
    scores: pd.DataFrame
    stages: pd.DataFrame
    risk_events: pd.DataFrame
    sensitive_periods: pd.DataFrame


def generate(session: Session, seed: int, scale: Scale, progress: Progress = lambda _: None) -> DemoData:
    """Generate everything for ``scale`` from the catalogue and county polygons in the database."""
    units = pd.read_sql(text("SELECT code, name, short_name, level, kind, parent_code FROM region"), session.connection())
    counties = gpd.read_postgis(text("SELECT code, geom FROM region WHERE level = 'county' AND geom IS NOT NULL"),
                                session.connection(), geom_col="geom").rename_geometry("geometry")
    all_counties = sorted(units.loc[units["level"] == "county", "code"])
    county_codes = list(scale.counties) if scale.counties else all_counties
    progress("生成示意边界与网格")
    geography = build_geography(counties, units, county_codes)
    rng = np.random.default_rng(seed)
    progress("生成住户、党员与联户关系")
    people = make_people(rng, geography.cells, scale)
    centroids = shapely.point_on_surface(geography.cells.geometry.values)
    cells = pd.DataFrame({"code": geography.cells["code"], "urban": geography.cells["urban"],
                          "lon": shapely.get_x(centroids), "lat": shapely.get_y(centroids)})
    progress("生成矛盾纠纷、信访事项与积案")
    disputes, dispute_households = make_disputes(rng, cells, people)
    petitions = make_petitions(rng, cells, people, disputes)
    backlog = make_backlog(rng, petitions)
    progress("生成排查报告、示范县评审与风险事件")
    local_units = units[units["code"].str[:6].isin(county_codes)]
    reports = make_screening_reports(rng, local_units, disputes)
    criteria = read_criteria()
    scores, stages = make_reviews(rng, county_codes, criteria)
    risk_events = make_risk_events(rng, disputes)
    # drawn last, so adding them left every earlier draw (and so every other record) as it was
    sensitive_periods = make_sensitive_periods(county_codes)
    daily = make_daily_reports(rng, local_units, sensitive_periods, disputes)
    reports = pd.concat([reports, daily], ignore_index=True)
    return DemoData(geography, people, disputes, dispute_households, petitions, backlog, reports, criteria,
                    scores, stages, risk_events, sensitive_periods)


def load_demo(session: Session, seed: int = 2023, scale: str = "city", progress: Progress = lambda _: None) -> dict:
    """Replace the demo data in the session's transaction; returns the counts it loaded."""
    load_reference(session)
    data = generate(session, seed, SCALES[scale], progress)
    progress("清除旧的演示数据")
    clear_demo(session)
    progress("写入数据库（COPY，随后重建索引与外键）")
    with indexes_and_keys_deferred(session, BULK_TABLES):
        counts = write(session, data)
    progress("更新统计信息与汇总表")
    session.execute(text("ANALYZE grid_cell, household, party_member, member_household_link, dispute, petition"))
    refresh_aggregates(session)
    session.add(DemoLoad(seed=seed, scale=scale, counts=counts))
    return counts


def clear_demo(session: Session) -> None:
    """Delete every demo row; TRUNCATE when nothing but demo rows exist (much faster at city scale)."""
    any_foreign = " OR ".join(f"EXISTS (SELECT 1 FROM {t} WHERE source <> 'demo')" for t in RECORD_TABLES)
    foreign = session.execute(text("SELECT " + any_foreign)).scalar()
    if not foreign:
        session.execute(text("TRUNCATE member_household_link, dispute_household, dispute_party, " + ", ".join(RECORD_TABLES)))
        return
    session.execute(text("DELETE FROM member_household_link l USING household h"
                         " WHERE l.household_id = h.id AND h.source = 'demo'"))
    session.execute(text("DELETE FROM member_household_link l USING party_member m"
                         " WHERE l.member_id = m.id AND m.source = 'demo'"))
    session.execute(text("DELETE FROM dispute_household x USING dispute d WHERE x.dispute_id = d.id AND d.source = 'demo'"))
    session.execute(text("DELETE FROM dispute_household x USING household h"
                         " WHERE x.household_id = h.id AND h.source = 'demo'"))
    for table in RECORD_TABLES:
        session.execute(text("DELETE FROM " + table + " WHERE source = 'demo'"))


def _timestamps(values) -> pd.Series:
    """Local (Asia/Shanghai) timestamps as text PostgreSQL reads; missing ones become NULL."""
    return pd.Series(pd.DatetimeIndex(values).strftime("%Y-%m-%d %H:%M:%S+08"))


def _dates(values) -> pd.Series:
    return pd.Series(pd.DatetimeIndex(values).strftime("%Y-%m-%d"))


def _ids(reserved: np.ndarray, rows: np.ndarray) -> pd.Series:
    """Database ids for row references (-1 = none)."""
    rows = np.asarray(rows, dtype=np.int64)
    return pd.Series(np.where(rows >= 0, reserved[np.maximum(rows, 0)], 0), dtype="Int64").mask(rows < 0)


def write(session: Session, data: DemoData) -> dict:
    geography, people = data.geography, data.people
    _write_geometry(session, geography)
    counts = {"乡镇示意边界": len(geography.townships), "村（社区）示意边界": len(geography.villages),
              "网格": len(geography.cells)}

    household_ids = reserve_ids(session, "household", len(people.households))
    h = people.households
    counts["住户"] = copy_frame(session, "household", pd.DataFrame({
        "id": household_ids, "grid_code": h["grid_code"], "geom": ewkt_points(h["lon"].to_numpy(), h["lat"].to_numpy()),
        "size": h["size"], "head_name": h["head_name"], "head_id_number": h["head_id_number"],
        "head_phone": h["head_phone"], "source": DEMO,
    }))
    member_ids = reserve_ids(session, "party_member", len(people.members))
    m = people.members
    counts["党员"] = copy_frame(session, "party_member", pd.DataFrame({
        "id": member_ids, "grid_code": m["grid_code"], "geom": ewkt_points(m["lon"].to_numpy(), m["lat"].to_numpy()),
        "name": m["name"], "phone": m["phone"], "capacity": m["capacity"], "source": DEMO,
    }))
    links = people.links
    counts["联户关系（含历史）"] = copy_frame(session, "member_household_link", pd.DataFrame({
        "member_id": member_ids[links["member"].to_numpy(np.int64)],
        "household_id": household_ids[links["household"].to_numpy(np.int64)],
        "valid_from": _timestamps(links["valid_from"]), "valid_to": _timestamps(links["valid_to"]),
        "assigned_by": "演示数据生成",
    }))

    d = data.disputes
    dispute_ids = reserve_ids(session, "dispute", len(d))
    counts["矛盾纠纷"] = copy_frame(session, "dispute", pd.DataFrame({
        "id": dispute_ids, "ref_no": "JF" + d["grid_code"].str[:6] + pd.Series(dispute_ids).map("{:08d}".format),
        "grid_code": d["grid_code"], "geom": ewkt_points(d["lon"].to_numpy(), d["lat"].to_numpy()),
        "domain": d["domain"], "risk_level": d["risk_level"], "status": d["status"], "channel": d["channel"],
        "found_by_member_id": _ids(member_ids, d["found_by"].to_numpy()),
        "reported_at": _timestamps(d["reported_at"]), "resolved_at": _timestamps(d["resolved_at"]),
        "households_involved": d["households_involved"], "summary": d["summary"], "source": DEMO,
    }))
    copy_frame(session, "dispute_household", pd.DataFrame({
        "dispute_id": dispute_ids[data.dispute_households["dispute"].to_numpy()],
        "household_id": household_ids[data.dispute_households["household"].to_numpy()],
    }))

    p = data.petitions
    petition_ids = reserve_ids(session, "petition", len(p))
    counts["信访事项"] = copy_frame(session, "petition", pd.DataFrame({
        "id": petition_ids, "ref_no": p["ref_no"], "origin_grid_code": p["grid_code"], "category": p["category"],
        "channel": p["channel"], "domain": p["domain"], "petitioner_name": p["petitioner_name"],
        "petitioner_id_number": p["petitioner_id_number"], "petitioner_phone": p["petitioner_phone"],
        "is_first": p["is_first"], "previous_petition_id": _ids(petition_ids, p["previous"].to_numpy()),
        "head_count": p["head_count"], "lodged_level": p["lodged_level"],
        "nationally_registered": p["nationally_registered"], "status": p["status"],
        "received_on": _dates(p["received"]), "accepted_on": _dates(p["accepted_on"]),
        "extension_days": p["extension_days"], "closed_on": _dates(p["closed_on"]),
        "one_time_resolved": p["one_time_resolved"], "satisfaction": p["satisfaction"],
        "source_dispute_id": _ids(dispute_ids, p["dispute"].to_numpy()), "hotline_ticket": p["hotline_ticket"],
        "source": DEMO,
    }))
    b = data.backlog
    counts["积案"] = copy_frame(session, "backlog_case", pd.DataFrame({
        "ref_no": b["ref_no"], "petition_id": _ids(petition_ids, b["petition"].to_numpy()),
        "county_code": b["county_code"], "title": b["title"], "handed_down_by": b["handed_down_by"],
        "handed_down_on": _dates(b["handed_down_on"]), "leader_name": b["leader_name"],
        "leader_title": b["leader_title"], "mode": b["mode"], "deadline": _dates(b["deadline"]),
        "status": b["status"], "resolved_on": _dates(b["resolved_on"]), "source": DEMO,
    })) if not b.empty else 0

    r = data.reports
    counts["排查报告"] = copy_frame(session, "screening_report", pd.DataFrame({
        "unit_code": r["unit_code"], "kind": r["kind"], "period_start": _dates(r["period_start"]),
        "period_end": _dates(r["period_end"]), "is_zero": r["is_zero"], "disputes_found": r["disputes_found"],
        "submitted_at": _timestamps(r["submitted_at"]), "source": DEMO,
    }))
    counts["敏感时期"] = _write_sensitive_periods(session, data.sensitive_periods)
    counts["示范县评审分"] = _write_reviews(session, data)
    e = data.risk_events
    counts["风险事件"] = copy_frame(session, "risk_event", pd.DataFrame({
        "ref_no": e["ref_no"], "grid_code": e["grid_code"], "geom": ewkt_points(e["lon"].to_numpy(), e["lat"].to_numpy()),
        "kind": e["kind"], "occurred_at": _timestamps(e["occurred_at"]), "participants": e["participants"],
        "description": e["description"], "handling": e["handling"], "source": DEMO,
    })) if not e.empty else 0
    return counts


def _write_geometry(session: Session, geography: Geography) -> None:
    """Illustrative unit polygons (never over official ones) and grid cells; stale illustrative ones go."""
    units = pd.concat([geography.zone[["code", "geometry"]], geography.townships[["code", "geometry"]],
                       geography.villages[["code", "geometry"]]], ignore_index=True)
    session.execute(text("CREATE TEMP TABLE demo_geom (code text PRIMARY KEY, geom geometry) ON COMMIT DROP"))
    copy_frame(session, "demo_geom", pd.DataFrame({"code": units["code"], "geom": _ewkb(units.geometry)}))
    session.execute(text(
        "UPDATE region r SET geom = NULL, geom_source = NULL WHERE geom_source = 'illustrative'"
        " AND NOT EXISTS (SELECT 1 FROM demo_geom g WHERE g.code = r.code)"
    ))
    session.execute(text(
        "UPDATE region r SET geom = ST_Multi(g.geom), geom_source = 'illustrative' FROM demo_geom g"
        " WHERE r.code = g.code AND (r.geom_source IS NULL OR r.geom_source = 'illustrative')"
    ))
    cells = geography.cells
    session.execute(text("CREATE TEMP TABLE demo_cell (code text PRIMARY KEY, village_code text, name text,"
                         " geom geometry) ON COMMIT DROP"))
    copy_frame(session, "demo_cell", pd.DataFrame({"code": cells["code"], "village_code": cells["village_code"],
                                                   "name": cells["name"], "geom": _ewkb(cells.geometry)}))
    session.execute(text(
        "DELETE FROM grid_cell c WHERE geom_source = 'illustrative' AND NOT EXISTS (SELECT 1 FROM demo_cell d WHERE d.code = c.code)"
        " AND NOT EXISTS (SELECT 1 FROM household h WHERE h.grid_code = c.code)"
        " AND NOT EXISTS (SELECT 1 FROM party_member m WHERE m.grid_code = c.code)"
        " AND NOT EXISTS (SELECT 1 FROM dispute d WHERE d.grid_code = c.code)"
        " AND NOT EXISTS (SELECT 1 FROM petition p WHERE p.origin_grid_code = c.code)"
        " AND NOT EXISTS (SELECT 1 FROM risk_event e WHERE e.grid_code = c.code)"
    ))
    session.execute(text(
        "INSERT INTO grid_cell (code, village_code, name, geom, geom_source)"
        " SELECT code, village_code, name, ST_Multi(geom), 'illustrative' FROM demo_cell"
        " ON CONFLICT (code) DO UPDATE SET name = excluded.name, geom = excluded.geom, geom_source = excluded.geom_source"
        " WHERE grid_cell.geom_source = 'illustrative'"
    ))


def _write_sensitive_periods(session: Session, periods: pd.DataFrame) -> int:
    """The illustrative sensitive periods, marked as demo rows (source and note)."""
    rows = [{"name": r.name, "starts_on": r.starts_on.date(), "ends_on": r.ends_on.date(),
             "county_codes": r.county_codes, "declared_by": r.declared_by, "note": r.note}
            for r in periods.itertuples()]
    if rows:
        session.execute(text(
            "INSERT INTO sensitive_period (name, starts_on, ends_on, county_codes, declared_by, note, source)"
            " VALUES (:name, :starts_on, :ends_on, :county_codes, :declared_by, :note, 'demo')"
        ), rows)
    return len(rows)


def _ewkb(geometry: gpd.GeoSeries) -> np.ndarray:
    return shapely.to_wkb(shapely.set_srid(geometry.values, SRID), hex=True, include_srid=True)


def _write_reviews(session: Session, data: DemoData) -> int:
    """Upsert the criteria catalogue, then the reviewers' scores and each county's stage."""
    criteria = data.criteria
    session.execute(text(
        "INSERT INTO demo_criterion (year, name, weight, target, direction, measure, unit, description)"
        " VALUES (:year, :name, :weight, :target, :direction, :measure, :unit, :description)"
        " ON CONFLICT (year, name) DO UPDATE SET weight = excluded.weight, target = excluded.target,"
        " direction = excluded.direction, measure = excluded.measure, unit = excluded.unit,"
        " description = excluded.description"
    ), criteria.to_dict("records"))
    ids = {(y, n): i for i, y, n in session.execute(text("SELECT id, year, name FROM demo_criterion")).all()}
    scores = data.scores
    written = copy_frame(session, "demo_score", pd.DataFrame({
        "county_code": scores["county_code"], "criterion_id": scores["criterion"].map(ids),
        "reviewed_on": scores["reviewed_on"], "value": scores["value"], "evidence": scores["evidence"],
        "entered_by": scores["entered_by"], "source": DEMO,
    }))
    stages = data.stages
    session.execute(text(
        "INSERT INTO demo_county_status (county_code, year, stage, source) VALUES (:county_code, :year, :stage, 'demo')"
        " ON CONFLICT (county_code, year) DO UPDATE SET stage = excluded.stage, source = 'demo'"
        " WHERE demo_county_status.source = 'demo'"
    ), stages.to_dict("records"))
    return written


def timed(report: Callable[[str], None]) -> Progress:
    """A progress callback that also reports how long the previous step took."""
    state = {"step": None, "since": time.monotonic()}

    def step(name: str) -> None:
        now = time.monotonic()
        if state["step"]:
            report(f"  {state['step']}：{now - state['since']:.1f} 秒")
        state.update(step=name, since=now)

    return step
