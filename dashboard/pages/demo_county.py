"""示范县创建 — criteria, weighted scores, side-by-side comparison, zero-petition units, review pack."""

from __future__ import annotations

import base64
import tempfile
from datetime import date
from pathlib import Path

import dash
from dash import Input, Output, State, dcc, html, no_update

from dashboard.database import read_session, write_session
from dashboard.figures.review import radar_figure, score_bars, trend_figure, zero_map
from dashboard.geometry import level_geometry
from dashboard.guard import check_area, check_write, page_callback, page_layout
from dashboard.review_pack import review_pdf, review_workbook
from etl.catalogue import load_catalogue, read_catalogue
from geo import access
from geo.audit import record
from geo.criteria import (
    catalogue_years,
    changes_since_last_review,
    comparison_frame,
    county_scores,
    measured_values,
    score_trend,
    zero_counts_by_county,
    zero_petition_units,
)
from geo.boundaries import county_names
from geo.errors import FengqiaoError

dash.register_page(__name__, path="/demo-county", name="示范县创建", title="枫桥网格 · 示范县创建", order=2)

callback = page_callback("demo_county")

MAX_COMPARED = 4
CATALOGUE_SUFFIXES = (".csv", ".yaml", ".yml")
MAX_UPLOAD_BYTES = 2 * 1024 * 1024


@page_layout("demo_county")
def layout(**_kwargs):
    with read_session() as session:
        years = catalogue_years(session)
        year = years[-1] if years else date.today().year
        scores = county_scores(session, year) if years else None
    counties = [] if scores is None else [
        {"label": r.county_name, "value": r.county_code} for r in scores.sort_values("county_code").itertuples()
    ]
    chosen = [] if scores is None else list(scores.dropna(subset=["score"]).head(2)["county_code"])
    return html.Div(
        [
            dcc.Download(id="dc-download"),
            html.H2("示范县创建：标准、得分与横向比较"),
            html.Div(
                [
                    html.Div([html.Label("年度"), dcc.Dropdown(id="dc-year", options=years, value=year,
                                                             clearable=False)], className="control"),
                    html.Div([html.Label(f"对比县区（2–{MAX_COMPARED} 个）"),
                              dcc.Dropdown(id="dc-counties", options=counties, value=chosen, multi=True)],
                             className="control wide"),
                    html.Div([html.Button("下载评审材料 xlsx", id="dc-xlsx", n_clicks=0, className="button small"),
                              html.Button("下载评审材料 PDF", id="dc-pdf", n_clicks=0, className="button small")],
                             className="control"),
                ],
                className="controls",
            ),
            html.Div(id="dc-error", className="error", role="alert"),
            html.Div([html.Div(dcc.Graph(id="dc-scores", style={"height": "460px"}), className="panel"),
                      html.Div(dcc.Graph(id="dc-trend", style={"height": "460px"}), className="panel")],
                     className="two-columns"),
            html.Div([html.H3("指标对比（数值 / 目标 / 是否达标）"), html.Div(id="dc-comparison")], className="panel"),
            html.Div([html.Div(dcc.Graph(id="dc-radar", style={"height": "480px"}), className="panel"),
                      html.Div([html.H3("与上次评审相比的变化"), html.Div(id="dc-changes")], className="panel")],
                     className="two-columns"),
            html.Div([html.H3("零上访村（社区）"), html.Div(id="dc-zero-counts"),
                      dcc.Graph(id="dc-zero-map", style={"height": "560px"}),
                      html.P("村（社区）边界为示意边界（程序生成，非官方数据）。", className="map-note")], className="panel"),
            html.Div(hidden=not access.current().may("catalogue"), children=[
                html.H3("创建标准目录（管理员）"),
                html.P("上传 CSV 或 YAML（列：年度、指标、权重、目标值、方向、计算方式、单位、说明）；同一年度同名指标会被更新。",
                       className="hint"),
                dcc.Upload(id="dc-upload", children=html.Div(["拖放文件到这里，或 ", html.A("选择文件")]),
                           className="upload", max_size=MAX_UPLOAD_BYTES),
                html.Div(id="dc-upload-result"),
            ], className="panel"),
        ],
        className="demo-county-page",
    )


def _check_choice(counties) -> list[str]:
    counties = list(counties or [])
    if not 2 <= len(counties) <= MAX_COMPARED:
        raise FengqiaoError(f"请选择 2 到 {MAX_COMPARED} 个县区进行对比（当前 {len(counties)} 个）。")
    for county in counties:
        check_area(county)
    return counties


@callback(
    Output("dc-scores", "figure"),
    Output("dc-trend", "figure"),
    Output("dc-comparison", "children"),
    Output("dc-radar", "figure"),
    Output("dc-changes", "children"),
    Output("dc-error", "children"),
    Input("dc-year", "value"),
    Input("dc-counties", "value"),
    Input("dc-upload-result", "children"),
)
def update(year, counties, _uploaded):
    try:
        counties = _check_choice(counties)
        with read_session() as session:
            scores = county_scores(session, year)
            measured = measured_values(session, year)
            trend = score_trend(session, counties)
            comparison = comparison_frame(measured, counties)
            changes = {c: changes_since_last_review(session, c, year) for c in counties}
    except FengqiaoError as exc:
        return (no_update,) * 5 + (str(exc),)
    names = dict(zip(scores["county_code"], scores["county_name"]))
    return (score_bars(scores, year), trend_figure(trend, names), _comparison_table(comparison, names),
            radar_figure(comparison, names), _changes_tables(changes, names), "")


