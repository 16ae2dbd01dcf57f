"""What a boundary import found and did: sentences for the user, and one outcome per feature read.

Every feature of the file ends in exactly one outcome: 导入 (accepted as it was), 导入（有提示） (accepted,
with a note: repaired, parts dropped, matched by name although a code was given, overlapping a sibling) or
拒收 (refused, with the reason), so that loaded + warned + refused = read. In a dry run the outcome is what
the import would do. ``report_workbook`` writes that table and the findings as an .xlsx.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from openpyxl import Workbook

from etl.boundary_relink import Relinked
from etl.ledger_reports import text_cell
from geo.areas import LEVEL_LABELS

LOADED, WARNED, REFUSED = "导入", "导入（有提示）", "拒收"
BY_CODE, BY_NAME = "代码", "名称"
FEATURE_HEADERS = ("要素序号", "代码（原文）", "名称", "匹配到", "匹配方式", "结果", "说明")


@dataclass
class FeatureOutcome:
    """One feature of the file: as read, what it matched and how, and what became of it."""

    feature: int
    code: str | None
    name: str | None
    unit: str | None = None
    matched_by: str | None = None
    outcome: str = LOADED
    notes: list[str] = field(default_factory=list)

    def refuse(self, sentence: str) -> None:
        self.outcome = REFUSED
        self.notes.append(sentence)

    def warn(self, sentence: str) -> None:
        """A note on a feature that is still accepted (unless it is refused, now or later)."""
        if self.outcome != REFUSED:
            self.outcome = WARNED
        self.notes.append(sentence)


@dataclass
class BoundaryReport:
    """Everything an import of boundaries found and did, each item a sentence for the user."""

    file: str
    level: str
    tolerance: float
    dry_run: bool = True
    repaired: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    overlaps: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    features: dict[int, FeatureOutcome] = field(default_factory=dict)
    matched: int = 0
    written: int = 0
    created: int = 0
    history: int = 0
    reshaped: dict[str, int] = field(default_factory=dict)
    cleared: list[str] = field(default_factory=list)
    relinked: dict[str, int] = field(default_factory=dict)
    unplaced: dict[str, int] = field(default_factory=dict)
    batch_id: int | None = None

    @property
    def refusals(self) -> list[str]:
        return self.refused + self.ambiguous + self.outside

    def refuse(self, feature: int, sentence: str, into: list[str] | None = None) -> None:
        """Refuse a feature: the sentence goes to ``into`` (``refused`` by default) and to the feature's notes."""
        (self.refused if into is None else into).append(sentence)
        self.features[feature].refuse(sentence)

    def warn(self, feature: int, sentence: str) -> None:
        self.features[feature].warn(sentence)

    def tally(self) -> dict[str, int]:
        """Features read and how many ended in each outcome (loaded + warned + refused = read)."""
        outcomes = [f.outcome for f in self.features.values()]
        return {"read": len(outcomes), "loaded": outcomes.count(LOADED), "warned": outcomes.count(WARNED),
                "refused": outcomes.count(REFUSED),
                "by_code": sum(f.matched_by == BY_CODE and f.outcome != REFUSED for f in self.features.values()),
                "by_name": sum(f.matched_by == BY_NAME and f.outcome != REFUSED for f in self.features.values())}

    def summary(self) -> str:
        label = LEVEL_LABELS[self.level]
        t = self.tally()
        head = (f"{label}边界“{self.file}”：读取 {t['read']} 个要素，匹配 {self.matched} 个（按代码 {t['by_code']}、"
                f"按名称 {t['by_name']}），修复 {len(self.repaired)} 个，拒收 {len(self.refusals)} 个，重叠 "
                f"{len(self.overlaps)} 处，缝隙 {len(self.gaps)} 处")
        if self.dry_run:
            return head + "（预检，未写入）。"
        reshaped = "，".join(f"{LEVEL_LABELS[k]} {v} 个" for k, v in self.reshaped.items() if v)
        return (head + f"；已写入 {self.written} 个（新建网格 {self.created} 个），旧边界存入历史 {self.history} 个"
                + (f"；示意边界随之调整：{reshaped}" if reshaped else "")
                + (f"；{len(self.cleared)} 个示意单元已不在新边界内，清除其边界" if self.cleared else "")
                + "；" + self.relink_sentence() + "。")

    def relink_sentence(self) -> str:
        return Relinked(self.relinked, self.unplaced).sentence()

    def hints(self) -> list[str]:
        """Notes on accepted features not already listed as a repair or an overlap (fallbacks, dropped parts)."""
        listed = set(self.repaired) | set(self.overlaps)
        return [n for f in sorted(self.features.values(), key=lambda f: f.feature) if f.outcome == WARNED
                for n in f.notes if n not in listed]

    def lines(self) -> list[str]:
        sections = [("已修复", self.repaired), ("提示", self.hints()), ("拒收", self.refusals),
                    ("重叠（超过容差）", self.overlaps), ("缝隙（超过容差）", self.gaps), ("说明", self.notes)]
        return [f"{title}：{item}" for title, items in sections for item in items]


def report_workbook(report: BoundaryReport) -> bytes:
    """The report as an .xlsx: sheet 要素 (one row per feature read) and sheet 检查结果 (the findings)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("要素")
    sheet.append([text_cell(sheet, h, bold=True) for h in FEATURE_HEADERS])
    for f in sorted(report.features.values(), key=lambda f: f.feature):
        sheet.append([f.feature] + [text_cell(sheet, v) for v in
                                    (f.code, f.name, f.unit, f.matched_by, f.outcome, "；".join(f.notes))])
    findings = book.create_sheet("检查结果")
    findings.append([text_cell(findings, report.summary(), bold=True)])
    for line in report.lines():
        findings.append([text_cell(findings, line)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
