"""Region codes and names: levels, normal forms, parents, scope prefixes, name keys. The one owner of these rules.

Codes are GB/T 2260 (6 digits: ``XXXX00`` a prefecture-level city, else a county-level unit), the 12-digit
statistical codes below them (a township ends in ``000``, a village does not) and 15-digit grid cell codes,
which extend their village's code. Files also write townships in 9 digits (GB/T 10114, as natural-resources
and 三调 data do), codes as numbers (Excel) or with a trailing ``.0``, in full-width digits or with spaces:
``normal_code`` turns every such form into the one stored form (county 6, township and village 12, grid 15).
"""

from __future__ import annotations

import math
import re
import unicodedata
from numbers import Integral, Real

from geo.errors import InvalidInput

CITY_CODE = "411500"
LEVEL_LABELS = {"city": "市", "county": "县区", "township": "乡镇（街道）", "village": "村（社区）", "grid": "网格"}
TOWNSHIP_CODE = re.compile(r"\d{9}000")
"""A township's 12-digit statistical code."""
AREA_COLUMNS = {"county": "county_code", "township": "township_code"}
"""The column of a record (household, member, grid cell) holding the code of its area of this level."""
CODE_LENGTHS = (6, 9, 12, 15)
_DECIMAL_ZEROS = re.compile(r"(\d+)\.0*")
_SCIENTIFIC = re.compile(r"\d+(?:\.\d+)?[eE][+-]?\d+")
_NOT_SHOWN = 20
NAME_SUFFIXES = {
    "county": ("县", "区", "市"),
    "township": ("人民政府", "政府", "街道办事处", "办事处", "街道", "镇", "乡"),
    "village": ("村民委员会", "居民委员会", "居民居委会", "民居委员会", "村民委会", "居民委会", "委员会", "村委会", "居委会", "社区", "村"),
}
"""Suffixes ``name_key`` strips, longest first within a level (township and village when no level is given)."""
COMMUNITY_SUFFIXES = ("居民委员会", "居民居委会", "居委会", "社区")
VILLAGE_SUFFIXES = ("村民委员会", "村民委会", "村委会", "村")
OFFICE_WORDS = ("人民政府", "政府", "办事处")
"""What a township's name is followed by when it names its government (郭家河乡人民政府, 老城街道办事处)."""


