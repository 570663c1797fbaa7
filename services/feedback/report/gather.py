"""The report from live data: each question's use case called directly (no HTTP) as its endpoint
calls it, its answer passed through that endpoint's response schema, so the report shows exactly
the figures the endpoint publishes, and then laid out as pages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from services.feedback import schemas as s
from services.feedback.report import document, pages
from services.feedback.report.period import quarters_back
from services.feedback.report.words import region_name
from services.feedback.usecases import conditions as group_conditions
from services.feedback.usecases import insight, insight_needs
from services.feedback.usecases.reports import own_region
from shared.auth import Role
from shared.clock import utcnow
from shared.unit import Unit

TREND_QUARTERS = 4  # the quarter and the three before it: "this year and next" needs a year of trend


def learned(unit: Unit, quarter: str, region: str | None) -> dict:
    answer = insight.learned(unit, {"region": region, "start": quarter, "end": quarter})
    return s.LearnedSchema().dump(answer)


def differences(unit: Unit, quarter: str, region: str | None) -> dict:
    return s.DifferencesSchema().dump(insight.differences(unit, {"region": region}))


def needs(unit: Unit, quarter: str, region: str | None) -> dict:
    start = quarters_back(quarter, TREND_QUARTERS - 1)
    answer = insight_needs.emerging_needs(unit, {"region": region, "start": start, "end": quarter})
    return s.EmergingNeedsSchema().dump(answer)


def conditions(unit: Unit, quarter: str, region: str | None) -> dict:
    return s.ConditionsSchema().dump(group_conditions.conditions(unit, {"region": region}))


SOURCES: Mapping[str, Callable[[Unit, str, str | None], dict | None]] = {
    "learned": learned,
    "needs": needs,
    "differences": differences,
    "conditions": conditions,
}


def scope_of(unit: Unit, region: str | None) -> str | None:
    """The region the report is about (None: England): a regional administrator's own region
    whether named or not, another region is not found, as on the insight endpoints."""
    if unit.principal.role == Role.REGIONAL_ADMIN:
        return own_region(unit.principal, region)
    return region


def file_name(quarter: str, region: str | None) -> str:
    return f"convene-insight-{region or 'national'}-{quarter}.pdf"


def report(
    unit: Unit,
    quarter: str,
    region: str | None,
    *,
    sources: Mapping[str, Callable] = SOURCES,
    now: Callable[[], datetime] = utcnow,
) -> tuple[bytes, str]:
    """The PDF and its file name. `quarter` must already be a valid "YYYY-Qn"."""
    region = scope_of(unit, region)
    found = {name: source(unit, quarter, region) for name, source in sources.items()}
    title = f"Convene commissioners' report, {quarter}, {region_name(region)}"
    built = document.pdf(
        [
            pages.cover(quarter, region, now()),
            pages.learned_page(found.get("learned"), quarter),
            pages.needs_page(found.get("needs"), quarter),
            pages.differences_page(found.get("differences")),
            pages.conditions_page(found.get("conditions"), quarter),
        ],
        title=title,
        subject="What the leadership-development programme tells commissioners: four questions answered from live data",
    )
    return built, file_name(quarter, region)