def _format(value, unit: str) -> str:
    if value != value or value is None:
        return "—"
    return f"{value:.1%}" if unit == "比率" else f"{value:g}"


def _comparison_table(comparison, names: dict[str, str]) -> html.Table:
    counties = [c for c in comparison.columns.get_level_values(0).unique() if c != "criterion"]
    header = html.Tr([html.Th("指标"), html.Th("权重"), html.Th("目标")] + [html.Th(names.get(c, c)) for c in counties])
    rows = []
    for i in range(len(comparison)):
        unit = comparison[("criterion", "unit")].iat[i]
        cells = [html.Td(comparison[("criterion", "name")].iat[i]), html.Td(f"{comparison[('criterion', 'weight')].iat[i]:g}"),
                 html.Td(("≥ " if comparison[("criterion", "direction")].iat[i] == "up" else "≤ ")
                         + _format(float(comparison[("criterion", "target")].iat[i]), unit))]
        for county in counties:
            passed = comparison[(county, "passed")].iat[i]
            mark = {True: " ✓ 达标", False: " ✗ 未达标"}.get(passed, " · 无数据")
            cells.append(html.Td(_format(comparison[(county, "value")].iat[i], unit) + mark,
                                 className="pass" if passed is True else ("fail" if passed is False else "")))
        rows.append(html.Tr(cells))
    return html.Table([html.Thead(header), html.Tbody(rows)], className="table", id="dc-comparison-table")


RATE_MEASURES = {"one_time_resolution_rate", "satisfaction_rate", "backlog_resolution_rate", "zero_petition_village_share"}


def _unit_of(measure: str) -> str:
    return "比率" if measure in RATE_MEASURES else ""


def _changes_tables(changes: dict, names: dict[str, str]) -> list:
    out = []
    for county, frame in changes.items():
        out.append(html.H4(names.get(county, county)))
        rows = [html.Tr([html.Td(r.name), html.Td(_format(r.previous, _unit_of(r.measure))),
                         html.Td(_format(r.current, _unit_of(r.measure))),
                         html.Td({True: "改善", False: "退步"}.get(r.improved, "持平/无数据"))])
                for r in frame.itertuples()]
        out.append(html.Table([html.Thead(html.Tr([html.Th(t) for t in ("指标", "上次", "本次", "变化")])),
                               html.Tbody(rows)], className="table"))
    return out


@callback(Output("dc-zero-map", "figure"), Output("dc-zero-counts", "children"), Input("dc-year", "value"))
def update_zero(year):
    units, _ = level_geometry("village", "")
    with read_session() as session:
        zero = zero_petition_units(session, year, "village")
        names = county_names(session)
    counts = zero_counts_by_county(zero[zero["code"].isin(units["code"])])
    summary = "；".join(f"{names.get(r.county_code, r.county_code)} {r.zero_units}/{r.units}（{r.share:.0%}）"
                       for r in counts.itertuples())
    return zero_map(units, zero, f"{year}年零上访村（社区）（绿色）"), html.P(f"各县区零上访村（社区）数：{summary}",
                                                                        id="dc-zero-summary")


@callback(
    Output("dc-download", "data"),
    Input("dc-xlsx", "n_clicks"),
    Input("dc-pdf", "n_clicks"),
    State("dc-year", "value"),
    State("dc-counties", "value"),
    prevent_initial_call=True,
)
def download(xlsx_clicks, pdf_clicks, year, counties):
    counties = _check_choice(counties)
    with read_session() as session:
        scores = county_scores(session, year)
        comparison = comparison_frame(measured_values(session, year), counties)
    names = dict(zip(scores["county_code"], scores["county_name"]))
    chosen = scores[scores["county_code"].isin(counties)]
    title = f"{year}年信访工作示范县创建评审材料：{'、'.join(names[c] for c in counties)}"
    stem = f"fengqiao-review-{year}"
    if dash.ctx.triggered_id == "dc-pdf":
        return dcc.send_bytes(review_pdf(comparison, chosen, title), stem + ".pdf")
    return dcc.send_bytes(review_workbook(comparison, chosen, title), stem + ".xlsx")


@callback(Output("dc-upload-result", "children"), Input("dc-upload", "contents"), State("dc-upload", "filename"),
          prevent_initial_call=True)
def upload_catalogue(contents, filename):
    """Import a criteria catalogue. The file name only chooses the parser; it is never used as a path."""
    principal = check_write("catalogue")
    suffix = Path(filename or "").suffix.lower()
    if suffix not in CATALOGUE_SUFFIXES:
        return html.P(f"只接受 {'、'.join(CATALOGUE_SUFFIXES)} 文件（收到：{filename}）。", className="error")
    payload = base64.b64decode(contents.split(",", 1)[1])
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        handle.write(payload)
        handle.flush()
        try:
            frame = read_catalogue(Path(handle.name), display_name=filename)
        except FengqiaoError as exc:
            return html.Pre(str(exc), className="error", id="dc-upload-error")
    with write_session() as session:
        counts = load_catalogue(frame, session)
        record(session, principal.username, "catalogue", filename, counts)
    return html.P(f"已导入 {filename}：新增 {counts['new']} 条，更新 {counts['updated']} 条，未变 {counts['unchanged']} 条。",
                  id="dc-upload-ok")
