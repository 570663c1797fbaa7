"""Read side of the surveys: development needs ranked per region (and whether they differ
between regions), and the before/after change of outcome measures."""
from __future__ import annotations

from dataclasses import asdict

from shared.api import Call
from shared.auth import Role
from services.feedback.store import aggregates
from services.feedback.disclosure import margin_relations, withhold
from services.feedback.domain import DEFAULT_THRESHOLD, needs_differ_between_regions, suppress
from services.feedback.figures import ALL, OFFER_TYPES, REGIONS, Figures, changes, merge_all, ranking

HIGH_FROM = 4  # the chi-square table counts ratings of 4 or 5 per need


def needs_ranking(call: Call) -> dict:
    if call.principal.role == Role.REGIONAL_ADMIN:
        return _regional_needs(call, call.principal.region)
    found = aggregates.read_figures(call.conn, "needs", ("region",))
    by_region = {r: found.get(("region", r, r)) or Figures.empty("needs") for r in REGIONS}
    release = suppress(by_region, DEFAULT_THRESHOLD)
    regions = [_needs_view(by_region[r], release.regions[r].reason, region=r) for r in REGIONS]
    national = _needs_view(merge_all("needs", by_region.values()), release.national.reason)
    # Only shown regions are tested: a statistic over a withheld region would rest on it.
    shown = {r: by_region[r].stats for r in REGIONS if not release.regions[r].suppressed}
    test = needs_differ_between_regions(shown, HIGH_FROM)
    chi_square = None if test is None else asdict(test) | {"high_from": HIGH_FROM}
    return {"scope": "national", "regions": regions, "national": national, "pcns": [], "chi_square": chi_square}


def _regional_needs(call: Call, region: str) -> dict:
    found = aggregates.read_figures(call.conn, "needs", ("region", "pcn"), region=region)
    own = _needs_view(found.get(("region", region, region)) or Figures.empty("needs"), None, region=region)
    pcns = [_needs_view(f, None, region=region, pcn_code=key) for (scope, _, key), f in sorted(found.items()) if scope == "pcn"]
    return {"scope": "region", "regions": [own], "national": None, "pcns": pcns, "chi_square": None}


def _needs_view(figures: Figures, withheld: str | None, *, region: str | None = None, pcn_code: str | None = None) -> dict:
    place = {"region": region, "pcn_code": pcn_code}
    if withheld:
        return place | {"suppressed": True, "reason": withheld, "respondents": None, "ranking": []}
    return place | {"suppressed": False, "reason": None, "respondents": figures.count, "ranking": [asdict(r) for r in ranking(figures)]}


def outcome_changes(call: Call) -> dict:
    """Change per (region, offer type) cell and its margins; suppressed outside the region."""
    regional = call.principal.role == Role.REGIONAL_ADMIN
    regions = (call.principal.region,) if regional else REGIONS
    found = aggregates.read_figures(call.conn, "outcomes", ("offer_type",), region=call.principal.region if regional else None)
    inner = {(region, offer_type): figures for (_, region, offer_type), figures in found.items()}
    # A regional admin's table has no all-regions row: it would repeat the region's own.
    places = [(r, t) for r in (regions if regional else (ALL, *regions)) for t in (ALL, *OFFER_TYPES)]
    cells = {place: _merged(inner, place) for place in places}
    relations = margin_relations([(ALL, regions), (ALL, OFFER_TYPES)])
    withheld = {} if regional else withhold({c: f.count for c, f in cells.items()}, relations, DEFAULT_THRESHOLD)
    return {"cells": [_outcome_view(place, cells[place], withheld.get(place)) for place in places]}


def _merged(inner: dict, cell: tuple) -> Figures:
    region, offer_type = cell
    parts = [f for (r, t), f in inner.items() if region in (ALL, r) and offer_type in (ALL, t)]
    return merge_all("outcomes", parts)


def _outcome_view(cell: tuple, figures: Figures, withheld: str | None) -> dict:
    region, offer_type = cell
    place = {"region": None if region == ALL else region, "offer_type": None if offer_type == ALL else offer_type}
    if withheld:
        return place | {"suppressed": True, "reason": withheld, "pairs": None, "measures": []}
    return place | {"suppressed": False, "reason": None, "pairs": figures.count, "measures": changes(figures)}
