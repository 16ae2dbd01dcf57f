"""Resident ID numbers (GB 11643-1999): the check digit, vectorised for generated data too."""

from __future__ import annotations

import re

import numpy as np

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
CHECK_CHARS = np.array(list("10X98765432"))
ID_PATTERN = re.compile(r"^[1-9]\d{16}[\dX]$")


def check_digits(first17: np.ndarray) -> np.ndarray:
    """Check characters for an (n, 17) array of digits."""
    return CHECK_CHARS[(first17 * WEIGHTS).sum(axis=1) % 11]


def is_valid_id_number(value: str) -> bool:
    value = value.strip().upper()
    if not ID_PATTERN.match(value):
        return False
    digits = np.array([int(c) for c in value[:17]])[None, :]
    return check_digits(digits)[0] == value[17]
