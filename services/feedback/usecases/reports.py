"""Reports, feedback's read side: aggregates, the national summary, comments and other needs.

Every role reads the same published figures (docs/disclosure.md), the region's own admin
included: an unsuppressed view of one's own region, set against the national one, would give
away another region's withheld figure. Free text stays with the admin of its region, and is
released only where it hides among at least five people."""
from __future__ import annotations

from shared.api import Call, Page
from shared.auth import Principal, Role
from shared.errors import NotFound, RuleViolation
from services.feedback.store import aggregates, answers, projections
from shared.disclosure import BELOW_THRESHOLD, THRESHOLD, withhold
from services.feedback.figures import ALL, ALL_TIME, OFFER_TYPES, REGIONS, Figures, cell_naming, feedback_view
from services.feedback.usecases.publication import withheld_reason

_PARENT = ("*parent*",)  # the key of a parent total among its children's keys


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
    """One cell of the published table."""
    figures = aggregates.cell_figures(call.conn, cell)
    return cell_view(cell, figures, aggregates.withheld_of(call.conn, cell), aggregates.cell_attendees(call.conn, cell))


def offer_figures(call: Call, offer_id: str) -> dict:
    offer = projections.offer_row(call.conn, offer_id)
    if offer is None or not call.principal.in_region(offer["region"]):
        raise NotFound("offer_not_found", "no such offer", field="id")
    figures = aggregates.read_cell(call.conn, "feedback", "offer", offer["region"], offer_id)
    withheld = offers_withheld(call, offer).get(offer_id)
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
    withheld = sessions_withheld(call, session).get(session_id)
    view = feedback_view(figures, withheld, aggregates.attendees(call.conn, "session", region, session_id))
    return {"scope": "session", "region": region, "offer_type": session["offer_type"], "id": session_id, "period": ALL_TIME} | view


def sessions_withheld(call: Call, session) -> dict:
    """Sessions are parts of their offer, suppressed against it and each other."""
    offer = projections.offer_row(call.conn, session["offer_id"])
    parent = BELOW_THRESHOLD if offer is None else offers_withheld(call, offer).get(offer["offer_id"])
    return _children_withheld(aggregates.session_respondents(call.conn, session["offer_id"]), parent)


def _children_withheld(counts: dict[str, int], parent_withheld: str | None) -> dict:
    forced = {_PARENT: parent_withheld} if parent_withheld else None
    return withhold(counts | {_PARENT: sum(counts.values())}, [(_PARENT, list(counts))], THRESHOLD, forced)


def session_comments(call: Call, session_id: str, query: dict) -> Page:
    """A session's comments, for the admin of its region, once five or more have answered.
    Anonymous ones only while at least five attendees gave no named answer: otherwise the
    admin, who knows who attended and who signed, could narrow down the author."""
    session = projections.session_row(call.conn, session_id)
    if session is None or not in_own_region(call.principal, session["region"]):
        raise NotFound("session_not_found", "no such session")
    if aggregates.read_cell(call.conn, "feedback", "session", session["region"], session_id).count < THRESHOLD:
        return Page([], 0, query["limit"], query["offset"])
    unnamed = aggregates.attendees(call.conn, "session", session["region"], session_id) - answers.named_answers(call.conn, session_id)
    rows, total = answers.comments(call.conn, session_id, query["limit"], query["offset"], with_anonymous=unnamed >= THRESHOLD)
    return Page(rows, total, query["limit"], query["offset"])


def other_needs(call: Call, query: dict) -> Page:
    """Other needs named in the region's surveys, once five or more of the region answered;
    each names its PCN only where five or more of that PCN answered too."""
    region = call.principal.region
    if aggregates.read_cell(call.conn, "needs", "region", region, region).count < THRESHOLD:
        return Page([], 0, query["limit"], query["offset"])
    pcns = aggregates.read_figures(call.conn, "needs", ("pcn",), region=region)
    named = {key for (_, _, key), figures in pcns.items() if figures.count >= THRESHOLD}
    rows, total = answers.other_needs(call.conn, region, query["limit"], query["offset"])
    items = [{"pcn_code": row["pcn_code"] if row["pcn_code"] in named else None, "text": row["text"]} for row in rows]
    return Page(items, total, query["limit"], query["offset"])


def in_own_region(principal: Principal, region: str | None) -> bool:
    return principal.role == Role.REGIONAL_ADMIN and principal.region == region
