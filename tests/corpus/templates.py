"""Header sets of county ledgers, as data, for the corpus generator (issue #12).

Each ``Template`` is one way a county or township lays out a ledger: its headers in order and, for
each header, the fengqiao field it means (None for columns with no field, such as 序号 or 备注).

Provenance, honestly: a search of the stored public material available to this project (web pages,
documentation, public code) found **no** county template whose exact column headers, in order, could be
read. What it did find are pages and code that *name* the columns such ledgers keep (listed per template
under ``observed_in``). Every set below is therefore marked "composed from observed wordings": the
wordings are real, the order and combination are ours. Replace a set's provenance when a real template
(e.g. a gov.cn notice's 附件 table) is transcribed.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPOSED = "composed from observed wordings (no exact public template found)"

# Where the wordings were seen (see the module docstring).
BOTEMAN_FORM = ("http://www.boteman.cn/paper/501163533.html — 《信访矛盾排查记录表（标准版）》: fields "
                "排查日期, 排查区域/单位, 排查人员 (document-sharing site; only the first fields are readable)")
RECEPTION_FORM = ("http://m.80end.cn/jxfw/202506/318210.html — 《信访接待记录表》: 来访人基本信息 (姓名、联系方式、"
                  "单位或住址), 来访时间与地点, 来访事由, 接待人员, 处理意见, 后续处理安排, 备注")
HOTLINE_FLOW = ("https://www.whwb.com.cn/zxwd/202507/287704.html — 12345市民热线处理流程: 受理登记 records 时间、地点、"
                "问题类型、联系方式; 分类转办 to 责任单位; 反馈回访 collects 满意度")
MEDIATION_CODE = ("public Java entity cn.ffcs.zhsq…dispute.DisputeMediation (stored code index, repository not named): "
                  "矛盾纠纷类型, 风险等级, 调处方式, 涉及人数, 调节时限, 当事人名称, 包案领导, 化解责任人, 事件状态")
PETITION_TABLE_CODE = ("public SQL schema zx_key_resolution (stored code index): 包案领导姓名, 责任单位, 化解方案, "
                       "预计化解时间, 实际化解时间")
PINGSHUN_NEWS = ("http://www.changzhinews.com/changzhi/ztxy/psx/2024-07-08/94766.html — 平顺县阳高乡: 矛盾纠纷排查调处记录、"
                 "接处访记录、“12345”热线求助记录, 分类建立纠纷台账")
SHUITIAN_NOTICE = ("https://fscnlw.net/zhen/html/36082217/news_201444105347.htm — 水发〔2014〕5号, 附表2《水田乡2014年春节期间"
                   "矛盾纠纷排查表》 (the notice is readable, the attached table is not)")


@dataclass(frozen=True)
class Column:
    """One column of a template: the header as the template words it and the fengqiao field it means."""

    header: str
    field: str | None
    group: str | None = None  # the merged heading above it in a two-row header, e.g. 当事人信息


@dataclass(frozen=True)
class Template:
    """A ledger layout: kind (disputes, petitions, hotline), headers in order, and where the wording came from."""

    name: str
    kind: str
    provenance: str
    observed_in: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def mapping(self) -> dict[str, str | None]:
        return {c.header: c.field for c in self.columns}

    def has(self, field: str) -> bool:
        return any(c.field == field for c in self.columns)


PARTY = "当事人信息"
PETITIONER = "信访人信息"
CALLER = "来电人信息"

DISPUTES = (
    Template("township_ledger", "disputes", COMPOSED, (BOTEMAN_FORM, MEDIATION_CODE, SHUITIAN_NOTICE), (
        Column("序号", None),
        Column("事件编号", "ref_no"),
        Column("排查时间", "reported_at"),
        Column("所在乡镇", "township_name"),
        Column("所在村", "village_name"),
        Column("当事人", "party_name", PARTY),
        Column("身份证号", "party_id_number", PARTY),
        Column("联系电话", "party_phone", PARTY),
        Column("矛盾类型", "domain"),
        Column("基本情况", "summary"),
        Column("风险等级", "risk_level"),
        Column("化解措施", None),
        Column("责任人", None),
        Column("化解时限", None),
        Column("化解状态", "status"),
        Column("化解时间", "resolved_at"),
        Column("排查人", "found_by"),
        Column("备注", None),
    )),
    Template("mediation_register", "disputes", COMPOSED, (MEDIATION_CODE, PINGSHUN_NEWS), (
        Column("序号", None),
        Column("登记编号", "ref_no"),
        Column("发现时间", "reported_at"),
        Column("乡镇（街道）", "township_name"),
        Column("村（社区）", "village_name"),
        Column("当事人姓名", "party_name", PARTY),
        Column("公民身份号码", "party_id_number", PARTY),
        Column("联系方式", "party_phone", PARTY),
        Column("纠纷类别", "domain"),
        Column("简要案情", "summary"),
        Column("涉及户数", "households_involved"),
        Column("调处方式", "channel"),
        Column("包案领导", None),
        Column("办理进度", "status"),
        Column("办结日期", "resolved_at"),
        Column("备注", None),
    )),
    Template("grid_coded_ledger", "disputes", COMPOSED, (MEDIATION_CODE, BOTEMAN_FORM), (
        Column("序号", None),
        Column("纠纷编号", "ref_no"),
        Column("受理日期", "reported_at"),
        Column("县（市、区）", "county_name"),
        Column("乡镇街道", "township_name"),
        Column("村居代码", "village_code"),
        Column("村居名称", "village_name"),
        Column("矛盾纠纷类型", "domain"),
        Column("纠纷事由", "summary"),
        Column("风险级别", "risk_level"),
        Column("化解方式", "channel"),
        Column("化解情况", "status"),
        Column("调结日期", "resolved_at"),
        Column("涉及户数（户）", "households_involved"),
        Column("当事人", "party_name", PARTY),
        Column("手机号码", "party_phone", PARTY),
        Column("网格员", "found_by"),
        Column("填报人", None),
    )),
)

PETITIONS = (
    Template("petition_register", "petitions", COMPOSED, (RECEPTION_FORM, PETITION_TABLE_CODE), (
        Column("序号", None),
        Column("信访事项编号", "ref_no"),
        Column("登记日期", "received_on"),
        Column("信访人", "petitioner_name", PETITIONER),
        Column("身份证号码", "petitioner_id_number", PETITIONER),
        Column("联系电话", "petitioner_phone", PETITIONER),
        Column("住址", None, PETITIONER),
        Column("所属乡镇", "township_name"),
        Column("村（社区）", "village_name"),
        Column("信访形式", "channel"),
        Column("信访类别", "category"),
        Column("问题类别", "domain"),
        Column("反映问题", None),
        Column("人数", "head_count"),
        Column("是否初信初访", "is_first"),
        Column("信访层级", "lodged_level"),
        Column("受理日期", "accepted_on"),
        Column("办理状态", "status"),
        Column("办结日期", "closed_on"),
        Column("满意度", "satisfaction"),
        Column("责任单位", None),
        Column("备注", None),
    )),
)

HOTLINE = (
    Template("hotline_export", "hotline", COMPOSED, (HOTLINE_FLOW, PINGSHUN_NEWS), (
        Column("工单编号", "hotline_ticket"),
        Column("来电时间", "received_on"),
        Column("来电人", "petitioner_name", CALLER),
        Column("来电号码", "petitioner_phone", CALLER),
        Column("诉求类型", "category"),
        Column("问题分类", "domain"),
        Column("诉求内容", None),
        Column("所属乡镇", "township_name"),
        Column("所属村（社区）", "village_name"),
        Column("承办单位", None),
        Column("工单状态", "status"),
        Column("办结时间", "closed_on"),
        Column("回访满意度", "satisfaction"),
    )),
)

TEMPLATES: dict[str, tuple[Template, ...]] = {"disputes": DISPUTES, "petitions": PETITIONS, "hotline": HOTLINE}

# Other wordings of a field seen in such ledgers (and in fengqiao's alias table), per kind, for the
# "renamed header" mutation.
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "disputes": {
        "ref_no": ("编号", "台账编号", "案件编号", "事件编号", "登记编号"),
        "reported_at": ("排查时间", "排查日期", "发现时间", "登记时间", "登记日期", "受理时间"),
        "domain": ("矛盾类型", "纠纷类别", "纠纷类型", "矛盾纠纷类别", "类别"),
        "risk_level": ("风险等级", "风险级别", "风险程度"),
        "status": ("化解状态", "办理状态", "化解情况", "办理进度", "状态"),
        "channel": ("化解方式", "调处方式", "调解方式"),
        "resolved_at": ("化解时间", "化解日期", "办结时间", "办结日期"),
        "households_involved": ("涉及户数", "户数"),
        "summary": ("基本情况", "简要情况", "简要案情", "纠纷内容", "主要诉求"),
        "township_name": ("乡镇", "乡镇（街道）", "所在乡镇", "所属乡镇"),
        "village_name": ("村（社区）", "村名", "所在村", "村居"),
        "county_name": ("县区", "县（市、区）", "所属县区"),
        "village_code": ("村（社区）代码", "村居代码", "统计用区划代码"),
        "party_name": ("当事人", "当事人姓名", "姓名"),
        "party_id_number": ("身份证号", "公民身份号码", "身份证号码"),
        "party_phone": ("联系电话", "联系方式", "手机号码"),
        "found_by": ("排查人", "排查人员", "网格员"),
    },
    "petitions": {
        "ref_no": ("信访件编号", "信访编号", "事项编号", "件号"),
        "received_on": ("登记日期", "来信来访日期", "信访日期", "来访日期"),
        "category": ("信访类别", "事项类别", "信访事项类别"),
        "channel": ("信访形式", "来源渠道", "信访方式"),
        "domain": ("问题类别", "内容分类", "问题领域"),
        "petitioner_name": ("信访人", "信访人姓名", "姓名", "来访人"),
        "petitioner_id_number": ("身份证号", "身份证号码", "公民身份号码"),
        "petitioner_phone": ("联系电话", "联系方式", "手机号码"),
        "township_name": ("乡镇", "乡镇（街道）", "所属乡镇"),
        "village_name": ("村（社区）", "村名", "所在村"),
        "head_count": ("人数", "信访人数"),
        "lodged_level": ("信访层级", "登记层级"),
        "closed_on": ("办结日期", "办结时间"),
        "satisfaction": ("满意度", "群众评价", "回访满意度"),
    },
    "hotline": {
        "hotline_ticket": ("工单编号", "工单号", "12345工单号", "工单流水号"),
        "received_on": ("来电时间", "受理时间", "创建时间", "工单创建时间"),
        "category": ("诉求类型", "工单类型", "诉求性质"),
        "domain": ("问题分类", "诉求内容分类", "事项分类"),
        "petitioner_name": ("来电人", "诉求人", "联系人"),
        "petitioner_phone": ("来电号码", "联系电话", "联系方式"),
        "township_name": ("所属乡镇", "乡镇（街道）", "乡镇"),
        "village_name": ("所属村（社区）", "村（社区）", "村居"),
        "status": ("工单状态", "办理状态", "状态"),
        "closed_on": ("办结时间", "回复时间"),
        "satisfaction": ("回访满意度", "满意度", "回访结果"),
    },
}

# Columns counties add that fengqiao has no field for (the "extra unknown columns" mutation).
EXTRA_COLUMNS = ("走访次数", "录入人", "网格员电话", "照片", "是否录入平台", "回访情况", "性别", "年龄")

