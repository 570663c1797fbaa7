"""Calendar quarters as the report names them ("2026-Q3"): checking one, the quarters before it,
and its dates in words."""

from __future__ import annotations

import re
from calendar import month_name, monthrange

QUARTER_PATTERN = re.compile(r"(\d{4})-Q([1-4])")


def is_quarter(text: str | None) -> bool:
    return bool(text and QUARTER_PATTERN.fullmatch(text))


def quarters_back(quarter: str, count: int) -> str:
    """The quarter `count` quarters before `quarter`: quarters_back("2026-Q1", 1) == "2025-Q4"."""
    year, number = _parts(quarter)
    index = year * 4 + number - 1 - count
    return f"{index // 4}-Q{index % 4 + 1}"


def quarter_span(quarter: str) -> str:
    """ "2026-Q3" -> "1 July to 30 September 2026"."""
    year, number = _parts(quarter)
    first, last = 3 * number - 2, 3 * number
    return f"1 {month_name[first]} to {monthrange(year, last)[1]} {month_name[last]} {year}"


def _parts(quarter: str) -> tuple[int, int]:
    match = QUARTER_PATTERN.fullmatch(quarter)
    if match is None:
        raise ValueError(f"not a quarter: {quarter!r}")
    return int(match.group(1)), int(match.group(2))