def normal_code(value) -> str | None:
    """The stored form of a region code written in any of its forms; None when ``value`` is blank.

    Accepts ints and integral floats (Excel), text with a trailing ``.0``, full-width digits and spaces;
    a 9-digit township code gets its ``000``, and a county written as 9 or 12 digits (``411523000000``)
    becomes its 6 digits. Anything else raises ``InvalidInput`` saying what was read.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidInput(f"“{value}”不是区划代码")
    if isinstance(value, Integral):
        text = str(int(value))
    elif isinstance(value, Real):
        number = float(value)
        if math.isnan(number):
            return None
        if not (math.isfinite(number) and number.is_integer() and 0 <= number < 1e16):
            raise InvalidInput(f"“{value}”不是区划代码（应为 6、9、12 或 15 位数字）")
        text = str(int(number))
    else:
        text = "".join(unicodedata.normalize("NFKC", str(value)).split())
        if not text:
            return None
        if _SCIENTIFIC.fullmatch(text):
            raise InvalidInput(f"“{text}”是科学计数法：Excel 已把代码当作数字并可能丢了末几位，请把该列设为“文本”后重新填写")
        decimal = _DECIMAL_ZEROS.fullmatch(text)
        if decimal:
            text = decimal.group(1)
    if not (text.isascii() and text.isdigit() and len(text) in CODE_LENGTHS):
        shown = text if len(text) <= _NOT_SHOWN else text[:_NOT_SHOWN] + "…"
        raise InvalidInput(f"“{shown}”不是区划代码（应为 6 位县区、9 或 12 位乡镇（街道）、12 位村（社区）或 15 位网格代码）")
    if len(text) == 9:
        text += "000"
    if len(text) == 12 and text.endswith("000000"):
        text = text[:6]
    return text


def level_of(code) -> str | None:
    """``city``, ``county``, ``township``, ``village`` or ``grid`` for a code in stored form; None otherwise."""
    if not (isinstance(code, str) and code.isascii() and code.isdigit()):
        return None
    if len(code) == 6:
        return "city" if code.endswith("00") else "county"
    if len(code) == 12:
        return "township" if code.endswith("000") else "village"
    return "grid" if len(code) == 15 else None


def parent_code(code: str) -> str | None:
    """The code of the unit one level up (a grid cell's village, a village's township …); None above a county."""
    level = level_of(code)
    if level == "grid":
        return code[:12]
    if level == "village":
        return township_of(code)
    if level == "township":
        return code[:6]
    if level == "county":
        return code[:4] + "00"
    return None


def ancestors(code: str) -> list[str]:
    """``code`` and every unit above it, up to its city."""
    chain = []
    while code is not None:
        chain.append(code)
        code = parent_code(code)
    return chain


def county_of(code: str) -> str:
    """The county (6 digits) a county, township, village or grid code lies in."""
    return code[:6]


def township_of(code: str) -> str:
    """The township (12 digits) a township, village or grid code lies in."""
    return code[:9] + "000"


def scope_prefix(area: str) -> str:
    """The code prefix of everything inside an area: '' (city), a county's 6 digits, a township's 9,
    a village's 12, a grid cell's 15. Raises ``InvalidInput`` for what is not an area code."""
    level = "city" if area == "" else level_of(area)
    if level is None:
        raise InvalidInput(f"区域代码“{area}”无效：请选择全市、一个县区（6位代码）或一个乡镇（12位代码）。")
    return {"city": "", "county": area, "township": area[:9]}.get(level, area)


def area_column(code) -> str | None:
    """The column (``AREA_COLUMNS``) selecting a county's or a township's records; None for other codes."""
    return AREA_COLUMNS.get(level_of(code))


def area_kind(area: str) -> str:
    """``city``, ``county`` or ``township`` for an area of Xinyang ('' is the city); raises ``InvalidInput`` otherwise."""
    level = "city" if area == "" else level_of(area)
    inside = isinstance(area, str) and area.startswith(CITY_CODE[:4])
    if (level == "city" and area in ("", CITY_CODE)) or (level in ("county", "township") and inside):
        return level
    raise InvalidInput(f"区域代码“{area}”无效：请选择全市、一个县区（6位代码）或一个乡镇（12位代码）。")


def clean_name(name) -> str:
    """A name as compared: full-width forms made half-width (NFKC), every space removed."""
    return "".join(unicodedata.normalize("NFKC", str(name)).split())


def name_key(name, level: str | None = None) -> str:
    """A name without its administrative suffixes (``NAME_SUFFIXES``), so 义阳社区居民委员会, 义阳社区 and 义阳
    compare equal; at least two characters are always kept (东乡 stays 东乡)."""
    key = clean_name(name)
    suffixes = NAME_SUFFIXES[level] if level else NAME_SUFFIXES["township"] + NAME_SUFFIXES["village"]
    stripped = True
    while stripped:
        stripped = False
        for suffix in suffixes:
            if key.endswith(suffix) and len(key) > len(suffix) + 1:
                key, stripped = key[: -len(suffix)], True
                break
    return key


def village_kind(name) -> str | None:
    """``社区`` or ``村`` as a village's name says by its suffix (义阳社区居委会, 程庄村委会); None when it says neither."""
    key = clean_name(name)
    if key.endswith(COMMUNITY_SUFFIXES):
        return "社区"
    if key.endswith(VILLAGE_SUFFIXES):
        return "村"
    return None


def without_parent(name, parent, level: str = "township") -> str:
    """``name`` without its parent's name written in front: 郭家河乡人民政府塆店村委会 → 塆店村委会 for the
    township 郭家河乡 (also written 郭家河, 郭家河人民政府). Kept whole when nothing of two characters would remain."""
    text, whole, core = clean_name(name), clean_name(parent), name_key(parent, level)
    heads = {whole, core, *(core + s for s in NAME_SUFFIXES[level])}
    for head in sorted({h + w for h in heads for w in ("", *OFFICE_WORDS)}, key=len, reverse=True):
        if text.startswith(head) and len(text) - len(head) >= 2:
            return text[len(head):]
    return text
