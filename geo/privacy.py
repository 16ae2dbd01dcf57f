"""Masking of personal data (names, ID numbers, phone numbers): the default everywhere it is shown."""

from __future__ import annotations


def mask_name(name: str | None) -> str:
    """Keep the surname: 张三丰 → 张**."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)


def mask_id_number(value: str | None) -> str:
    """Keep the region code and the last four characters: 411502********123X."""
    if not value:
        return ""
    return value[:6] + "*" * max(len(value) - 10, 0) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_phone(value: str | None) -> str:
    """Keep the first three and last four digits: 138****5678."""
    if not value:
        return ""
    return value[:3] + "*" * max(len(value) - 7, 0) + value[-4:] if len(value) > 7 else "*" * len(value)
