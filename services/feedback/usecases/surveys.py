"""Read side of the surveys: development needs ranked per region (and PCN), whether needs differ
between regions, and the before/after change of outcome measures (coaching's also by goal types).

Every role reads the same published figures (docs/disclosure.md): a regional admin's view of
its own region is the national view cut down to that region, never a finer one, so no figure
it reads can be set against another to recover a withheld one.
"""

from __future__ import annotations

from dataclasses import asdict

from services.feedback.domain.aggregates import ALL, OFFER_TYPES, REGIONS
from services.feedback.domain.disclosure import (
    goal_cells_withheld,
    outcome_cells_withheld,
    pcns_withheld,
    regions_withheld,
)
from services.feedback.domain.figures import Figures, changes_view, merge_all, ranking_view
from services.feedback.domain.goals import GOAL_PARTS, NOT_SET, SPLIT_OFFER_TYPE, goal_types_of
from services.feedback.domain.needs import needs_differ_between_regions
from services.feedback.store import aggregates
from shared.auth import Role
from shared.disclosure import SMALL_NUMBERS, shown_count, shown_ratio
from shared.unit import Unit

HIGH_FROM = 4  # the chi-square table counts ratings of 4 or 5 per need


def needs_ranking(unit: Unit) -> dict:
    by_region = needs_by_region(unit)
    withheld, national_withheld = regions_withheld({r: f.count for r, f in by_region.items()})
    if unit.principal.role == Role.REGIONAL_ADMIN:
        region = unit.principal.region
        own = _needs_view(by_region[region], withheld.get(region), region=region)
        return {
            "scope": "region",
            "regions": [own],
            "national": None,
            "pcns": _pcn_views(unit, region, withheld.get(region)),
            "chi_square": None,
        }
    regions = [_needs_view(by_region[r], withheld.get(r), region=r) for r in REGIONS]
    national = _needs_view(merge_all("needs", by_region.values()), national_withheld)
    # Only shown regions are tested: a statistic over a withheld region would rest on it.
    shown = {r: by_region[r].stats for r in REGIONS if r not in withheld}
    test = needs_differ_between_regions(shown, HIGH_FROM)
    return {
        "scope": "national",
        "regions": regions,
        "national": national,
        "pcns": [],
        "chi_square": _chi_square_view(test),
    }


def needs_by_region(unit: Unit) -> dict[str, Figures]:
    found = aggregates.read_figures(unit.conn, "needs", ("region",))
    return {r: found.get(("region", r, r)) or Figures.empty("needs") for r in REGIONS}


def _pcn_figures(unit: Unit, region: str) -> dict[str, Figures]:
    found = aggregates.read_figures(unit.conn, "needs", ("pcn",), region=region)
    return {key: figures for (_, _, key), figures in sorted(found.items())}


def pcn_figures_withheld(unit: Unit, region: str, region_withheld: str | None) -> dict[str, tuple[Figures, str | None]]:
    """{pcn code: (its needs figures, why withheld or None)}: a region's PCNs, settled against it."""
    pcns = _pcn_figures(unit, region)
    region_count = aggregates.read_cell(unit.conn, "needs", "region", region, region).count
    withheld = pcns_withheld(region, region_count, {code: f.count for code, f in pcns.items()}, region_withheld)
    return {code: (f, withheld[code]) for code, f in pcns.items()}


def _pcn_views(unit: Unit, region: str, region_withheld: str | None) -> list[dict]:
    pcns = pcn_figures_withheld(unit, region, region_withheld)
    return [_needs_view(f, reason, region=region, pcn_code=code) for code, (f, reason) in pcns.items()]


def _needs_view(
    figures: Figures, withheld: str | None, *, region: str | None = None, pcn_code: str | None = None
) -> dict:
    place = {"region": region, "pcn_code": pcn_code}
    if withheld:
        return place | {"suppressed": True, "reason": SMALL_NUMBERS, "respondents": None, "ranking": []}
    return place | {
        "suppressed": False,
        "reason": None,
        "respondents": shown_count(figures.count),
        "ranking": ranking_view(figures),
    }


def _chi_square_view(test) -> dict | None:
    if test is None:
        return None
    published = asdict(test) | {"high_from": HIGH_FROM, "n": shown_count(test.n)}
    return published | {k: shown_ratio(published[k]) for k in ("statistic", "cramers_v")}


def outcome_changes(unit: Unit) -> dict:
    """Change per (region, offer type) cell and its margins, suppressed alike for every role; a
    regional admin reads the rows of its own region."""
    cells, withheld = outcome_table(unit)
    places = list(cells)
    if unit.principal.role == Role.REGIONAL_ADMIN:
        places = [(r, t) for r, t in places if r == unit.principal.region]
    return {"cells": [_outcome_view(place, cells[place], withheld.get(place)) for place in places]}


def outcome_changes_by_goal_type(unit: Unit) -> dict:
    """Coaching's change split by the coachees' combinations of goal types (domain/goals.py),
    per region and nationally, settled against the outcome table's coaching cells
    (`goal_cells_withheld`), alike for every role; a regional admin reads its own region's."""
    cells, withheld = outcome_table(unit)
    found = aggregates.read_figures(unit.conn, "outcomes", ("goals",))
    inner = {(region, combination): figures for (_, region, combination), figures in found.items()}
    rows = (ALL, *REGIONS)
    split = {(r, c): _merged(inner, (r, c)) for r in rows for c in GOAL_PARTS}
    coaching = {r: cells[(r, SPLIT_OFFER_TYPE)] for r in rows}
    split_withheld = goal_cells_withheld(
        {place: f.count for place, f in split.items()},
        {r: f.count for r, f in coaching.items()},
        {r: withheld.get((r, SPLIT_OFFER_TYPE)) for r in rows},
    )
    if unit.principal.role == Role.REGIONAL_ADMIN:
        rows = (unit.principal.region,)
    return {"cells": [_goal_view(r, c, split[(r, c)], split_withheld.get((r, c))) for r in rows for c in GOAL_PARTS]}


def _goal_view(region: str, combination: str, figures: Figures, withheld: str | None) -> dict:
    view = _outcome_view((region, SPLIT_OFFER_TYPE), figures, withheld)
    del view["offer_type"]
    return view | {"goal_types": goal_types_of(combination), "goals_set": combination != NOT_SET}


def outcome_table(unit: Unit) -> tuple[dict, dict]:
    """The outcome table's cells, (region | all, offer type | all), and its settled pattern."""
    found = aggregates.read_figures(unit.conn, "outcomes", ("offer_type",))
    inner = {(region, offer_type): figures for (_, region, offer_type), figures in found.items()}
    cells = {(r, t): _merged(inner, (r, t)) for r in (ALL, *REGIONS) for t in (ALL, *OFFER_TYPES)}
    return cells, outcome_cells_withheld({c: f.count for c, f in cells.items()})


def _merged(inner: dict, cell: tuple) -> Figures:
    """A cell of a (region, column) table with margins, merged from its innermost rows."""
    region, column = cell
    parts = [f for (r, c), f in inner.items() if region in (ALL, r) and column in (ALL, c)]
    return merge_all("outcomes", parts)


def _outcome_view(cell: tuple, figures: Figures, withheld: str | None) -> dict:
    region, offer_type = cell
    place = {"region": None if region == ALL else region, "offer_type": None if offer_type == ALL else offer_type}
    if withheld:
        return place | {"suppressed": True, "reason": SMALL_NUMBERS, "pairs": None, "measures": []}
    return place | {
        "suppressed": False,
        "reason": None,
        "pairs": shown_count(figures.count),
        "measures": changes_view(figures),
    }
