"""Reading and loading the demonstration-county catalogue: encodings, Chinese headers, every problem reported."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from pandas.testing import assert_frame_equal

from etl.catalogue import CatalogueRefused, Problem, load_catalogue, read_catalogue
from etl.demo.supervision import CRITERIA as SHIPPED
from geo.errors import InvalidInput, NotFound

ENGLISH = """year,name,weight,target,direction,measure,unit,description
2024,群众满意率,15,0.92,up,satisfaction_rate,比率,（满意+基本满意）÷参评件数
2024,超期信访事项数,10,3,down,overdue_petitions,件,
2025,县级领导接访下访次数,10.5,36,up,entered,次,评审组核验台账
"""
CHINESE = """年度,指标,权重,目标值,方向,计算方式,单位,说明
2024,群众满意率,15,0.92,越高越好,群众满意率,比率,（满意+基本满意）÷参评件数
2024,超期信访事项数,10,3,越低越好,超期信访事项数,件,
2025,县级领导接访下访次数,10.5,36,越高越好,评审录入,次,评审组核验台账
"""
EXPECTED = pd.DataFrame({
    "row": pd.Series([2, 3, 4], dtype="int64"),
    "year": pd.Series([2024, 2024, 2025], dtype="int64"),
    "name": ["群众满意率", "超期信访事项数", "县级领导接访下访次数"],
    "weight": [15.0, 10.0, 10.5],
    "target": [0.92, 3.0, 36.0],
    "direction": ["up", "down", "up"],
    "measure": ["satisfaction_rate", "overdue_petitions", "entered"],
    "unit": ["比率", "件", "次"],
    "description": pd.Series(["（满意+基本满意）÷参评件数", None, "评审组核验台账"], dtype=object),
})
YAML_CHINESE = """# 示范县创建标准（节选）
- 年度: 2024
  指标: 群众满意率
  权重: 15
  目标值: 0.92
  方向: 越高越好
  计算方式: 群众满意率
  单位: 比率
  说明: （满意+基本满意）÷参评件数
- 年度: 2024
  指标: 超期信访事项数
  权重: 10
  目标值: 3
  方向: down
  计算方式: overdue_petitions
  单位: 件
- year: 2025
  name: 县级领导接访下访次数
  weight: 10.5
  target: 36
  direction: up
  measure: entered
  unit: 次
  description: 评审组核验台账
"""


@pytest.mark.parametrize(("content", "encoding"), [
    (ENGLISH, "utf-8"),
    (ENGLISH, "utf-8-sig"),
    (ENGLISH, "gbk"),
    (CHINESE, "utf-8"),
    (CHINESE, "utf-8-sig"),
    (CHINESE, "gbk"),
])
def test_good_csv(tmp_path, content, encoding):
    path = tmp_path / "标准.csv"
    path.write_bytes(content.encode(encoding))
    assert_frame_equal(read_catalogue(path), EXPECTED)


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_good_yaml(tmp_path, suffix):
    path = tmp_path / f"标准{suffix}"
    path.write_text(YAML_CHINESE, encoding="utf-8")
    # In YAML the row is the line where the item starts (line 1 is a comment).
    assert_frame_equal(read_catalogue(path), EXPECTED.assign(row=pd.Series([2, 10, 17], dtype="int64")))


def test_the_shipped_catalogue_reads():
    frame = read_catalogue(SHIPPED)
    assert len(frame) == 24
    assert sorted(frame["year"].unique()) == [2023, 2024, 2025]
    assert frame.groupby("year")["weight"].sum().tolist() == [100.0, 100.0, 100.0]


BAD = """年度,指标,权重,方向,计算方式,单位
2024,群众满意率,0,越高越好,群众满意率,比率
1900,超期信访事项数,10,sideways,overdue_petitions,件

