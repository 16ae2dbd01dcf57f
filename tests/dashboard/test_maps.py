"""Map figure functions, tested without a server."""

import json

import geopandas as gpd
import pytest
import shapely

from dashboard.figures.maps import BLANK_STYLE, fit_zoom, lean_geojson, source_note, unit_map


@pytest.fixture
def units():
    return gpd.GeoDataFrame(
        {"code": ["411502", "411503"], "name": ["浉河区", "平桥区"], "geom_source": ["official", "illustrative"]},
        geometry=[shapely.box(114.0, 32.0, 114.123456789, 32.1), shapely.box(114.123456789, 32.0, 114.3, 32.1)],
        crs=4326,
    )


def test_lean_geojson_keeps_only_ids_and_rounds_coordinates(units):
    collection = lean_geojson(units)
    assert [f["id"] for f in collection["features"]] == ["411502", "411503"]
    assert all(f["properties"] == {} for f in collection["features"])
    xs = [x for f in collection["features"] for ring in f["geometry"]["coordinates"] for x, _ in ring]
    assert 114.12346 in xs and all(round(x, 5) == x for x in xs)


def test_unit_map_uses_a_blank_style_and_fits_the_units(units):
    figure = unit_map(units)
    assert figure.layout.map.style == BLANK_STYLE
    assert figure.layout.map.center.lon == pytest.approx(114.15)
    assert 5 < figure.layout.map.zoom < 12
    assert "http" not in json.dumps(figure.to_plotly_json()["layout"], default=str)


@pytest.mark.parametrize("sources, expected", [
    (["official", "official"], "官方区划边界"),
    (["official", "illustrative"], "示意边界"),
])
def test_source_note_labels_illustrative_boundaries(units, sources, expected):
    units["geom_source"] = sources
    assert expected in source_note(units)


def test_fit_zoom_shrinks_as_the_extent_grows():
    city = fit_zoom(113.7, 30.4, 115.9, 32.7)
    county = fit_zoom(115.4, 31.8, 116.0, 32.4)
    assert 6 < city < 8 < county
