"""The commissioners' insight: which development needs are emerging, nationally and per region.

The quarter cells are settled once, for every role, against the needs ranking as it publishes
its all-time cells (`surveys.needs_ranking`); the filters and the role only choose which settled
cells are shown, so no view can be set against another to uncover a cell. A regional
administrator reads their own region; the national team and services the nation and every
region (or one region, `region`)."""

from __future__ import annotations

import json

from services.feedback.domain.aggregates import ALL, REGIONS
from services.feedback.domain.disclosure import regions_withheld, withheld_reason
from services.feedback.domain.emerging_needs import emerging, need_trends, needs_by_quarter, quarter_ranking, trend_view
from services.feedback.domain.figures import Figures, merge_all
from services.feedback.domain.insight import UNDATED, dated_cells_withheld, quarters_between
from services.feedback.store import answers
from services.feedback.usecases import surveys
from services.feedback.usecases.reports import own_region
from shared.auth import Role
from shared.disclosure import SMALL_NUMBERS
from shared.errors import RuleViolation
from shared.unit import Unit


def emerging_needs(unit: Unit, query: dict) -> dict:
    if query.get("start") and query.get("end") and query["start"] > query["end"]:
        raise RuleViolation("period_out_of_order", "the last quarter is before the first", field="to")
    cells, withheld = settled_quarters(unit)
    quarters = quarters_between((q for _, q in withheld), query.get("start"), query.get("end"))
    if unit.principal.role == Role.REGIONAL_ADMIN:
        scope = own_region(unit.principal, query.get("region"))
    else:
        scope = query.get("region") or ALL

    def shown(row: str) -> dict[str, Figures]:
        return {q: cells[(row, q)] for q in quarters if withheld.get((row, q), SMALL_NUMBERS) is None}

    trends = need_trends(quarters, shown(scope), surveys.HIGH_FROM)
    regions = []
    if scope == ALL:
        for region in REGIONS:
            of_region = shown(region)
            regions.append(
                {
                    "region": region,
                    "emerging": emerging(need_trends(quarters, of_region, surveys.HIGH_FROM)) if of_region else [],
                    "suppressed": not of_region,
                    "reason": None if of_region else SMALL_NUMBERS,
                }
            )
    return {
        "scope": "national" if scope == ALL else "region",
        "region": None if scope == ALL else scope,
        "quarters": quarters,
        "ranking": [
            quarter_ranking(q, cells.get((scope, q)), withheld_reason(withheld, (scope, q)), surveys.HIGH_FROM)
            for q in quarters
        ],
        "trends": [trend_view(t) for t in trends],
        "emerging": emerging(trends),
        "regions": regions,
    }


def settled_quarters(unit: Unit) -> tuple[dict[tuple, Figures], dict[tuple, str | None]]:
    """({(region | ALL, quarter): needs Figures}, {(region | ALL, quarter): reason or None}): the
    needs answers by quarter, settled against the ranking's published all-time cells."""
    found = needs_by_quarter(
        (row.region, row.quarter, json.loads(row.ratings), row.answers) for row in answers.needs_by_quarter(unit.conn)
    )
    by_region = surveys.needs_by_region(unit)
    region_withheld, national_withheld = regions_withheld({r: f.count for r, f in by_region.items()})
    published = {(r,): region_withheld.get(r) for r in REGIONS} | {(ALL,): national_withheld}
    withheld = dated_cells_withheld({cell: f.count for cell, f in found.items()}, [(ALL, REGIONS)], published)
    cells = dict(found)
    for quarter in {q for _, q in found if q != UNDATED}:
        cells[(ALL, quarter)] = merge_all("needs", (f for (_, q), f in found.items() if q == quarter))
    return cells, withheld
