"""The columns of the three ledgers as counties write them, and vectorised parsers for their values.

Each field has the header the template uses and the aliases accepted on import (compared after
``tabular.normalise_header``: no spaces, half-width brackets, no “*” or “（必填）”). Enumerated
values accept the English code, the Chinese label of ``geo.enums`` and the common synonyms listed
here. Every parser returns the values and, per row, the reason (Chinese) a value is unreadable, or None.

An unreadable value refuses its row only in a field that is ``required`` or a ``key`` (``Field.refuses``);
elsewhere the row loads without that value, with a warning. A ``many`` field holds several values in one
cell (“张三、李四”), split at ``MANY_SEPARATORS`` and parsed one by one into a tuple.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from etl.identity import CHECK_CHARS, WEIGHTS
from etl.tabular import normalise_header
from geo.areas import normal_code
from geo.enums import (
    DisputeDomain,
    DisputeStatus,
    LodgedLevel,
    PetitionCategory,
    PetitionChannel,
    PetitionStatus,
    ResolutionChannel,
    RiskLevel,
    Satisfaction,
)
from geo.errors import InvalidInput
from geo.privacy import mask_id_number, mask_phone

EARLIEST = date(2000, 1, 1)
FULL_WIDTH = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)},
                            **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
                            **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
                            "－": "-", "／": "/", "．": ".", "：": ":", "，": ",", "\u3000": " ", "\xa0": " "})


@dataclass(frozen=True)
class Field:
    """One column of a ledger."""

    name: str
    label: str
    aliases: tuple[str, ...]
    kind: str  # text, code, date, datetime, enum, bool, int, number, id_number, phone
    required: bool = False
    choices: dict[str, str] = field(default_factory=dict)
    help: str = ""
    pattern: str | None = None
    max_length: int | None = None
    bounds: tuple[int, int] | None = None
    key: bool = False  # identifies the record: an unreadable value refuses the row, as for a required field
    many: bool = False  # several values in one cell, parsed into a tuple

    @property
    def refuses(self) -> bool:
        """Whether an unreadable value refuses the row (else the row loads without it, with a warning)."""
        return self.required or self.key

    def names(self) -> set[str]:
        return {normalise_header(a) for a in (self.label, *self.aliases)}

    def accepted_values(self) -> str:
        labels = dict.fromkeys(v for v in self.choices.values())
        return "、".join(_LABELS.get(v, v) for v in labels)


def _word(text: str) -> str:
    return "".join(str(text).translate(FULL_WIDTH).split()).lower()


def enum_choices(enum_cls, **synonyms: tuple[str, ...]) -> dict[str, str]:
    """Normalised word → stored value: the codes, the labels, and ``synonyms[value]``."""
    choices = {}
    for member in enum_cls:
        choices[_word(member.value)] = member.value
        choices[_word(member.label)] = member.value
        for word in synonyms.get(member.value, ()):
            choices[_word(word)] = member.value
    return choices


_LABELS = {m.value: m.label for e in (DisputeDomain, DisputeStatus, LodgedLevel, PetitionCategory, PetitionChannel,
                                      PetitionStatus, ResolutionChannel, RiskLevel, Satisfaction) for m in e}
_LABELS.update({"true": "是", "false": "否", "in": "转入", "out": "转出"})
YES_NO = {**{_word(w): "true" for w in ("是", "有", "y", "yes", "true", "1", "√", "✓", "已登记", "登记")},
          **{_word(w): "false" for w in ("否", "无", "n", "no", "false", "0", "×", "未登记", "不是")}}
FIRST_OR_REPEAT = {**{_word(w): "true" for w in ("是", "初信", "初访", "初信初访", "初件", "初次", "首次", "y", "1", "true")},
                   **{_word(w): "false" for w in ("否", "重复", "重信", "重访", "重复信访", "重件", "n", "0", "false")}}

DOMAIN_CHOICES = enum_choices(DisputeDomain, urban_rural_construction=("城乡建设类", "城建", "住房城乡建设", "拆迁", "征收拆迁"),
                              labour_social_security=("劳动社保类", "劳动保障", "劳资纠纷", "劳动争议", "社保", "欠薪"),
                              law_litigation=("涉法涉诉类", "政法", "诉讼"),
                              rural_agriculture=("农村农业类", "农业农村", "三农", "土地承包"),
                              economic_management=("经济管理类", "经济纠纷", "合同纠纷"),
                              natural_resources=("自然资源类", "国土资源", "土地", "山林", "林地", "宅基地"),
                              marriage_family=("婚姻家庭纠纷", "婚姻", "家庭纠纷", "婚姻家庭类", "继承"),
                              neighbourhood=("邻里", "邻里关系", "邻里纠纷类", "相邻关系"),
                              other=("其它", "其他类", "其他纠纷"))
RISK_CHOICES = enum_choices(RiskLevel, low=("低", "一般风险", "低风险", "蓝色"), medium=("中", "较大风险", "中风险", "黄色"),
                            high=("高", "重大风险", "高风险", "橙色"), critical=("特别重大风险", "极高", "红色"))
DISPUTE_STATUS_CHOICES = enum_choices(DisputeStatus, reported=("登记", "待化解", "未化解", "已受理", "排查发现"),
                                      mediating=("调解中", "正在化解", "正在调解", "办理中", "处置中"),
                                      resolved=("化解", "化解成功", "调解成功", "已调解", "已办结", "办结", "已解决"),
                                      escalated=("转信访", "已转信访件", "进入信访"))
RESOLUTION_CHOICES = enum_choices(ResolutionChannel, peoples_mediation=("人民调解委员会", "村调解", "调委会"),
                                  administrative_mediation=("行政机关调解",), judicial_mediation=("法院调解", "诉讼调解"),
                                  petition_mediation=("访调",), litigation_mediation=("诉调",), arbitration=("劳动仲裁", "仲裁委"),
                                  reconsideration=("复议",), one_stop_centre=("一站式", "综治中心", "矛调中心",
                                                                              "矛盾纠纷调处化解中心"))
CATEGORY_CHOICES = enum_choices(PetitionCategory, suggestion=("建议意见", "建议", "意见", "意见建议", "建议类"),
                                accusation=("检举控告", "检举", "控告", "举报", "检举类", "控告类", "举报类"),
                                complaint_request=("申诉求决", "申诉", "求决", "投诉", "求助", "诉求", "咨询", "投诉类",
                                                   "求助类", "申诉类", "求决类"))
CHANNEL_CHOICES = enum_choices(PetitionChannel, letter=("信", "来信", "写信", "书信", "信件"), visit=("访", "来访", "走访"),
                               online=("网信", "网上", "网上投诉", "网上信访", "手机信访", "领导信箱"),
                               hotline_12345=("12345", "12345热线", "热线", "热线转办", "12345转办", "电话"))
LEVEL_CHOICES = enum_choices(LodgedLevel, township=("乡", "乡镇", "乡级", "村", "乡镇级", "乡镇(街道)", "村级", "基层"),
                             county=("县", "县区", "县级", "区级", "县(区)", "县区级"), city=("市", "市级", "地市"),
                             province=("省", "省级", "到省", "赴省", "省信访局"),
                             beijing=("北京", "进京", "赴京访", "国家", "国家信访局", "中央"))
SATISFACTION_CHOICES = enum_choices(Satisfaction, satisfied=("非常满意", "很满意"),
                                    basically_satisfied=("比较满意", "一般"), dissatisfied=("不太满意", "很不满意", "非常不满意"))
PETITION_STATUS_CHOICES = enum_choices(PetitionStatus, received=("登记", "待受理", "未受理"),
                                       accepted=("受理", "办理中", "正在办理", "处理中", "已转办", "已交办"),
                                       not_accepted=("不受理", "不予受理件"),
                                       closed=("办结", "已办结", "结案", "已结案", "已回访", "已完成"))
HOTLINE_STATUS_CHOICES = {**PETITION_STATUS_CHOICES,
                          **{_word(w): "accepted" for w in ("已派单", "派单", "待办理", "已签收", "签收", "退单")},
                          **{_word(w): "received" for w in ("待派单", "新建", "已受理待派单")}}
DIRECTION_CHOICES = {**{_word(w): "in" for w in ("转入", "转入信访", "12345转信访", "热线转信访", "in")},
                     **{_word(w): "out" for w in ("转出", "转出至12345", "信访转12345", "转12345", "out")}}

# --- the shared location columns ------------------------------------------------------------------

LOCATION_FIELDS = (
    Field("lon", "经度", ("经度", "lng", "lon", "longitude", "x", "x坐标", "横坐标", "东经"), "number",
          help="与纬度一起填写；坐标系默认 WGS84/CGCS2000（EPSG:4326），其他坐标系导入时用 --crs 指明"),
    Field("lat", "纬度", ("纬度", "lat", "latitude", "y", "y坐标", "纵坐标", "北纬"), "number", help="与经度一起填写"),
    Field("grid_code", "网格编码", ("网格编码", "网格代码", "网格编号", "所属网格编码", "所属网格代码", "网格码"), "code",
          pattern=r"\d{15}", help="15 位网格编码（村（社区）代码后加 3 位）"),
    Field("village_code", "村（社区）代码", ("村(社区)代码", "村代码", "社区代码", "村居代码", "村(社区)统计代码",
                                              "村级代码", "村(居)代码", "统计用区划代码"), "code", pattern=r"\d{12}",
          help="12 位统计用区划代码；记录落在该村（社区）的第一个网格"),
    Field("village_name", "村（社区）", ("村(社区)", "村(社区)名称", "村名", "村名称", "社区", "社区名称", "村居", "村(居)",
                                        "所属村(社区)", "村"), "text", help="与乡镇（街道）名称一起填写时按名称定位"),
    Field("township_name", "乡镇（街道）", ("乡镇(街道)", "乡镇", "街道", "乡镇名称", "乡镇(街道)名称", "所属乡镇",
                                          "所属乡镇(街道)", "乡镇街道"), "text"),
    Field("county_name", "县区", ("县区", "县(区)", "县(市、区)", "县(市区)", "所属县区", "县区名称"), "text",
          help="可选：按名称定位时用于区分同名的乡镇"),
)
LOCATION_NAMES = tuple(f.name for f in LOCATION_FIELDS)
LOCATION_HINT = "经度+纬度，或“网格编码”，或“村（社区）代码”，或“村（社区）”+“乡镇（街道）”名称"


def _text(name, label, aliases, **kw) -> Field:
    return Field(name, label, aliases, "text", **kw)


DISPUTE_FIELDS = (
    _text("ref_no", "纠纷编号", ("纠纷编号", "编号", "台账编号", "登记编号", "案件编号", "纠纷登记编号", "事件编号",
                               "事件号", "矛盾纠纷编号", "纠纷号", "案件号", "事项编号"), max_length=64, key=True,
          help="台账自己的编号；重复导入时按它更新。没有编号时按内容指纹识别同一条纠纷"),
    Field("reported_at", "登记时间", ("登记时间", "登记日期", "发现时间", "发现日期", "排查时间", "排查日期", "报告时间",
                                     "受理时间", "受理日期"), "datetime", required=True,
          help="如 2024-03-05、2024/3/5、2024年3月5日，可带时分"),
    Field("domain", "纠纷类别", ("纠纷类别", "矛盾类型", "类别", "纠纷类型", "矛盾纠纷类别", "矛盾纠纷类型", "类型",
                                "矛盾类别"), "enum", required=True, choices=DOMAIN_CHOICES),
    Field("risk_level", "风险等级", ("风险等级", "风险级别", "等级", "风险程度"), "enum", choices=RISK_CHOICES,
          help="不填为“一般”"),
    Field("status", "化解状态", ("化解状态", "办理状态", "状态", "处置状态", "化解情况"), "enum",
          choices=DISPUTE_STATUS_CHOICES, help="不填时：有化解时间为“已化解”，否则为“已登记”"),
    Field("channel", "化解方式", ("化解方式", "调解方式", "化解渠道", "调处方式", "化解途径"), "enum",
          choices=RESOLUTION_CHOICES),
    Field("resolved_at", "化解时间", ("化解时间", "化解日期", "办结时间", "办结日期", "调结日期"), "datetime"),
    Field("households_involved", "涉及户数", ("涉及户数", "涉及户数(户)", "户数", "涉及农户数"), "int",
          bounds=(1, 32767), help="不填为 1"),
    _text("summary", "简要情况", ("简要情况", "纠纷简要情况", "纠纷内容", "基本情况", "事由", "摘要", "内容", "纠纷事由",
                                 "主要诉求"), max_length=2000),
    _text("party_name", "当事人", ("当事人", "当事人姓名", "双方当事人", "纠纷当事人", "涉事人", "当事人(双方)",
                                 "涉及人员", "当事双方"), max_length=100, many=True,
          help="可写多人，用顿号、逗号或分号隔开（如“张三、李四”）；身份证号、电话按同样顺序隔开"),
    Field("party_id_number", "身份证号", ("身份证号", "身份证号码", "公民身份号码", "证件号码", "当事人身份证号",
                                        "当事人身份证号码"), "id_number", many=True,
          help="18 位，多人时按当事人顺序隔开；请把该列设为文本格式"),
    Field("party_phone", "联系电话", ("联系电话", "电话", "手机号", "手机号码", "联系方式", "手机", "当事人电话",
                                    "当事人联系电话"), "phone", many=True, help="多人时按当事人顺序隔开"),
    _text("found_by", "排查人", ("排查人", "发现人", "排查人员", "报告人", "信息员", "排查责任人", "登记人"),
          max_length=100, help="与本乡镇（街道）一名党员同名时关联到该党员，否则按文字保存"),
    *LOCATION_FIELDS,
)

PETITION_FIELDS = (
    _text("ref_no", "信访件编号", ("信访件编号", "信访编号", "事项编号", "编号", "件号", "信访件号", "信访事项编号",
                                 "信访件编码", "登记编号"), max_length=64, key=True, help="信访系统中的编号；重复导入时按它更新"),
    Field("received_on", "登记日期", ("登记日期", "来信来访日期", "信访日期", "受理登记日期", "登记时间", "来访日期",
                                     "来信日期", "收件日期"), "date", required=True),
    Field("category", "信访类别", ("信访类别", "事项类别", "信访事项类别", "类别", "件类"), "enum", required=True,
          choices=CATEGORY_CHOICES),
    Field("channel", "信访形式", ("信访形式", "来源渠道", "信访渠道", "渠道", "来源", "信访方式"), "enum", required=True,
          choices=CHANNEL_CHOICES),
    Field("domain", "问题类别", ("问题类别", "内容分类", "问题领域", "所属领域", "诉求领域", "领域", "问题分类"), "enum",
          required=True, choices=DOMAIN_CHOICES),
    Field("is_first", "是否初信初访", ("是否初信初访", "初信初访", "初重件", "初信初访件", "是否初次信访"), "bool",
          choices=FIRST_OR_REPEAT, help="是/否（或：初信、初访、重复）；也可用“是否重复信访”列"),
    Field("is_repeat", "是否重复信访", ("是否重复信访", "重复信访", "是否重复件"), "bool", choices=YES_NO),
    Field("lodged_level", "信访层级", ("信访层级", "登记层级", "受理层级", "来访层级", "到达层级", "信访地点层级"), "enum",
          required=True, choices=LEVEL_CHOICES),
    _text("petitioner_name", "信访人", ("信访人", "信访人姓名", "姓名", "来访人", "来信人", "反映人"), max_length=100),
    Field("petitioner_id_number", "身份证号", ("身份证号", "身份证号码", "公民身份号码", "证件号码", "信访人身份证号"),
          "id_number", help="18 位；请把该列设为文本格式，数字格式会丢失后几位"),
    Field("petitioner_phone", "联系电话", ("联系电话", "电话", "手机号", "手机号码", "联系方式", "手机"), "phone"),
    Field("head_count", "人数", ("人数", "来访人数", "信访人数", "涉及人数"), "int", bounds=(1, 32767),
          help="不填为 1；5 人及以上为集体访"),
    Field("nationally_registered", "国家信访局登记", ("国家信访局登记", "是否国家信访局登记", "国家局登记",
                                                   "国家信访信息系统登记"), "bool", choices=YES_NO),
    Field("status", "办理状态", ("办理状态", "状态", "办理情况", "件状态"), "enum", choices=PETITION_STATUS_CHOICES,
          help="不填时按日期推断：有办结日期为已办结，有受理日期为已受理，否则已登记"),
    Field("accepted_on", "受理日期", ("受理日期", "受理时间"), "date"),
    Field("extension_days", "延期天数", ("延期天数", "延长天数", "延期(天)"), "int", bounds=(0, 30),
          help="《信访工作条例》第三十五条：最多延长 30 日"),
    Field("closed_on", "办结日期", ("办结日期", "办结时间", "结案日期"), "date"),
    Field("one_time_resolved", "是否一次性化解", ("是否一次性化解", "一次性化解", "一次性化解情况"), "bool",
          choices=YES_NO),
    Field("satisfaction", "满意度", ("满意度", "群众评价", "回访评价", "回访满意度", "评价", "满意度评价"), "enum",
          choices=SATISFACTION_CHOICES),
    _text("hotline_ticket", "12345工单号", ("12345工单号", "12345工单编号", "热线工单号", "工单号", "工单编号"),
          max_length=64, help="由 12345 热线转来或转出时填写，用于与热线工单互相关联"),
    *LOCATION_FIELDS,
)

HOTLINE_FIELDS = (
    _text("hotline_ticket", "工单编号", ("工单编号", "工单号", "12345工单号", "工单流水号", "12345工单编号", "热线工单号"),
          required=True, key=True, max_length=64),
    Field("received_on", "来电时间", ("来电时间", "受理时间", "登记时间", "创建时间", "工单创建时间", "来电日期",
                                     "派单时间"), "date", required=True),
    Field("category", "诉求类型", ("诉求类型", "工单类型", "诉求类别", "来电类型", "诉求性质", "信访类别"), "enum",
          required=True, choices=CATEGORY_CHOICES,
          help="投诉、求助、咨询记为申诉求决类；建议、意见记为建议意见类；举报记为检举控告类"),
    Field("domain", "问题分类", ("问题分类", "诉求内容分类", "事项分类", "问题领域", "问题类别"), "enum",
          choices=DOMAIN_CHOICES, help="不填为“其他”"),
    Field("direction", "流转方向", ("流转方向", "转办方向", "流向", "转入转出"), "enum", choices=DIRECTION_CHOICES,
          help="转入：热线工单转为信访事项；转出：信访事项转给 12345 办理（须填写信访件编号）"),
    _text("petition_ref_no", "信访件编号", ("信访件编号", "关联信访件编号", "信访编号", "关联信访编号"), max_length=64),
    _text("petitioner_name", "来电人", ("来电人", "来电人姓名", "诉求人", "姓名", "联系人"), max_length=100),
    Field("petitioner_phone", "来电号码", ("来电号码", "联系电话", "电话", "联系方式", "手机号码"), "phone"),
    Field("petitioner_id_number", "身份证号", ("身份证号", "身份证号码", "证件号码"), "id_number"),
    Field("status", "工单状态", ("工单状态", "办理状态", "状态"), "enum", choices=HOTLINE_STATUS_CHOICES,
          help="不填时：有办结时间为已办结，否则为已受理"),
    Field("closed_on", "办结时间", ("办结时间", "办结日期", "回复时间"), "date"),
    Field("satisfaction", "满意度", ("满意度", "回访满意度", "评价结果", "回访结果", "满意度评价"), "enum",
          choices=SATISFACTION_CHOICES),
    Field("lodged_level", "受理层级", ("受理层级", "信访层级", "办理层级"), "enum", choices=LEVEL_CHOICES,
          help="不填为“市级”（12345 是市政府热线）"),
    Field("is_first", "是否初次来电", ("是否初次来电", "是否初信初访", "初重件"), "bool", choices=FIRST_OR_REPEAT,
          help="不填为“是”"),
    *LOCATION_FIELDS,
)

# --- vectorised parsers ---------------------------------------------------------------------------

Reasons = pd.Series  # object Series: a reason (str) or None per row


def no_reasons(index) -> Reasons:
    return pd.Series(None, index=index, dtype=object)


def clean(values: pd.Series) -> pd.Series:
    """Full-width digits and letters made half-width, outer spaces removed."""
    text = values.astype(object)
    wide = [not (isinstance(v, str) and v.isascii()) for v in text]  # ASCII has nothing to translate
    if any(wide):
        text = text.copy()
        text[wide] = text[wide].str.translate(FULL_WIDTH)
    return text.str.strip()


def _flag(reasons: Reasons, mask, message, values: pd.Series | None = None) -> None:
    """Where ``mask`` holds and no reason is set yet: ``message``, a string or a function of the row's value."""
    mask = pd.Series(mask, index=reasons.index).fillna(False).astype(bool) & reasons.isna()
    if mask.any():
        reasons[mask] = values[mask].map(message) if callable(message) else message


