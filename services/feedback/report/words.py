"""How the report names things and writes numbers, so every page says them the same way."""

from __future__ import annotations

from services.feedback.domain.insight import MEASURE_NAMES
from shared.charts import WITHHELD
from shared.contracts.vocabulary import NATIONAL
from shared.regions import REGIONS

__all__ = ["WITHHELD", "MEASURE_NAMES", "region_name", "offer_type_name", "need_name", "listed", "share", "rating"]

OFFER_TYPE_NAMES = {
    "regional_programme": "regional programme",
    "pcn_team": "PCN team development",
    "action_learning_set": "action learning set",
    "coaching": "1:1 coaching",
}


def region_name(code: str | None) -> str:
    if code == NATIONAL:
        return "national offers"
    return "England" if code is None else f"{REGIONS.get(code, code)} ({code})"


def offer_type_name(code: str | None) -> str:
    return "all offers" if code is None else OFFER_TYPE_NAMES.get(code, code.replace("_", " "))


def need_name(code: str) -> str:
    return code.replace("_", " ")


def listed(words: list[str]) -> str:
    """["a", "b", "c"] -> "a, b and c"."""
    if len(words) < 2:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def share(value: float | None) -> str:
    return WITHHELD if value is None else f"{round(100 * value)} %"


def rating(value: float | None) -> str:
    return WITHHELD if value is None else f"{value:.2f}"


def p_value(value: float | None) -> str:
    if value is None:
        return "not computed"
    return "below 0.001" if value < 0.001 else f"{value:.3f}"
