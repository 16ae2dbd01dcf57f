"""Generated personal data (names, ID numbers, mobile numbers): fake, but shaped like the real thing."""

from __future__ import annotations

import numpy as np

from etl.identity import check_digits

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华玉兰红梅志强文斌海燕春梅德明金凤永红建军小红桂兰秀珍淑珍光荣国庆")
MOBILE_PREFIXES = np.array(["130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                            "156", "157", "158", "159", "176", "177", "180", "181", "182", "183", "185", "186",
                            "187", "188", "189", "191", "199"])


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    surname = rng.choice(SURNAMES, n)
    first = rng.choice(GIVEN, n)
    second = rng.choice(GIVEN + [""] * 20, n)
    return np.char.add(np.char.add(surname, first), second)


def id_numbers(rng: np.random.Generator, county_codes: np.ndarray, birth_years: tuple[int, int] = (1940, 2000)) -> np.ndarray:
    """18-digit resident ID numbers with a valid check digit, registered in the given counties."""
    n = len(county_codes)
    days = rng.integers(0, (birth_years[1] - birth_years[0]) * 365, n)
    births = (np.datetime64(f"{birth_years[0]}-01-01") + days.astype("timedelta64[D]")).astype(str)
    births = np.char.replace(births, "-", "")
    sequence = np.char.zfill(rng.integers(0, 1000, n).astype(str), 3)
    first17 = np.char.add(np.char.add(county_codes.astype(str), births), sequence)
    digits = np.frombuffer(first17.astype("S17").tobytes(), dtype=np.uint8).reshape(n, 17).astype(np.int64) - 48
    return np.char.add(first17, check_digits(digits))


def mobile_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    prefix = rng.choice(MOBILE_PREFIXES, n)
    return np.char.add(prefix, np.char.zfill(rng.integers(0, 100_000_000, n).astype(str), 8))