def parse_enum(values: pd.Series, spec: Field, header: str) -> tuple[pd.Series, Reasons]:
    text = clean(values)
    words = text.str.replace(r"\s+", "", regex=True).str.lower()
    parsed = words.map(spec.choices)
    reasons = no_reasons(values.index)
    bad = (text != "") & parsed.isna()
    accepted = spec.accepted_values()
    _flag(reasons, bad, lambda v: f"“{header}”的值“{v}”无法识别，应为：{accepted}", text)
    return parsed.where(text != "", None), reasons


SERIAL_RE = r"\d{5}(?:\.\d+)?"
COMPACT_RE = r"(?:19|20)\d{6}"
DATE_RE = (r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
           r"(?:[ T]*(?P<hour>\d{1,2})[:时](?P<minute>\d{1,2})(?:[:分](?P<second>\d{1,2})(?:\.\d+)?秒?)?分?)?$")


def parse_dates(values: pd.Series, header: str, today: date | None = None) -> tuple[pd.Series, Reasons]:
    """Dates as people type them: 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日, 20240305, Excel serials (45356),
    optionally with a time (14:30, 14:30:05, 14时30分). Returns naive local datetimes (NaT when empty)."""
    text = clean(values)
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    reasons = no_reasons(values.index)
    serial = text.str.fullmatch(SERIAL_RE)
    if serial.any():
        days = pd.to_numeric(text[serial])
        result[serial] = pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D").dt.round("s")
    compact = text.str.fullmatch(COMPACT_RE) & ~serial
    if compact.any():
        result[compact] = pd.to_datetime(text[compact], format="%Y%m%d", errors="coerce")
    rest = (text != "") & ~serial & ~compact
    if rest.any():
        normal = text[rest]
        for old, new in (("年", "-"), ("月", "-"), ("日", " "), ("号", " "), ("/", "-"), (".", "-")):
            normal = normal.str.replace(old, new, regex=False)
        normal = normal.str.strip()
        parts = normal.str.extract(DATE_RE)
        numbers = parts.apply(pd.to_numeric).fillna({"hour": 0, "minute": 0, "second": 0})
        result[rest] = pd.to_datetime(numbers, errors="coerce")
    bad = (text != "") & result.isna()
    _flag(reasons, bad, lambda v: f"“{header}”的值“{v}”不是有效的日期（可写 2024-03-05、2024/3/5 或 2024年3月5日）", text)
    latest = pd.Timestamp(today or date.today()) + pd.Timedelta(days=1)
    out_of_range = result.notna() & ((result < pd.Timestamp(EARLIEST)) | (result >= latest))
    _flag(reasons, out_of_range, lambda v: f"“{header}”的值“{v}”不在 {EARLIEST:%Y年}至今天之间，请核对", text)
    return result.where(reasons.isna()), reasons


