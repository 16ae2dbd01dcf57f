"""Valid values for generated ledgers: people, ID numbers, phones, dates, and the words fengqiao accepts."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import numpy as np

from etl.identity import check_digits, is_valid_id_number
from etl.ledger_fields import (
    CATEGORY_CHOICES,
    CHANNEL_CHOICES,
    DISPUTE_STATUS_CHOICES,
    DOMAIN_CHOICES,
    FIRST_OR_REPEAT,
    HOTLINE_STATUS_CHOICES,
    LEVEL_CHOICES,
    PETITION_STATUS_CHOICES,
    RESOLUTION_CHOICES,
    RISK_CHOICES,
    SATISFACTION_CHOICES,
)

FIRST_DAY = date(2023, 1, 1)
LAST_DAY = date(2025, 3, 31)  # leaves room for a resolution date that is still in the past
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余杜叶程魏苏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红梅德福春林海峰文辉成云凤金荣新"
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                   "156", "157", "158", "159", "166", "171", "173", "175", "176", "177", "178", "180", "181",
                   "182", "183", "185", "186", "187", "188", "189", "191", "198", "199")
SUMMARIES = {
    "urban_rural_construction": ("因房屋拆迁补偿标准产生争议", "因道路施工影响出行引发纠纷", "因建房遮挡采光发生争执"),
    "labour_social_security": ("务工人员反映工程款被拖欠", "因工伤赔偿金额产生分歧", "因社保缴纳问题与单位发生争议"),
    "law_litigation": ("对法院执行进度有异议", "因判决履行问题产生矛盾"),
    "rural_agriculture": ("因土地承包经营权流转发生纠纷", "因灌溉用水分配产生矛盾", "因农机作业损坏庄稼引发纠纷"),
    "economic_management": ("因买卖合同货款结算发生纠纷", "因民间借贷逾期未还产生矛盾"),
    "natural_resources": ("因宅基地界址不清发生争执", "因山林权属产生争议", "因承包地边界发生纠纷"),
    "marriage_family": ("夫妻感情不和引发家庭矛盾", "因赡养老人问题兄弟发生争执", "因遗产继承产生纠纷"),
    "neighbourhood": ("因排水沟堵塞引发邻里纠纷", "因通行道路问题发生邻里矛盾", "因饲养家禽扰邻产生纠纷"),
    "other": ("因琐事发生口角", "因宠物伤人引发纠纷"),
}
UNKNOWN_DOMAIN_WORDS = ("扯皮类", "杂事", "待定", "综合类纠纷")
UNKNOWN_CATEGORY_WORDS = ("表扬", "感谢", "其他诉求类")
IMPOSSIBLE_DATES = ("2024年13月5日", "2024-02-30", "2024/14/01")


def words(choices: dict[str, str], value: str | None = None) -> list[str]:
    """The Chinese words of ``choices`` (optionally only those meaning ``value``), English codes left out."""
    return [w for w, v in choices.items() if not w.isascii() and (value is None or v == value)]


def canonical(choices: dict[str, str], word: str) -> str:
    return choices["".join(word.split()).lower()]


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def id_number(rng: random.Random, county_code: str) -> str:
    """An 18-digit resident ID (GB 11643) with a correct check digit, registered in ``county_code``."""
    born = date(1945, 1, 1) + timedelta(days=rng.randrange(60 * 365))
    first17 = f"{county_code}{born:%Y%m%d}{rng.randrange(1000):03d}"
    check = check_digits(np.array([[int(c) for c in first17]]))[0]
    return first17 + str(check)


def wrong_check_digit(valid: str) -> str:
    """The same ID with another check character, so the GB 11643 check fails."""
    options = [c for c in "0123456789X" if c != valid[-1]]
    wrong = valid[:-1] + options[int(valid[-2]) % len(options)]
    assert not is_valid_id_number(wrong)
    return wrong


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10 ** 8):08d}"


def moment(rng: random.Random, start: date = FIRST_DAY, end: date = LAST_DAY) -> datetime:
    """A time of day on a working hour, between ``start`` and ``end``."""
    day = start + timedelta(days=rng.randrange((end - start).days + 1))
    return datetime(day.year, day.month, day.day, rng.randrange(8, 18), rng.choice((0, 10, 15, 20, 30, 40, 45)))


def later(rng: random.Random, after: datetime, most_days: int = 90) -> datetime:
    return moment(rng, after.date() + timedelta(days=1), after.date() + timedelta(days=most_days))


DOMAIN_WORDS = words(DOMAIN_CHOICES)
RISK_WORDS = words(RISK_CHOICES)
CHANNEL_WORDS = words(RESOLUTION_CHOICES)
CATEGORY_WORDS = words(CATEGORY_CHOICES)
PETITION_CHANNEL_WORDS = words(CHANNEL_CHOICES)
LEVEL_WORDS = words(LEVEL_CHOICES)
SATISFACTION_WORDS = words(SATISFACTION_CHOICES)
FIRST_WORDS = words(FIRST_OR_REPEAT)
DISPUTE_STATUS = {v: words(DISPUTE_STATUS_CHOICES, v) for v in set(DISPUTE_STATUS_CHOICES.values())}
PETITION_STATUS = {v: words(PETITION_STATUS_CHOICES, v) for v in set(PETITION_STATUS_CHOICES.values())}
HOTLINE_STATUS = {v: words(HOTLINE_STATUS_CHOICES, v) for v in set(HOTLINE_STATUS_CHOICES.values())}
assert not any(w in DOMAIN_CHOICES for w in UNKNOWN_DOMAIN_WORDS)
assert not any(w in CATEGORY_CHOICES for w in UNKNOWN_CATEGORY_WORDS)
