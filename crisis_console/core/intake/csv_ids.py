"""Ids a spreadsheet has rounded, recognised so that they are refused rather than stored.

Excel keeps 15 significant digits and writes long numbers in scientific notation; pandas and
JavaScript hold numbers as doubles, exact only below 2**53 (16 digits). A post id of 18 or 19
digits that went through either comes out as `5.70306E+17` or `570306000000000000`: the same
value for thousands of different posts, each of which would then be stored as an edit of the
first. So:

- `unsafe_id` names what is wrong with one cell that can never be a whole id: scientific
  notation, a long number written with a fraction, or an Excel number past 2**53;
- `rounded_column` judges a column of long ids that are all plain digits: real ids end in
  zeros no more often than chance allows, rounded ones always do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SAFE_INTEGER = 2**53
# The chance, below which a column of ids all ending in zeros is taken for a rounded one.
ONE_IN_A_MILLION = 1e-6
HINT = (
    "a spreadsheet rounded these ids, so different posts would be stored as one: format the "
    "id column as text before exporting, or import the tool's original file"
)
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+")
# 2**53 has 16 digits; past 40 a number is no id at all (and too long to convert quickly).
_FRACTION = re.compile(r"(\d{16,40})[.,]\d+")
_LONG = re.compile(r"\d{16,40}")


def unsafe_id(cell: object) -> str | None:
    """Why `cell` cannot be a whole id as it stands, or None. A float is a number as a
    workbook stores it (a double); a workbook's date is no id, but not a rounded one."""
    if not isinstance(cell, str | float):
        return None
    if isinstance(cell, float):
        if abs(cell) >= SAFE_INTEGER:
            return (
                f"{cell:.14E} is an Excel number, exact only to 15 digits: the id it held is lost"
            )
        return None
    text = cell.strip()
    if _SCIENTIFIC.fullmatch(text):
        return f"'{text[:40]}' is in scientific notation: the id's last digits are lost"
    fraction = _FRACTION.fullmatch(text)
    if fraction and int(fraction[1]) >= SAFE_INTEGER:
        return f"'{text[:40]}' is a long number written with a fraction: it went through a float"
    return None


def rounded_column(cells: Iterable[str]) -> bool:
    """Whether `cells` are mostly long ids (plain digits, at least 2**53) that all end in
    zeros, so many that real ids would do so with a chance below one in a million."""
    filled = {c.strip() for c in cells if c.strip()}
    long = [t for t in filled if is_long(t)]
    if not long or len(long) * 2 < len(filled):
        return False  # a few odd ids among others are rows of their own, not a column
    chance = 1.0
    for text in long:
        zeros = len(text) - len(text.rstrip("0"))
        if zeros < max(1, len(text) - 15):  # a digit past Excel's fifteenth: not rounded
            return False
        # 5, not 10: a Snowflake id's low bits are often all zero, so it is even more often
        # than chance; only its factors of five are left to chance.
        chance *= 5.0**-zeros
    return chance < ONE_IN_A_MILLION


def is_long(text: str) -> bool:
    """Whether `text` is a whole number in digits past what a double holds exactly."""
    digits = text.strip()
    return bool(_LONG.fullmatch(digits)) and int(digits) >= SAFE_INTEGER