def parse_bool(values: pd.Series, spec: Field, header: str) -> tuple[pd.Series, Reasons]:
    parsed, reasons = parse_enum(values, spec, header)
    return parsed.map({"true": True, "false": False}), reasons


def parse_int(values: pd.Series, spec: Field, header: str) -> tuple[pd.Series, Reasons]:
    text = clean(values).str.replace(",", "", regex=False)
    text = text.str.replace(r"\.0+$", "", regex=True).str.replace(r"[人户天日]$", "", regex=True)
    reasons = no_reasons(values.index)
    digits = text.str.fullmatch(r"-?\d{1,9}")
    numbers = pd.to_numeric(text.where(digits, None), errors="coerce")
    _flag(reasons, (text != "") & ~digits, lambda v: f"“{header}”的值“{v}”应为整数", text)
    low, high = spec.bounds or (-(2**31), 2**31 - 1)
    _flag(reasons, numbers.notna() & ((numbers < low) | (numbers > high)),
          lambda v: f"“{header}”的值 {v} 应在 {low}–{high} 之间", text)
    return numbers.where(reasons.isna()).astype("Int64"), reasons


def parse_number(values: pd.Series, header: str) -> tuple[pd.Series, Reasons]:
    text = clean(values).str.replace(",", "", regex=False).str.rstrip("°")
    numbers = pd.to_numeric(text.where(text != "", None), errors="coerce")
    reasons = no_reasons(values.index)
    _flag(reasons, (text != "") & numbers.isna(), lambda v: f"“{header}”的值“{v}”不是数字", text)
    return numbers, reasons


