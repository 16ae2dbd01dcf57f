"""Region codes in every form they come in, and names with or without their suffixes (``geo.areas``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import etl
from geo.areas import (
    ancestors,
    area_column,
    area_kind,
    level_of,
    name_key,
    normal_code,
    parent_code,
    scope_prefix,
    village_kind,
    without_parent,
)
from geo.errors import InvalidInput


@pytest.mark.parametrize("value,expected", [
    ("411523001000", "411523001000"),
    ("411523001", "411523001000"),  # GB/T 10114: 9-digit township
    (411523001, "411523001000"),  # a number from Excel
    (411523001.0, "411523001000"),
    (np.int64(411523001001), "411523001001"),
    (np.float64(411523001001.0), "411523001001"),
    ("411523001001.0", "411523001001"),  # a number written as text
    ("411523001001.000", "411523001001"),
    ("４１１５２３００１", "411523001000"),  # full-width digits
    (" 411523 001 001 ", "411523001001"),
    ("411523", "411523"),
    (411523, "411523"),
    ("411523000000", "411523"),  # a county in the 12-digit catalogue form
    ("411523000", "411523"),
    ("411500", "411500"),
    ("411523001001002", "411523001001002"),
    (411523001001002.0, "411523001001002"),
    (None, None), ("", None), ("   ", None), (float("nan"), None), (np.nan, None),
])
def test_normal_code(value, expected):
    assert normal_code(value) == expected


@pytest.mark.parametrize("value,words", [
    ("4.11523E+11", "科学计数法"),
    ("4115230010", "不是区划代码"),
    ("41152300100", "不是区划代码"),
    ("abc", "不是区划代码"),
    ("411523-001", "不是区划代码"),
    ("411523001.5", "不是区划代码"),
    (411523001.5, "不是区划代码"),
    (-411523, "不是区划代码"),
    (float("inf"), "不是区划代码"),
    (True, "不是区划代码"),
    ("x" * 300, "…"),
])
def test_what_is_not_a_code_raises_a_domain_error(value, words):
    with pytest.raises(InvalidInput, match=words):
        normal_code(value)


@pytest.mark.parametrize("code,level,parent,prefix", [
    ("411500", "city", None, ""),
    ("411523", "county", "411500", "411523"),
    ("411523001000", "township", "411523", "411523001"),
    ("411523001001", "village", "411523001000", "411523001001"),
    ("411523001001002", "grid", "411523001001", "411523001001002"),
])
def test_level_parent_and_prefix(code, level, parent, prefix):
    assert (level_of(code), parent_code(code), scope_prefix(code)) == (level, parent, prefix)


def test_ancestors_and_area_columns():
    assert ancestors("411523001001002") == ["411523001001002", "411523001001", "411523001000", "411523", "411500"]
    assert scope_prefix("") == ""
    assert [area_column(c) for c in ("411523", "411523001000", "411523001001", "4115", None)] == \
        ["county_code", "township_code", None, None, None]
    assert [level_of(c) for c in ("411523001", "4115230010", 411523, "", None)] == [None] * 5


@pytest.mark.parametrize("area,kind", [("", "city"), ("411500", "city"), ("411502", "county"),
                                       ("411502001000", "township")])
def test_area_kind(area, kind):
    assert area_kind(area) == kind


@pytest.mark.parametrize("area", ["411600", "420102", "411502001001", "411502001", "abc", None, "411502001000 "])
def test_area_kind_refuses_other_codes(area):
    with pytest.raises(InvalidInput, match="区域代码"):
        area_kind(area)


@pytest.mark.parametrize("names,level", [
    (("义阳社区居民委员会", "义阳社区", "义阳", "义阳社区居委会", "义 阳 社 区"), None),
    (("胡庄村民委员会", "胡庄村村民委员会", "胡庄村委会", "胡庄村", "胡庄"), None),
    (("冲田洼村民委会", "冲田洼村"), None),
    (("老城街道办事处", "老城街道", "老城办事处", "老城"), None),
    (("吴店镇", "吴店"), None),
    (("东乡", "东乡"), None),  # two characters are always kept
    (("浉河区", "浉河"), "county"),
    (("ＡＢ村", "AB"), None),  # full-width letters
])
def test_names_with_and_without_suffixes_share_a_key(names, level):
    assert len({name_key(n, level) for n in names}) == 1, [name_key(n, level) for n in names]


def test_every_catalogue_name_keys_like_its_short_name():
    villages = pd.read_csv(Path(etl.__file__).parent / "reference" / "villages.csv", dtype=str)
    villages = villages[villages["short_name"].notna()]
    differing = villages[villages["name"].map(name_key) != villages["short_name"].map(name_key)]
    assert differing.empty, differing[["name", "short_name"]].head()


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30),
                 st.from_regex(r"[0-9０-９ ]{0,20}(\.0*)?", fullmatch=True)))
def test_normal_code_returns_a_stored_form_or_raises_the_domain_error(value):
    try:
        code = normal_code(value)
    except InvalidInput as error:
        assert str(error)
        return
    assert code is None or (level_of(code) is not None and normal_code(code) == code)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=411500000000, max_value=411599999999))
def test_every_form_of_a_12_digit_code_is_the_same_code(number):
    code = normal_code(number)
    full = code if len(code) == 12 else code + "000000"
    forms = [str(number), f"{number}.0", float(number), str(number).translate(str.maketrans("0123456789", "０１２３４５６７８９"))]
    if full.endswith("000"):
        forms.append(full[:9])
    assert {normal_code(f) for f in forms} == {code}


@pytest.mark.parametrize(("name", "kind"), [("义阳社区居委会", "社区"), ("义阳社区居民委员会", "社区"), ("程庄村委会", "村"),
                                            ("程庄村民委员会", "村"), ("程庄", None), ("老城街道", None)])
def test_village_kind_reads_the_suffix(name, kind):
    assert village_kind(name) == kind


@pytest.mark.parametrize(("name", "township", "expected"), [
    ("郭家河乡人民政府塆店村委会", "郭家河乡", "塆店村委会"),
    ("郭家河塆店村", "郭家河乡", "塆店村"),
    ("老城街道办事处义阳社区", "老城街道", "义阳社区"),
    ("郭家河村", "郭家河乡", "郭家河村"),  # nothing of two characters would remain
    ("塆店村", "郭家河乡", "塆店村"),
])
def test_without_parent_cuts_the_township_written_in_front(name, township, expected):
    assert without_parent(name, township) == expected


def test_a_township_written_as_its_government_has_the_same_key():
    assert name_key("董家河镇人民政府", "township") == name_key("董家河镇", "township") == "董家河"
