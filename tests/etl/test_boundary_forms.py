"""Township boundaries as natural-resources data writes them (EPSG:4547 Shapefile, 9-digit XZQDM, XZQMC names),
codes in every form, names with or without suffixes, and the per-feature outcome of each feature read."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from openpyxl import load_workbook

from etl.boundaries import import_boundaries
from etl.boundary_report import BY_CODE, BY_NAME, LOADED, REFUSED, WARNED
from etl.report_paths import report_path
from tests.corpus.boundaries import CODE_FORMS, FORMATS, NAME_FORMS, Variant, county_townships, write_frame, write_variant
from tests.etl.test_boundary_import import frame, geometry_of, metres


def test_a_4547_shapefile_with_9_digit_codes_imports(session, tmp_path):
    units = county_townships(session, "411502", 3)
    path = write_variant(units, Variant("zip", 4547, "9"), tmp_path / "浉河区乡镇")
    report = import_boundaries(path, session, "township")
    assert report.tally() == {"read": 3, "loaded": 3, "warned": 0, "refused": 0, "by_code": 3, "by_name": 0}
    assert report.written == 3 and not report.refusals
    assert [f.unit for f in report.features.values()] == list(units["code"])
    assert all(f.code == c[:9] for f, c in zip(report.features.values(), units["code"]))  # kept as the user wrote it
    assert metres(geometry_of(session, units["code"][0]), units.geometry[0]) < 1.0


@pytest.mark.parametrize("code_form", CODE_FORMS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_code_form_and_format_matches_by_code(session, tmp_path, code_form, fmt):
    units = county_townships(session, "411502", 2)
    path = write_variant(units, Variant(fmt, 4490, code_form, "key"), tmp_path / "t")
    report = import_boundaries(path, session, "township", dry_run=True)
    assert [(f.unit, f.matched_by, f.outcome) for f in report.features.values()] == \
        [(c, BY_CODE, LOADED) for c in units["code"]], report.lines()


@pytest.mark.parametrize("name_form", [f for f in NAME_FORMS if f != "none"])
def test_names_without_codes_match_within_the_county(session, tmp_path, name_form):
    units = county_townships(session, "411502", 2)
    rows = [{"XZQMC": n if name_form == "full" else n[:-2], "县区": "浉河区", "geometry": g}
            for n, g in zip(units["name"], units.geometry)]
    report = import_boundaries(write_frame(frame(rows), tmp_path / "n", "geojson"), session, "township", dry_run=True)
    assert [(f.unit, f.matched_by) for f in report.features.values()] == [(c, BY_NAME) for c in units["code"]]


def test_an_unknown_code_falls_back_to_the_name_within_its_prefix(session, tmp_path):
    units = county_townships(session, "411502", 2)
    (c1, n1), (c2, n2) = zip(units["code"], units["name"])
    rows = [{"XZQDM": "411502999", "XZQMC": n1, "geometry": units.geometry[0]},  # unknown township of 浉河区
            {"XZQDM": "411502001001", "XZQMC": n2, "geometry": units.geometry[1]},  # a village's code
            {"XZQDM": "4.11502E+11", "geometry": units.geometry[1]},
            {"XZQDM": None, "XZQMC": "没有这个镇", "geometry": units.geometry[1]}]
    report = import_boundaries(write_frame(frame(rows), tmp_path / "f", "gpkg"), session, "township", dry_run=True)
    first, second, third, fourth = report.features.values()
    assert (first.unit, first.matched_by, first.outcome) == (c1, BY_NAME, WARNED)
    assert "411502999000" in first.notes[0] and "不在区划目录中" in first.notes[0] and "按名称匹配到" in first.notes[0]
    assert (second.unit, second.matched_by, second.outcome) == (c2, BY_NAME, WARNED)
    assert "是村（社区）代码，不是乡镇（街道）代码" in second.notes[0]
    assert third.outcome == REFUSED and "科学计数法" in third.notes[0] and "第 3 个要素" in third.notes[0]
    assert fourth.outcome == REFUSED and "找不到名为“没有这个镇”" in fourth.notes[0]
    assert report.tally()["read"] == 4 == sum(report.tally()[k] for k in ("loaded", "warned", "refused"))


def test_the_report_goes_beside_the_input_or_under_the_data_folder(tmp_path, monkeypatch):
    source = tmp_path / "in" / "乡镇.zip"
    source.parent.mkdir()
    source.write_bytes(b"")
    assert report_path(source, "边界检查报告.xlsx") == source.parent.resolve() / "乡镇_边界检查报告.xlsx"
    assert report_path(source, "x.xlsx", tmp_path / "chosen.xlsx") == tmp_path / "chosen.xlsx"
    monkeypatch.setenv("FENGQIAO_DATA_DIR", str(tmp_path / "data"))
    source.parent.chmod(0o555)
    if os.geteuid() == 0:  # root writes anywhere: answer as the permission bits do for everyone else
        monkeypatch.setattr("etl.report_paths.os.access", lambda path, mode: os.stat(path).st_mode & 0o200 != 0)
    try:
        assert report_path(source, "边界检查报告.xlsx") == tmp_path / "data" / "reports" / "乡镇_边界检查报告.xlsx"
    finally:
        source.parent.chmod(0o755)


def test_the_command_imports_a_4547_shapefile_with_9_digit_codes(fresh_db_url, tmp_path):
    from geo import db

    engine = db.make_engine(fresh_db_url)
    with db.session_factory(engine)() as session:
        units = county_townships(session, "411502", 3)
    path = write_variant(units, Variant("zip", 4547, "9"), tmp_path / "三调乡镇")
    env = {"DATABASE_URL": fresh_db_url.render_as_string(hide_password=False)}
    args = ["import", "boundaries", str(path), "--level", "township"]
    dry = CliRunner().invoke(main_command(), [*args, "--dry-run"], env=env, catch_exceptions=False)
    assert dry.exit_code == 0, dry.output
    assert "预检" in dry.output and "匹配 3 个（按代码 3、按名称 0）" in dry.output and "Traceback" not in dry.output
    assert "读取 3 个 = 导入 3 + 有提示 0 + 拒收 0" in dry.output
    saved = tmp_path / "三调乡镇_边界检查报告.xlsx"
    assert str(saved) in dry.output.replace("\n", "")
    rows = list(load_workbook(saved)["要素"].iter_rows(values_only=True))
    assert rows[1][:6] == (1, units["code"][0][:9], units["name"][0], units["code"][0], "代码", "导入")
    done = CliRunner().invoke(main_command(), args, env=env, catch_exceptions=False)
    assert done.exit_code == 0 and "已写入 3 个" in done.output, done.output
    with engine.connect() as conn:
        sources = conn.execute(sa.text("SELECT geom_source FROM region WHERE code = ANY(:c)"),
                               {"c": list(units["code"])}).scalars().all()
    assert sources == ["official"] * 3
    engine.dispose()


def main_command():
    from dashboard.cli import main

    return main