def parse_text(values: pd.Series, spec: Field, header: str) -> tuple[pd.Series, Reasons]:
    text = clean(values)
    reasons = no_reasons(values.index)
    if spec.max_length:
        _flag(reasons, text.str.len() > spec.max_length, f"“{header}”超过 {spec.max_length} 个字")
    if spec.pattern:
        _flag(reasons, (text != "") & ~text.str.fullmatch(spec.pattern),
              lambda v: f"“{header}”的值“{v}”格式不对：{spec.help or '应为 ' + spec.pattern}", text)
    return text.where(text != "", None), reasons


def parse_code(values: pd.Series, spec: Field, header: str) -> tuple[pd.Series, Reasons]:
    """Region codes in every form ``geo.areas.normal_code`` reads (a number from Excel, “.0”, full-width digits,
    spaces), then held to the field's pattern (a grid code of 15 digits, a village code of 12)."""
    reasons = no_reasons(values.index)
    codes = pd.Series(None, index=values.index, dtype=object)
    for i, value in values.items():
        try:
            code = normal_code(value)
        except InvalidInput as problem:
            reasons[i] = f"“{header}”：{problem}"
            continue
        if code is not None and not re.fullmatch(spec.pattern, code):
            reasons[i] = f"“{header}”的值“{str(value).strip()}”格式不对：{spec.help or '应为 ' + spec.pattern}"
        codes[i] = code
    return codes.where(reasons.isna(), None), reasons


