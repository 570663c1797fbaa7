"""Reports, feedback's read side: aggregates, the national summary, needs rankings, outcome changes,
comments. A regional admin sees its own region as it is; every figure that leaves a region
(national team, integration clients, other regions' admins) is the suppressed one."""
from __future__ import annotations

from shared.api import Call, Page
from shared.auth import Principal, Role
from shared.errors import NotFound, RuleViolation
from services.feedback.store import aggregates, answers, projections
from services.feedback.disclosure import BELOW_THRESHOLD, withhold
from services.feedback.domain import DEFAULT_THRESHOLD
from services.feedback.figures import ALL, ALL_TIME, OFFER_TYPES, REGIONS, Figures, cell_naming, feedback_view
from services.feedback.usecases.publication import withheld_reason

_PARENT = ("*parent*",)  # the key of a parent total among its children's keys


def inside(principal: Principal, region: str | None) -> bool:
    """True when a figure of `region` stays inside the caller's region (shown unsuppressed)."""
    return principal.role == Role.REGIONAL_ADMIN and principal.region == region


def own_region(principal: Principal, asked: str | None) -> str:
    """A regional admin's region: theirs when not named; another region is not found."""
    if asked not in (None, principal.region):
        raise NotFound("region_not_found", "no such region among yours", field="region")
    return principal.region


def national_summary(call: Call, period: str) -> dict:
    pattern = aggregates.pattern(call.conn, period)
    figures, attendees = aggregates.table_figures(call.conn, period), aggregates.table_attendees(call.conn, period)

    def view(cell):
        return cell_view(cell, figures.get(cell), withheld_reason(pattern, cell), attendees.get(cell, 0))

    regions = [view((r, ALL, period)) for r in REGIONS]
    return {"period": period, "national": view((ALL, ALL, period)), "regions": regions, "offer_types": [view((ALL, t, period)) for t in OFFER_TYPES]}


def cell_view(cell: tuple, figures: Figures | None, withheld: str | None, attendees: int) -> dict:
    return cell_naming(cell) | {"id": None} | feedback_view(figures or Figures.empty("feedback"), withheld, attendees)


def aggregate(call: Call, query: dict) -> dict:
    scope, period = query["scope"], query["period"]
    if scope in ("session", "offer"):
        if period != ALL_TIME:
            raise RuleViolation("period_not_available", "session and offer figures are for all time only", field="period")
        return (session_figures if scope == "session" else offer_figures)(call, _required(query, "id"))
    if scope == "national":
        return table_cell(call, (ALL, ALL, period))
    offer_type = _required(query, "offer_type") if scope == "offer_type" else ALL
    if call.principal.role == Role.REGIONAL_ADMIN:
        return table_cell(call, (own_region(call.principal, query.get("region")), offer_type, period))
    region = _required(query, "region") if scope == "region" else query.get("region") or ALL
    return table_cell(call, (region, offer_type, period))


def _required(query: dict, name: str) -> str:
    if not query.get(name):
        raise RuleViolation("missing_filter", f"{name} is required for this scope", field=name)
    return query[name]


def table_cell(call: Call, cell: tuple) -> dict:
    """One cell of the published table; unsuppressed only inside the caller's own region."""
    figures = aggregates.cell_figures(call.conn, cell)
    withheld = None if inside(call.principal, cell[0]) else aggregates.withheld_of(call.conn, cell)
    return cell_view(cell, figures, withheld, aggregates.cell_attendees(call.conn, cell))


def offer_figures(call: Call, offer_id: str) -> dict:
    offer = projections.offer_row(call.conn, offer_id)
    if offer is None or not call.principal.in_region(offer["region"]):
        raise NotFound("offer_not_found", "no such offer", field="id")
    figures = aggregates.read_cell(call.conn, "feedback", "offer", offer["region"], offer_id)
    withheld = None if inside(call.principal, offer["region"]) else offers_withheld(call, offer).get(offer_id)
    view = feedback_view(figures, withheld, aggregates.attendees(call.conn, "offer", offer["region"], offer_id))
    return {"scope": "offer", "region": offer["region"], "offer_type": offer["offer_type"], "id": offer_id, "period": ALL_TIME} | view


def offers_withheld(call: Call, offer) -> dict:
    """Offers are parts of their (region, offer type) cell, suppressed against it and each other."""
    region, offer_type = offer["region"], offer["offer_type"]
    parent = aggregates.withheld_of(call.conn, (region, offer_type, ALL_TIME))
    return _children_withheld(aggregates.offer_respondents(call.conn, region, offer_type), parent)


def session_figures(call: Call, session_id: str) -> dict:
    session = projections.session_row(call.conn, session_id)
    if session is None or not call.principal.in_region(session["region"]):
        raise NotFound("session_not_found", "no such session", field="id")
    region = session["region"]
    figures = aggregates.read_cell(call.conn, "feedback", "session", region, session_id)
    withheld = None if inside(call.principal, region) else sessions_withheld(call, session).get(session_id)
    view = feedback_view(figures, withheld, aggregates.attendees(call.conn, "session", region, session_id))
    return {"scope": "session", "region": region, "offer_type": session["offer_type"], "id": session_id, "period": ALL_TIME} | view


def sessions_withheld(call: Call, session) -> dict:
    """Sessions are parts of their offer, suppressed against it and each other."""
    offer = projections.offer_row(call.conn, session["offer_id"])
    parent = BELOW_THRESHOLD if offer is None else offers_withheld(call, offer).get(offer["offer_id"])
    return _children_withheld(aggregates.session_respondents(call.conn, session["offer_id"]), parent)


def _children_withheld(counts: dict[str, int], parent_withheld: str | None) -> dict:
    forced = {_PARENT: parent_withheld} if parent_withheld else None
    return withhold(counts | {_PARENT: sum(counts.values())}, [(_PARENT, list(counts))], DEFAULT_THRESHOLD, forced)


def session_comments(call: Call, session_id: str, query: dict) -> Page:
    session = projections.session_row(call.conn, session_id)
    if session is None or not inside(call.principal, session["region"]):
        raise NotFound("session_not_found", "no such session")
    rows, total = answers.comments(call.conn, session_id, query["limit"], query["offset"])
    return Page(rows, total, query["limit"], query["offset"])


def other_needs(call: Call, query: dict) -> Page:
    rows, total = answers.other_needs(call.conn, call.principal.region, query["limit"], query["offset"])
    return Page(rows, total, query["limit"], query["offset"])
