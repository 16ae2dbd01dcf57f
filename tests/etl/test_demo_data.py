"""The demo data set: deterministic, shaped like Xinyang, and reloadable without touching imports."""

from datetime import date

import pandas as pd
import sqlalchemy as sa
from click.testing import CliRunner
from pandas.testing import assert_frame_equal

from dashboard.cli import main
from etl.demo.config import SCALES
from etl.demo.load import generate
from etl.identity import is_valid_id_number
from geo import db
from geo.pyramid import inversion_index, level_counts_by_county_year


def scalar(session, sql, **params):
    return session.execute(sa.text(sql), params).scalar()


def test_same_seed_same_data_other_seed_other_data(session):
    first = generate(session, 11, SCALES["small"])
    again = generate(session, 11, SCALES["small"])
    other = generate(session, 12, SCALES["small"])
    assert_frame_equal(first.people.households, again.people.households)
    assert_frame_equal(first.people.links, again.people.links)
    assert_frame_equal(first.disputes, again.disputes)
    assert_frame_equal(first.petitions, again.petitions)
    assert_frame_equal(first.reports, again.reports)
    assert first.geography.cells.geometry.geom_equals_exact(again.geography.cells.geometry, 0).all()
    assert len(other.people.households) != len(first.people.households) or \
        not other.people.households["lon"].equals(first.people.households["lon"])
    # boundaries do not depend on the seed, so grid codes stay valid for imported records
    assert list(other.geography.cells["code"]) == list(first.geography.cells["code"])


def test_households_lie_in_their_grid_cell_and_carry_valid_ids(demo_session):
    outside = scalar(demo_session, "SELECT count(*) FROM household h JOIN grid_cell g ON g.code = h.grid_code"
                                   " WHERE NOT ST_Intersects(g.geom, h.geom)")
    assert outside == 0
    ids = demo_session.execute(sa.text("SELECT head_id_number, county_code FROM household LIMIT 500")).all()
    assert all(is_valid_id_number(i) and i[:6] == county for i, county in ids)
    size = scalar(demo_session, "SELECT avg(size) FROM household")
    assert 2.4 < float(size) < 2.9


def test_party_member_links_are_realistic_and_deliberately_imperfect(demo_session):
    loads = pd.Series(demo_session.execute(sa.text(
        "SELECT count(*) FROM member_household_link WHERE valid_to IS NULL GROUP BY member_id"
    )).scalars().all())
    assert loads.between(5, 20).mean() > 0.8  # the bulk of linked members: 5 to 20 households
    assert (loads > 15).sum() > 0  # some overloaded
    households = scalar(demo_session, "SELECT count(*) FROM household")
    linked = scalar(demo_session, "SELECT count(DISTINCT household_id) FROM member_household_link WHERE valid_to IS NULL")
    assert 0.85 < linked / households < 0.99  # most linked, some not
    empty_cells = scalar(demo_session, "SELECT count(*) FROM grid_cell g WHERE NOT EXISTS"
                                       " (SELECT 1 FROM party_member m WHERE m.grid_code = g.code)")
    assert empty_cells > 0
    history = scalar(demo_session, "SELECT count(*) FROM member_household_link WHERE valid_to IS NOT NULL")
    assert history > 0
    members_share = scalar(demo_session, "SELECT count(*)::float FROM party_member") / \
        scalar(demo_session, "SELECT sum(size) FROM household")
    assert 0.045 < members_share < 0.065  # about 5-6% of residents


def test_disputes_cluster_in_hotspots_and_peak_in_season(demo_session):
    per_cell = pd.Series(demo_session.execute(sa.text(
        "SELECT coalesce(d.n, 0)::float / h.n FROM (SELECT grid_code, count(*) AS n FROM household GROUP BY 1) h"
        " LEFT JOIN (SELECT grid_code, count(*) AS n FROM dispute GROUP BY 1) d USING (grid_code) WHERE h.n > 20"
    )).scalars().all())
    assert per_cell.max() > 5 * per_cell.median()  # hotspots stand far above the typical cell
    wage = dict(demo_session.execute(sa.text(
        "SELECT extract(month FROM reported_at)::int, count(*) FROM dispute"
        " WHERE domain = 'labour_social_security' GROUP BY 1"
    )).all())
    assert wage[1] + wage[12] > 1.5 * (wage[6] + wage[7])  # wage arrears peak before the Spring Festival
    key_domains = scalar(demo_session, "SELECT count(DISTINCT domain) FROM dispute")
    assert key_domains == 9