NUMERIC_FORM = r"\d+(?:\.\d+)?[eE][+-]?\d+|\d+\.\d+|\d+\.0*"


def parse_id_numbers(values: pd.Series, numeric: pd.Series | None, header: str) -> tuple[pd.Series, Reasons]:
    """Resident ID numbers (GB 11643): 18 characters, check digit verified; numbers Excel mangled are refused."""
    text = clean(values).str.replace(r"[\s-]", "", regex=True).str.upper()
    reasons = no_reasons(values.index)
    present = text != ""
    as_number = present & (text.str.fullmatch(NUMERIC_FORM) | (numeric if numeric is not None else False))
    _flag(reasons, as_number,
          lambda v: f"“{header}”“{v if 'E' in v or '.' in v else mask_id_number(v)}”是数字格式：Excel 只保留 15 位有效数字，"
                    "18 位身份证号的后几位已丢失。请把该列设为“文本”格式后重新填写", text)
    _flag(reasons, present & text.str.fullmatch(r"\d{15}"), f"“{header}”是 15 位旧身份证号，请填写 18 位号码")
    shaped = text.str.fullmatch(r"[1-9]\d{16}[\dX]")
    _flag(reasons, present & ~shaped, lambda v: f"“{header}”“{mask_id_number(v)}”格式不对：应为 18 位（最后一位可为 X）", text)
    candidates = present & shaped & reasons.isna()
    if candidates.any():
        codes = np.array(text[candidates].tolist(), dtype="S18").view(np.uint8).reshape(-1, 18)
        expected = CHECK_CHARS[((codes[:, :17].astype(np.int64) - 48) * WEIGHTS).sum(axis=1) % 11]
        actual = codes[:, 17].view("S1").astype(str)
        wrong = pd.Series(expected != actual, index=text[candidates].index).reindex(text.index, fill_value=False)
        _flag(reasons, wrong, lambda v: f"“{header}”“{mask_id_number(v)}”校验位不符，请核对"
              + ("（末尾是 000，可能被 Excel 当作数字截断过）" if v.endswith("000") else ""), text)
    return text.where(present & reasons.isna(), None), reasons


