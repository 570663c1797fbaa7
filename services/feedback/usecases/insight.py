"""The commissioners' insight, feedback's read side: what have we learned so far.

Every role reads the same published figures (docs/disclosure.md): the quarter table is settled
once for everyone, and the filters only choose which of its cells to show, so no filter can
be set against another to uncover a cell. A regional administrator sees their own region beside
the national figure; the national team and services every region."""

from __future__ import annotations

from services.feedback.domain.aggregates import ALL, OFFER_TYPES, REGIONS
from services.feedback.domain.differences import chi_square_view, joint_needs, needs_groups, needs_profile, offers_for
from services.feedback.domain.disclosure import quarter_cells_withheld, regions_withheld, withheld_reason
from services.feedback.domain.figures import Figures
from services.feedback.domain.insight import (
    UNDATED,
    by_quarter,
    compared_over,
    dated_cells_withheld,
    findings,
    quarter_of,
    quarter_of_day,
    quarter_view,
    quarters_between,
)
from services.feedback.domain.needs import needs_differ_between_regions
from services.feedback.domain.outcomes import changes_of, quarter_changes_view
from services.feedback.store import aggregates, answers
from services.feedback.usecases import surveys
from services.feedback.usecases.reports import own_region
from shared.auth import Role
from shared.errors import RuleViolation
from shared.unit import Unit


def learned(unit: Unit, query: dict) -> dict:
    if query.get("start") and query.get("end") and query["start"] > query["end"]:
        raise RuleViolation("period_out_of_order", "the last quarter is before the first", field="to")
    conn = unit.conn
    withheld = quarter_cells_withheld(aggregates.table_counts(conn), aggregates.pattern(conn), quarter_of)
    figures = by_quarter(aggregates.monthly_table_figures(conn))
    quarters = quarters_between((q for _, _, q in withheld), query.get("start"), query.get("end"))
    offer_type = query.get("offer_type") or ALL
    if unit.principal.role == Role.REGIONAL_ADMIN:
        regions = [own_region(unit.principal, query.get("region"))]
    else:
        regions = [query["region"]] if query.get("region") else list(REGIONS)

    def row(region: str) -> dict:
        return {
            "region": None if region == ALL else region,
            "offer_type": None if offer_type == ALL else offer_type,
            "quarters": [
                quarter_view(
                    q, figures.get((region, offer_type, q)), withheld_reason(withheld, (region, offer_type, q))
                )
                for q in quarters
            ],
        }

    national = (ALL, offer_type)
    parts = [(r, offer_type) for r in regions]
    if offer_type == ALL:
        focus = regions[0] if len(regions) == 1 else ALL
        parts += [(focus, t) for t in OFFER_TYPES]
    shown = {cell for cell, reason in withheld.items() if reason is None}
    period = f"{quarters[0]} to {quarters[-1]}" if len(quarters) > 1 else (quarters[0] if quarters else "")
    compared = compared_over([p for p in parts if p != national], national, quarters, figures, shown)
    return {
        "region": query.get("region"),
        "offer_type": query.get("offer_type"),
        "start": query.get("start"),
        "end": query.get("end"),
        "quarters": quarters,
        "national": row(ALL),
        "regions": [row(r) for r in regions],
        "outcomes": outcomes_by_quarter(unit, regions, offer_type, query.get("start"), query.get("end")),
    } | findings(compared, period)


def outcomes_by_quarter(unit: Unit, regions: list[str], offer_type: str, start: str | None, end: str | None) -> dict:
    """Each outcome measure's mean change by quarter of the "after" answer, nationally and for the
    regions shown, with 95 % intervals. The quarter cells are settled once, for every role,
    against the outcome table as published (`surveys.outcome_table`); the filters only choose
    cells. The pairs are read from the answers: the stored outcome rows are all time and keep
    before and after apart, so neither a quarter nor a change's spread is there (pairs are few)."""
    pairs: dict[tuple, list] = {}
    for region, kind, given_on, before, after in answers.dated_outcome_pairs(unit.conn):
        pairs.setdefault((region, kind, quarter_of_day(given_on) or UNDATED), []).append((before, after))
    table, table_withheld = surveys.outcome_table(unit)
    published = {cell: table_withheld.get(cell) for cell in table}
    counts = {cell: len(found) for cell, found in pairs.items()}
    withheld = dated_cells_withheld(counts, [(ALL, REGIONS), (ALL, OFFER_TYPES)], published)
    quarters = quarters_between((q for *_, q in withheld), start, end)

    def row(region: str) -> list[dict]:
        views = []
        for q in quarters:
            cell = (region, offer_type, q)
            found = [
                p
                for (r, t, pq), ps in pairs.items()
                if region in (ALL, r) and offer_type in (ALL, t) and pq == q
                for p in ps
            ]
            views.append(quarter_changes_view(q, changes_of(found), withheld_reason(withheld, cell)))
        return views

    return {"national": row(ALL), "regions": [{"region": r, "quarters": row(r)} for r in regions]}


def differences(unit: Unit, query: dict) -> dict:
    """Do needs differ between regions and PCNs, and which offers meet them: from the needs the
    ranking publishes, settled as it settles them (`surveys.needs_ranking`). The national team
    and services read every region's PCNs (or one region's, `region`); a regional administrator
    their own region's PCNs and, as in the ranking, no test across regions."""
    by_region = surveys.needs_by_region(unit)
    withheld, _ = regions_withheld({r: f.count for r, f in by_region.items()})
    if unit.principal.role == Role.REGIONAL_ADMIN:
        regions, between_regions = [own_region(unit.principal, query.get("region"))], None
    else:
        regions = [query["region"]] if query.get("region") else list(REGIONS)
        shown = {r: by_region[r].stats for r in REGIONS if r not in withheld}
        between_regions = needs_differ_between_regions(shown, surveys.HIGH_FROM)
    pcns: dict[str, dict] = {}
    region_of: dict[str, str] = {}
    for region in regions:
        for code, (figures, reason) in surveys.pcn_figures_withheld(unit, region, withheld.get(region)).items():
            if reason is None:
                pcns[code], region_of[code] = Figures.of("needs", figures.stats).stats, region
    between_pcns = needs_differ_between_regions(pcns, surveys.HIGH_FROM)
    profiles = {code: needs_profile(stats) for code, stats in pcns.items()}
    joint = joint_needs(profiles)
    return {
        "scope": "region" if unit.principal.role == Role.REGIONAL_ADMIN else "national",
        "region": regions[0] if len(regions) == 1 else None,
        "regions": chi_square_view(between_regions, "regions"),
        "pcns": chi_square_view(between_pcns, "PCNs"),
        "groups": needs_groups(profiles, region_of),
        "joint_needs": joint,
        "joint_offer_types": offers_for(joint),
    }