def test_the_2023_pyramid_is_inverted_and_improves(demo_session):
    counts = level_counts_by_county_year(demo_session, date(2023, 1, 1), date(2025, 12, 31))
    index = inversion_index(counts)
    inverted_2023 = [c for (c, y), v in index.items() if y == 2023 and v > 0.5]
    assert len(inverted_2023) >= 2
    assert all(index[(c, 2025)] < index[(c, 2023)] for c in inverted_2023)


def test_petitions_are_consistent_with_the_kpi_definitions(demo_session):
    # one-time resolved exactly when no repeat petition follows the first one
    mismatches = scalar(demo_session, """
        SELECT count(*) FROM petition p WHERE p.one_time_resolved IS NOT NULL AND p.one_time_resolved =
            EXISTS (SELECT 1 FROM petition r WHERE r.previous_petition_id = p.id)""")
    assert mismatches == 0
    chains = scalar(demo_session, "SELECT count(*) FROM petition WHERE previous_petition_id IS NOT NULL")
    collective = scalar(demo_session, "SELECT count(*) FROM petition WHERE is_collective")
    from_disputes = scalar(demo_session, "SELECT count(*) FROM petition WHERE source_dispute_id IS NOT NULL")
    overdue_backlog = scalar(demo_session, "SELECT count(*) FROM backlog_case WHERE status <> 'resolved'"
                                           " AND deadline < DATE '2025-12-31'")
    assert chains > 0 and collective > 0 and from_disputes > 0 and overdue_backlog > 0


def test_screening_reports_have_zero_late_and_missing_ones(demo_session):
    units = scalar(demo_session, "SELECT count(*) FROM region WHERE level IN ('township', 'village')"
                                 " AND left(code, 6) IN ('411502', '411522')")
    weeks = scalar(demo_session, "SELECT count(DISTINCT period_start) FROM screening_report WHERE kind = 'weekly'")
    weekly = scalar(demo_session, "SELECT count(*) FROM screening_report WHERE kind = 'weekly'")
    assert weeks == 156 and 0.9 < weekly / (units * weeks) < 0.99  # some missing
    zero = scalar(demo_session, "SELECT avg(is_zero::int) FROM screening_report WHERE kind = 'weekly'")
    late = scalar(demo_session, "SELECT avg((submitted_at > period_end + interval '36 hours')::int)"
                                " FROM screening_report")
    assert 0.3 < zero < 0.99 and 0.02 < late < 0.2


def test_reviews_differ_between_counties(demo_session):
    criteria = scalar(demo_session, "SELECT count(*) FROM demo_criterion")
    assert criteria == 24
    spread = demo_session.execute(sa.text(
        "SELECT count(DISTINCT value) FROM demo_score s JOIN demo_criterion c ON c.id = s.criterion_id"
        " WHERE c.name = '县级领导接访下访次数' GROUP BY c.year"
    )).scalars().all()
    assert min(spread) > 1


def test_reload_replaces_demo_data_and_leaves_imports_alone(fresh_demo_db_url):
    env = {"DATABASE_URL": fresh_demo_db_url.render_as_string(hide_password=False)}
    engine = db.make_engine(fresh_demo_db_url)
    with engine.begin() as conn:
        cell = conn.execute(sa.text("SELECT code FROM grid_cell ORDER BY code LIMIT 1")).scalar()
        conn.execute(sa.text(
            "INSERT INTO household (grid_code, geom, size, head_name, source) VALUES"
            " (:cell, (SELECT ST_PointOnSurface(geom) FROM grid_cell WHERE code = CAST(:cell AS varchar)), 3, '导入户', 'import')"
        ), {"cell": cell})
        conn.execute(sa.text(
            "INSERT INTO dispute (ref_no, grid_code, domain, risk_level, status, reported_at, source) VALUES"
            " ('IMPORTED-1', :cell, 'other', 'low', 'reported', '2024-05-01', 'import')"
        ), {"cell": cell})
        demo_before = conn.execute(sa.text("SELECT count(*) FROM dispute WHERE source = 'demo'")).scalar()
    result = CliRunner().invoke(main, ["demo", "load", "--scale", "small", "--seed", "99"], env=env,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "各县区分年度主要指标" in result.output and "浉河区" in result.output
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM dispute WHERE ref_no = 'IMPORTED-1'")).scalar() == 1
        assert conn.execute(sa.text("SELECT count(*) FROM household WHERE source = 'import'")).scalar() == 1
        demo_after = conn.execute(sa.text("SELECT count(*) FROM dispute WHERE source = 'demo'")).scalar()
        loads = conn.execute(sa.text("SELECT seed FROM demo_load ORDER BY id")).scalars().all()
    engine.dispose()
    assert demo_after != demo_before and abs(demo_after - demo_before) < 0.2 * demo_before  # replaced, not added
    assert loads == [2023, 99]