def parse_phones(values: pd.Series, numeric: pd.Series | None, header: str) -> tuple[pd.Series, Reasons]:
    """Mobile (11 digits, 1…) or landline (0 + area code + number) numbers; several may not be given in one cell."""
    text = clean(values).str.replace(r"[\s()（）]", "", regex=True).str.replace(r"^\+?86-?", "", regex=True)
    reasons = no_reasons(values.index)
    present = text != ""
    mobile = text.str.fullmatch(r"1[3-9]\d{9}")
    landline = text.str.fullmatch(r"0\d{2,3}-?\d{7,8}(?:-\d{1,6})?")
    short = text.str.fullmatch(r"\d{5}")  # service numbers such as 12345
    numeric = numeric if numeric is not None else pd.Series(False, index=values.index)
    _flag(reasons, present & numeric & ~mobile,
          lambda v: f"“{header}”“{v}”是数字格式，开头的 0 或后几位可能已丢失：请把该列设为“文本”格式后重新填写", text)
    _flag(reasons, present & text.str.fullmatch(NUMERIC_FORM),
          lambda v: f"“{header}”“{v}”是数字格式（科学计数法），号码已丢失：请把该列设为“文本”格式后重新填写", text)
    _flag(reasons, present & ~(mobile | landline | short),
          lambda v: f"“{header}”“{mask_phone(v)}”不是有效的电话号码（手机 11 位，固话如 0376-6221234）", text)
    return text.where(present & reasons.isna(), None), reasons


MANY_SEPARATORS = r"[、，,；;/\n]+|\s+"
"""Between the values of a ``many`` cell: 、，, ；; / newlines and spaces (not “·”, which minority names use)."""


def split_many(values: pd.Series) -> pd.Series:
    """Each cell's values as a list (empty for an empty cell); a position keeps its place for pairing."""
    text = clean(values).fillna("")
    return text.map(lambda v: [p for p in re.split(MANY_SEPARATORS, v) if p] if v else [])


def known_headers(fields: tuple[Field, ...]) -> dict[str, str]:
    """Normalised header → field name (the label and every alias)."""
    table: dict[str, str] = {}
    for spec in fields:
        for name in spec.names():
            table.setdefault(name, spec.name)
    return table


def alias_table(fields: tuple[Field, ...]) -> list[tuple[str, str, str]]:
    """(template header, accepted headers, accepted values) per field, for documentation and the template."""
    rows = []
    for spec in fields:
        aliases = "、".join(dict.fromkeys(a for a in (spec.label, *spec.aliases)))
        rows.append((spec.label, aliases, spec.accepted_values() if spec.choices else spec.help))
    return rows

