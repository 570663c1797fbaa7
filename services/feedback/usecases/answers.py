"""Answers: session feedback, needs surveys, outcome measures. Each adds its figures to the
running aggregates in the transaction that stores it."""
from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from shared.api import Call
from shared.clock import as_utc, utcnow
from shared.contracts.feedback import NEEDS_REPORTED
from shared.errors import NotFound
from services.feedback.store import aggregates, answers, needs_answered, participants, projections
from services.feedback.domain import (
    FEEDBACK_MEASURES,
    OUTCOME_MEASURES,
    AggregateKey,
    SessionInfo,
    accept_feedback,
    accept_outcome,
    aggregate_keys,
    feedback_already_given,
    needs_already_answered,
    needs_marker,
    needs_pcn,
    needs_round,
    response_marker,
    validate_needs_survey,
)
from services.feedback.figures import ALL_TIME, Figures
from services.feedback.settings import marker_pepper
from services.feedback.usecases import publication

UK = ZoneInfo("Europe/London")  # months are UK calendar months
MEMBERS = ("confirmed", "completed")


def known_session(call: Call, session_id: str):
    row = projections.session_row(call.conn, session_id)
    if row is None or not call.principal.in_region(row["region"]):
        raise NotFound("session_not_found", "no such session")
    return row


def session_info(row) -> SessionInfo:
    """What the domain needs of a session; `ends_at` in UK time so months are UK months."""
    return SessionInfo(row["session_id"], row["offer_id"], row["offer_type"], row["region"], as_utc(row["ends_at"]).astimezone(UK), row["status"] == "cancelled")


def give_feedback(call: Call, session_id: str, body: dict) -> dict:
    conn, participant = call.conn, call.principal.subject
    aggregates.lock_pattern(conn)
    row = projections.session_row(conn, session_id)
    present = row is not None and projections.was_present(conn, session_id, participant)
    # Another region's session does not exist for someone who was not there (no existence leak).
    if row is None or row["offer_type"] is None or not (present or call.principal.in_region(row["region"])):
        raise NotFound("session_not_found", "no such session")
    session, pepper = session_info(row), marker_pepper(call.runtime.settings)
    accepted = accept_feedback(
        session,
        participant,
        body,
        present={participant} if present else set(),
        responded=answers.existing_markers(conn, [response_marker(pepper, session_id, participant)]),
        pepper=pepper,
        now=utcnow(),
        window=timedelta(days=call.runtime.settings.feedback_window_days),
    )
    if not answers.add_marker(conn, accepted.marker):
        raise feedback_already_given()
    answers.add_feedback(conn, accepted.record)
    scores = {m: body[m] for m in FEEDBACK_MEASURES}
    aggregates.add_figures(conn, "feedback", [(key, Figures.answer("feedback", scores)) for key in aggregate_keys(session)])
    # No per-answer event: one answer's scores, keyed by a session whose attendance events name
    # who was there, would single out an anonymous answer. The summary stream carries figures.
    publication.settle(conn, call.runtime.outbox, publication.touched_cells(session))
    return {"session_id": session_id, "anonymous": accepted.record.anonymous}


def answer_needs(call: Call, body: dict) -> dict:
    """One person's needs answer, once per round (`needs_rules`), stored with nothing that
    links it to them: no id or date on the row, a has-answered marker apart from it, and a
    receipt and event that do not point at the row."""
    conn, participant = call.conn, call.principal.subject
    survey = validate_needs_survey(body["ratings"], body.get("other_needs"))
    region, offer_id = call.principal.region, body.get("offer_id")
    if offer_id is not None and projections.member_status(conn, offer_id, participant) not in MEMBERS:
        raise NotFound("offer_not_found", "no such offer among yours", field="offer_id")
    pcn = needs_pcn(body.get("pcn_code"), region=region, registered=participants.registered(conn, participant))
    round_ = needs_round(region, offer_id, utcnow().astimezone(UK).date())
    if not needs_answered.add_marker(conn, round_, needs_marker(marker_pepper(call.runtime.settings), round_, participant)):
        raise needs_already_answered()
    answers.add_needs(conn, region, pcn, offer_id, survey.ratings, survey.other_needs)
    aggregates.add_figures(conn, "needs", [(key, Figures.answer("needs", survey.ratings)) for key in needs_keys(region, pcn)])
    if offer_id is not None:
        # For the cohort's co-design in scheduling, which waits for five answers. A fresh id,
        # not the stored row's, and no PCN: a PCN's few answers must not leave one by one.
        call.record(NEEDS_REPORTED, {"response_id": str(uuid.uuid4()), "region": region, "pcn_code": None, "offer_id": offer_id, "ratings": survey.ratings})
    return {"region": region, "pcn_code": pcn, "offer_id": offer_id}


def needs_keys(region: str, pcn: str | None) -> list[AggregateKey]:
    return [AggregateKey("region", region, region, ALL_TIME)] + ([AggregateKey("pcn", region, pcn, ALL_TIME)] if pcn else [])


def give_outcome(call: Call, body: dict) -> dict:
    conn, participant, offer_id, phase = call.conn, call.principal.subject, body["offer_id"], body["phase"]
    offer = projections.offer_row(conn, offer_id)
    if offer is None or projections.member_status(conn, offer_id, participant) not in MEMBERS:
        raise NotFound("offer_not_found", "no such offer among yours", field="offer_id")
    already = answers.outcome_scores(conn, participant, offer_id, phase) is not None
    accepted = accept_outcome(phase, body["scores"], already_given=already)
    answers.add_outcome(conn, participant, offer_id, phase, accepted.scores, utcnow().date())
    other = answers.outcome_scores(conn, participant, offer_id, "after" if phase == "before" else "before")
    if other is not None:
        _add_pair(conn, offer, *((accepted.scores, other) if phase == "before" else (other, accepted.scores)))
    return {"offer_id": offer_id, "phase": phase, "paired": other is not None}


def _add_pair(conn: Connection, offer, before: dict, after: dict) -> None:
    """The second answer of a pair counts the pair: change is within-person."""
    aggregates.add_figures(conn, "outcomes", [(outcome_key(offer), pair_figures(before, after))])


def outcome_key(offer) -> AggregateKey:
    return AggregateKey("offer_type", offer["region"], offer["offer_type"], ALL_TIME)


def pair_figures(before: dict, after: dict) -> Figures:
    values = {f"{m}.before": before[m] for m in OUTCOME_MEASURES} | {f"{m}.after": after[m] for m in OUTCOME_MEASURES}
    return Figures.answer("outcomes", values)
