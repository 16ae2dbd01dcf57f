"""The statutory clock of the 2022 《信访工作条例》: what is due when, and what is overdue.

The day counts live here and nowhere else; other modules (and any SQL) take them from these constants.

Day counting: calendar days, following 《中华人民共和国民法典》第二百零一条 (the day a period starts is not
counted; it runs from the next day). So a period of N days that starts on day D ends on D + N days, and
an act done on that end day is on time; it is overdue from the next day (``done > due``, or, while not
done, ``today > due``). The rule of 第二百零三条 that moves an end day falling on a statutory holiday to
the next working day is NOT applied: there is no holiday calendar here, so around holidays a deadline
may be flagged a day or a few days early.

Verification of the article numbers (searched in stored public copies, not the official gazette):
- 第二十二条第一款 and 第二十三条第三款 (15 days) were read, with their numbers, on 深圳市福田区信访局's FAQ
  pages (szft.gov.cn) and in a reprint of the 2022 text (第二十二条 in full).
- 第三十四条 (60 days, extension of at most 30 days with the approval of the unit's head) could NOT be
  verified against a text carrying the number: its wording was confirmed (攀枝花市信访局, "依据《信访工作条例》"),
  the number only by a third-party code repository and by recollection. The 2005 《信访条例》 had it as
  第三十三条: check before citing outside this project.
- 第三十五条 (复查, 30 days) and 第三十六条 (复核, 30 days) could NOT be verified either: the 2022 wording was
  confirmed (复核: 广东省信访局 FAQ), the numbers come from the same repository and recollection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from numbers import Integral

from geo.errors import InvalidInput

ACCEPTANCE_DAYS = 15
HANDLING_DAYS = 60
MAX_EXTENSION_DAYS = 30
REVIEW_DAYS = 30
RE_REVIEW_DAYS = 30

REGULATION = "《信访工作条例》"


@dataclass(frozen=True)
class Rule:
    """One statutory period: its key, Chinese label, length in days, the article it comes from, a note."""

    key: str
    label: str
    days: int
    article: str
    note: str


RULES: dict[str, Rule] = {
    # Verified (szft.gov.cn FAQs). The 2022 text has no literal "决定是否受理" clause as the 2005 条例 had:
    # 信访部门 must register and route a matter within 15 days (第二十二条第一款), and the body it is sent to
    # must tell the petitioner in writing, within 15 days of receiving it, that it took it and how it will
    # be handled (第二十三条第三款). This project reads both as the 15-day acceptance decision.
    "acceptance": Rule(
        "acceptance", "受理告知期限", ACCEPTANCE_DAYS, f"{REGULATION}第二十二条第一款、第二十三条第三款",
        "自收到信访事项之日起15日内登记处理并书面告知信访人；本系统以此作为受理（或不予受理）决定的期限。",
    ),
    # Number NOT verified (wording verified): see the module docstring.
    "handling": Rule(
        "handling", "办理期限", HANDLING_DAYS, f"{REGULATION}第三十四条",
        "自受理之日起60日内办结；情况复杂的，经本机关、单位负责人批准，可以适当延长，但延长期限不得超过30日，"
        "并告知信访人延期理由。",
    ),
    # Same article as "handling": number NOT verified.
    "extension": Rule(
        "extension", "延长办理期限上限", MAX_EXTENSION_DAYS, f"{REGULATION}第三十四条",
        "延长须经本机关、单位负责人批准并告知信访人；本系统按记录的延长天数（0–30日）顺延办理期限。",
    ),
    # Number NOT verified (wording verified): see the module docstring.
    "review": Rule(
        "review", "复查期限", REVIEW_DAYS, f"{REGULATION}第三十五条",
        "信访人可自收到书面答复之日起30日内请求复查；复查机关、单位应自收到复查请求之日起30日内提出复查意见。",
    ),
    # Number NOT verified (wording verified, 广东省信访局): see the module docstring.
    "re_review": Rule(
        "re_review", "复核期限", RE_REVIEW_DAYS, f"{REGULATION}第三十六条",
        "信访人可自收到复查意见之日起30日内请求复核；复核机关、单位应自收到复核请求之日起30日内提出复核意见，听证时间不计入。",
    ),
}

DAY_COUNTING = (
    "按日历日计算，起算当日不计入（《中华人民共和国民法典》第二百零一条）：期限届满日 = 起算日 + 期限天数，"
    "当日办理不算超期；未按第二百零三条将法定节假日顺延。"
)


def acceptance_due(received_on: date) -> date:
    """Last day for the acceptance decision: ``received_on`` + 15 days."""
    return received_on + timedelta(days=ACCEPTANCE_DAYS)


def handling_due(accepted_on: date, extension_days: int = 0) -> date:
    """Last day to close a matter: ``accepted_on`` + 60 days + the recorded extension (0–30 days)."""
    if isinstance(extension_days, bool) or not isinstance(extension_days, Integral) \
            or not 0 <= extension_days <= MAX_EXTENSION_DAYS:
        raise InvalidInput(
            f"延长办理期限“{extension_days}”无效：应为 0 至 {MAX_EXTENSION_DAYS} 之间的整数天数"
            f"（{RULES['extension'].article}）。"
        )
    return accepted_on + timedelta(days=HANDLING_DAYS + int(extension_days))


def _by(day: date | None, today: date) -> date | None:
    """The day if it had happened by ``today``, else None."""
    return day if day is not None and day <= today else None


def clock(received_on: date, accepted_on: date | None, extension_days: int, closed_on: date | None,
          today: date) -> dict:
    """A petition's deadlines and whether each is missed, as things stood on ``today``.

    Dates after ``today`` count as not yet happened, so a past day gives the state of that day. The
    acceptance decision is ``accepted_on``; a petition closed without one (不予受理, or closed at once) was
    decided on ``closed_on``. Returns ``acceptance_due``, ``handling_due`` (None until accepted),
    ``acceptance_overdue`` (decided after the due day, or undecided and ``today`` past it),
    ``handling_overdue`` (closed after the due day, or open and ``today`` past it) and ``days_left``:
    days from ``today`` to the next open deadline (negative when missed; None when nothing is open).
    """
    accepted = _by(accepted_on, today)
    closed = _by(closed_on, today)
    decided = accepted or closed
    accept_due = acceptance_due(received_on)
    handle_due = handling_due(accepted, extension_days) if accepted else None
    if decided is None:
        days_left = (accept_due - today).days
    elif handle_due is not None and closed is None:
        days_left = (handle_due - today).days
    else:
        days_left = None
    return {
        "acceptance_due": accept_due,
        "handling_due": handle_due,
        "acceptance_overdue": decided > accept_due if decided else today > accept_due,
        "handling_overdue": handle_due is not None and ((closed or today) > handle_due),
        "days_left": days_left,
    }