2024,群众满意率,15,up,satisfaction_rate,比率
2024,,abc,up,人口数,人
"""


def test_bad_csv_lists_every_problem(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(BAD.encode("gbk"))
    with pytest.raises(CatalogueRefused) as caught:
        read_catalogue(path)
    lines = str(caught.value).splitlines()
    assert lines[0] == "标准目录文件 bad.csv 有 8 处问题，未导入，请改正后重新导入："
    assert lines[1:] == [
        "文件 bad.csv 第 1 行：缺少必需的列 “目标值（target）”",
        "文件 bad.csv 第 2 行 “权重”列：权重应大于 0，实为 0",
        "文件 bad.csv 第 3 行 “年度”列：年度应在 2000–2100 之间，实为 1900",
        "文件 bad.csv 第 3 行 “方向”列：方向应为 up/越高越好、down/越低越好，实为“sideways”",
        # row 4 is blank; row 5 repeats row 2's (year, name)
        "文件 bad.csv 第 5 行 “指标”列：与第 2 行重复：同一年度（2024）不能有两个同名指标“群众满意率”",
        "文件 bad.csv 第 6 行 “指标”列：指标名称不能为空",
        "文件 bad.csv 第 6 行 “权重”列：权重应为数字，实为“abc”",
        "文件 bad.csv 第 6 行 “计算方式”列：计算方式应为 one_time_resolution_rate（一次性化解率）、"
        "satisfaction_rate（群众满意率）、backlog_resolution_rate（积案化解率）、"
        "zero_petition_village_share（零上访村占比）、overdue_petitions（超期信访事项数）、entered（评审录入） 之一，"
        "实为“人口数”",
    ]
    assert caught.value.problems[1] == Problem(2, "权重", "权重应大于 0，实为 0")
    assert isinstance(caught.value, InvalidInput)


def test_missing_columns_are_listed_together(tmp_path):
    path = tmp_path / "few.csv"
    path.write_text("name,weight,unit\n甲,1,次\n", encoding="utf-8")
    with pytest.raises(CatalogueRefused) as caught:
        read_catalogue(path)
    assert [p.message("few.csv") for p in caught.value.problems] == [
        "文件 few.csv 第 1 行：缺少必需的列 “年度（year）”、“目标值（target）”、“方向（direction）”、“计算方式（measure）”",
    ]


def test_the_same_column_twice(tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("year,年度,name,weight,target,direction,measure\n2024,2024,甲,1,1,up,entered\n", encoding="utf-8")
    with pytest.raises(CatalogueRefused, match="第 1 行 “年度”列：与“year”列重复"):
        read_catalogue(path)


def test_bad_yaml_reports_lines(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("""- year: 1900
  name: 甲
  weight: 0
  target: 1
  direction: up
  measure: entered
- year: 2024
  name: 乙
  weight: 5
  direction: 越高越好
  measure: 评审录入
""", encoding="utf-8")
    with pytest.raises(CatalogueRefused) as caught:
        read_catalogue(path)
    assert str(caught.value).splitlines()[1:] == [
        "文件 bad.yaml 第 1 行 “year”列：年度应在 2000–2100 之间，实为 1900",
        "文件 bad.yaml 第 3 行 “weight”列：权重应大于 0，实为 0",
        "文件 bad.yaml 第 7 行：缺少必需的键 “目标值（target）”",
    ]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("list.yaml", "year: 2024\nname: 甲\n", "应为标准的列表"),
    ("broken.yaml", "- year: [2024\n", "不是有效的 YAML"),
    ("empty.csv", "", "文件为空"),
    ("header.csv", "year,name,weight,target,direction,measure\n", "没有任何标准"),
])
def test_malformed_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CatalogueRefused, match=message):
        read_catalogue(path)


def test_unsupported_or_missing_file(tmp_path):
    (tmp_path / "标准.xlsx").write_bytes(b"PK")
    with pytest.raises(InvalidInput, match="格式不受支持"):
        read_catalogue(tmp_path / "标准.xlsx")
    with pytest.raises(NotFound, match="找不到文件 nothing.csv"):
        read_catalogue(tmp_path / "nothing.csv")


def _stored(session) -> list[tuple]:
    return [tuple(r) for r in session.execute(sa.text(
        "SELECT year, name, weight::float, target::float, direction, measure, unit, description"
        " FROM demo_criterion ORDER BY year, name"
    ))]


def test_load_twice_then_change(session, tmp_path):
    path = tmp_path / "标准.csv"
    path.write_text(ENGLISH, encoding="utf-8")
    frame = read_catalogue(path)
    assert load_catalogue(frame, session) == {"new": 3, "updated": 0, "unchanged": 0}
    assert _stored(session) == [
        (2024, "群众满意率", 15.0, 0.92, "up", "satisfaction_rate", "比率", "（满意+基本满意）÷参评件数"),
        (2024, "超期信访事项数", 10.0, 3.0, "down", "overdue_petitions", "件", None),
        (2025, "县级领导接访下访次数", 10.5, 36.0, "up", "entered", "次", "评审组核验台账"),
    ]
    assert load_catalogue(frame, session) == {"new": 0, "updated": 0, "unchanged": 3}

    changed = frame.copy()
    changed.loc[1, "target"] = 2.0
    changed.loc[0, "weight"] = 15.001  # rounds to the stored 15.00: unchanged
    changed = pd.concat([changed, frame.iloc[[2]].assign(year=2026)], ignore_index=True)
    assert load_catalogue(changed, session) == {"new": 1, "updated": 1, "unchanged": 2}
    stored = _stored(session)
    assert stored[1][3] == 2.0 and stored[0][2] == 15.0 and stored[-1][:2] == (2026, "县级领导接访下访次数")
    assert load_catalogue(changed, session) == {"new": 0, "updated": 0, "unchanged": 4}


def test_reimporting_the_demo_catalogue_changes_nothing(demo_session):
    before = _stored(demo_session)
    assert load_catalogue(read_catalogue(SHIPPED), demo_session) == {"new": 0, "updated": 0, "unchanged": 24}
    assert _stored(demo_session) == before
