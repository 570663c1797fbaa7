"""Reports, feedback's read side: aggregates, the national summary, comments and other needs.

Every role reads the same published figures (docs/disclosure.md), the region's own admin
included: an unsuppressed view of one's own region, set against the national one, would give
away another region's withheld figure. Free text stays with the admin of its region, and is
released only where it hides among at least five people."""

from __future__ import annotations

from services.feedback.domain.aggregates import ALL, ALL_TIME, OFFER_TYPES, REGIONS
from services.feedback.domain.disclosure import cell_naming, children_withheld, withheld_reason
from services.feedback.domain.figures import Figures, feedback_view
from services.feedback.store import aggregates, answers, projections
from shared.auth import Principal, Role
from shared.disclosure import BELOW_THRESHOLD, THRESHOLD
from shared.errors import NotFound, RuleViolation
from shared.paging import Page
from shared.unit import Unit


def own_region(principal: Principal, asked: str | None) -> str:
    """A regional admin's region: theirs when not named; another region is not found."""
    if asked not in (None, principal.region):
        raise NotFound("region_not_found", "no such region among yours", field="region")
    return principal.region


def national_summary(unit: Unit, period: str) -> dict:
    pattern = aggregates.pattern(unit.conn, period)
    figures, attendees = aggregates.table_figures(unit.conn, period), aggregates.table_attendees(unit.conn, period)

    def view(cell):
        return cell_view(cell, figures.get(cell), withheld_reason(pattern, cell), attendees.get(cell, 0))

    regions = [view((r, ALL, period)) for r in REGIONS]
    return {
        "period": period,
        "national": view((ALL, ALL, period)),
        "regions": regions,
        "offer_types": [view((ALL, t, period)) for t in OFFER_TYPES],
    }


def cell_view(cell: tuple, figures: Figures | None, withheld: str | None, attendees: int) -> dict:
    return cell_naming(cell) | {"id": None} | feedback_view(figures or Figures.empty("feedback"), withheld, attendees)


def aggregate(unit: Unit, query: dict) -> dict:
    scope, period = query["scope"], query["period"]
    if scope in ("session", "offer"):
        if period != ALL_TIME:
            raise RuleViolation(
                "period_not_available", "session and offer figures are for all time only", field="period"
            )
        return (session_figures if scope == "session" else offer_figures)(unit, _required(query, "id"))
    if scope == "national":
        return table_cell(unit, (ALL, ALL, period))
    offer_type = _required(query, "offer_type") if scope == "offer_type" else ALL
    if unit.principal.role == Role.REGIONAL_ADMIN:
        return table_cell(unit, (own_region(unit.principal, query.get("region")), offer_type, period))
    region = _required(query, "region") if scope == "region" else query.get("region") or ALL
    return table_cell(unit, (region, offer_type, period))


def _required(query: dict, name: str) -> str:
    if not query.get(name):
        raise RuleViolation("missing_filter", f"{name} is required for this scope", field=name)
    return query[name]


def table_cell(unit: Unit, cell: tuple) -> dict:
    """One cell of the published table."""
    figures = aggregates.cell_figures(unit.conn, cell)
    return cell_view(cell, figures, aggregates.withheld_of(unit.conn, cell), aggregates.cell_attendees(unit.conn, cell))


def offer_figures(unit: Unit, offer_id: str) -> dict:
    offer = projections.offer_row(unit.conn, offer_id)
    if offer is None or not unit.principal.in_region(offer["region"]):
        raise NotFound("offer_not_found", "no such offer", field="id")
    figures = aggregates.read_cell(unit.conn, "feedback", "offer", offer["region"], offer_id)
    withheld = offers_withheld(unit, offer).get(offer_id)
    view = feedback_view(figures, withheld, aggregates.attendees(unit.conn, "offer", offer["region"], offer_id))
    return {
        "scope": "offer",
        "region": offer["region"],
        "offer_type": offer["offer_type"],
        "id": offer_id,
        "period": ALL_TIME,
    } | view


def offers_withheld(unit: Unit, offer) -> dict:
    """Offers are parts of their (region, offer type) cell, suppressed against it and each other."""
    region, offer_type = offer["region"], offer["offer_type"]
    parent = aggregates.withheld_of(unit.conn, (region, offer_type, ALL_TIME))
    return children_withheld(aggregates.offer_respondents(unit.conn, region, offer_type), parent)


def session_figures(unit: Unit, session_id: str) -> dict:
    session = projections.session_row(unit.conn, session_id)
    if session is None or not unit.principal.in_region(session["region"]):
        raise NotFound("session_not_found", "no such session", field="id")
    region = session["region"]
    figures = aggregates.read_cell(unit.conn, "feedback", "session", region, session_id)
    withheld = sessions_withheld(unit, session).get(session_id)
    view = feedback_view(figures, withheld, aggregates.attendees(unit.conn, "session", region, session_id))
    return {
        "scope": "session",
        "region": region,
        "offer_type": session["offer_type"],
        "id": session_id,
        "period": ALL_TIME,
    } | view


def sessions_withheld(unit: Unit, session) -> dict:
    """Sessions are parts of their offer, suppressed against it and each other."""
    offer = projections.offer_row(unit.conn, session["offer_id"])
    parent = BELOW_THRESHOLD if offer is None else offers_withheld(unit, offer).get(offer["offer_id"])
    return children_withheld(aggregates.session_respondents(unit.conn, session["offer_id"]), parent)


def session_comments(unit: Unit, session_id: str, query: dict) -> Page:
    """A session's comments, for the admin of its region, once five or more have answered.
    Anonymous ones only while at least five attendees gave no named answer: otherwise the
    admin, who knows who attended and who signed, could narrow down the author."""
    session = projections.session_row(unit.conn, session_id)
    if session is None or not in_own_region(unit.principal, session["region"]):
        raise NotFound("session_not_found", "no such session")
    if aggregates.read_cell(unit.conn, "feedback", "session", session["region"], session_id).count < THRESHOLD:
        return Page.of([], 0, query)
    unnamed = aggregates.attendees(unit.conn, "session", session["region"], session_id) - answers.named_answers(
        unit.conn, session_id
    )
    rows, total = answers.comments(
        unit.conn, session_id, query["limit"], query["offset"], with_anonymous=unnamed >= THRESHOLD
    )
    return Page.of(rows, total, query)


def other_needs(unit: Unit, query: dict) -> Page:
    """Other needs named in the region's surveys, once five or more of the region answered;
    each names its PCN only where five or more of that PCN answered too."""
    region = unit.principal.region
    if aggregates.read_cell(unit.conn, "needs", "region", region, region).count < THRESHOLD:
        return Page.of([], 0, query)
    pcns = aggregates.read_figures(unit.conn, "needs", ("pcn",), region=region)
    named = {key for (_, _, key), figures in pcns.items() if figures.count >= THRESHOLD}
    rows, total = answers.other_needs(unit.conn, region, query["limit"], query["offset"])
    items = [{"pcn_code": row["pcn_code"] if row["pcn_code"] in named else None, "text": row["text"]} for row in rows]
    return Page.of(items, total, query)


def in_own_region(principal: Principal, region: str | None) -> bool:
    return principal.role == Role.REGIONAL_ADMIN and principal.region == region
