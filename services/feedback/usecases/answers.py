"""Answers: session feedback, needs surveys, outcome measures. Each adds what it counts to
the running aggregates in the transaction that stores it."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from services.feedback.domain.aggregates import feedback_counted, month_of, needs_counted, outcome_counted
from services.feedback.domain.feedback import (
    FEEDBACK_MEASURES,
    accept_feedback,
    feedback_already_given,
    response_marker,
)
from services.feedback.domain.figures import Figures
from services.feedback.domain.insight import quarter_of
from services.feedback.domain.needs import (
    cohort_voice,
    needs_marker,
    needs_pcn,
    needs_round,
    repeat_replaces,
    validate_needs_survey,
    voice_holder,
)
from services.feedback.domain.outcomes import accept_outcome, check_phase_allowed
from services.feedback.settings import marker_pepper
from services.feedback.store import aggregates, answers, goals, needs_answered, needs_voices, participants, projections
from services.feedback.usecases import publication
from shared.clock import utcnow
from shared.contracts.feedback import NEEDS_REPORTED
from shared.errors import NotFound
from shared.unit import Unit

UK = ZoneInfo("Europe/London")  # a needs round's quarter is a UK quarter
MEMBERS = ("confirmed", "completed")


def known_session(unit: Unit, session_id: str):
    row = projections.session_row(unit.conn, session_id)
    if row is None or not unit.principal.in_region(row["region"]):
        raise NotFound("session_not_found", "no such session")
    return row


def give_feedback(unit: Unit, session_id: str, body: dict) -> dict:
    conn, participant = unit.conn, unit.principal.subject
    session = projections.session(conn, session_id)
    present = session is not None and projections.was_present(conn, session_id, participant)
    # Another region's session does not exist for someone who was not there (no existence leak).
    if session is None or session.offer_type is None or not (present or unit.principal.in_region(session.region)):
        raise NotFound("session_not_found", "no such session")
    pepper = marker_pepper(unit.settings)
    accepted = accept_feedback(
        session,
        participant,
        body,
        present={participant} if present else set(),
        responded=answers.existing_markers(conn, [response_marker(pepper, session_id, participant)]),
        pepper=pepper,
        now=utcnow(),
        window=timedelta(days=unit.settings.feedback_window_days),
    )
    if not answers.add_marker(conn, accepted.marker):
        raise feedback_already_given()
    answers.add_feedback(conn, accepted.record)
    counted = feedback_counted(session, Figures.answer("feedback", {m: body[m] for m in FEEDBACK_MEASURES}))
    aggregates.add(conn, counted)
    # No per-answer event: one answer's scores, keyed by a session whose attendance events name
    # who was there, would single out an anonymous answer. The summary stream carries figures.
    publication.settle(unit, counted.cells)
    return {"session_id": session_id, "anonymous": accepted.record.anonymous}


def answer_needs(unit: Unit, body: dict) -> dict:
    """One person's needs answer, one voice per round (domain.needs), stored with nothing that
    links it to them: no id or date on the row, a has-answered marker apart from it, and a
    receipt that does not point at the row. A cohort member's answer is published for
    co-design under their stable pseudonym for the offer, so a later one replaces it there;
    feedback's own figures keep their first answer of the round."""
    conn, participant = unit.conn, unit.principal.subject
    survey = validate_needs_survey(body["ratings"], body.get("other_needs"))
    region, offer_id = unit.principal.region, body.get("offer_id")
    if offer_id is not None and projections.member_status(conn, offer_id, participant) not in MEMBERS:
        raise NotFound("offer_not_found", "no such offer among yours", field="offer_id")
    pcn = needs_pcn(body.get("pcn_code"), region=region, registered=participants.registered(conn, participant))
    today = utcnow().astimezone(UK).date()
    round_ = needs_round(region, offer_id, today)
    pepper = marker_pepper(unit.settings)
    first = needs_answered.add_marker(conn, round_, needs_marker(pepper, round_, participant))
    replaced = not first and repeat_replaces(offer_id)
    if first:
        # The quarter (a coarse period, as a region's round already is) files the answer in the
        # emerging-needs trend; a later cohort answer replaces it in co-design only (above).
        quarter = quarter_of(month_of(today))
        answers.add_needs(conn, region, pcn, offer_id, survey.ratings, survey.other_needs, quarter)
        aggregates.add(conn, needs_counted(region, pcn, Figures.answer("needs", survey.ratings)))
    if offer_id is not None:
        # For the cohort's co-design in scheduling, which waits for five members' answers. No
        # PCN: a PCN's few answers must not leave one by one.
        voice = cohort_voice(pepper, needs_voices.voice_secret(conn, voice_holder(pepper, participant)), offer_id)
        unit.record(
            NEEDS_REPORTED,
            {"response_id": voice, "region": region, "pcn_code": None, "offer_id": offer_id, "ratings": survey.ratings},
        )
    return {"region": region, "pcn_code": pcn, "offer_id": offer_id, "replaced": replaced}


def give_outcome(unit: Unit, body: dict) -> dict:
    conn, participant, offer_id, phase = unit.conn, unit.principal.subject, body["offer_id"], body["phase"]
    offer = projections.offer_row(conn, offer_id)
    if offer is None or projections.member_status(conn, offer_id, participant) not in MEMBERS:
        raise NotFound("offer_not_found", "no such offer among yours", field="offer_id")
    already = answers.outcome_scores(conn, participant, offer_id, phase) is not None
    accepted = accept_outcome(phase, body["scores"], already_given=already)
    # An "after" only once the offer has run (domain.outcomes.has_run).
    check_phase_allowed(
        phase, projections.offer_progress(conn, offer, participant, utcnow()), unit.settings.outcome_after_min_share
    )
    answers.add_outcome(conn, participant, offer_id, phase, accepted.scores, utcnow().date())
    other = answers.outcome_scores(conn, participant, offer_id, "after" if phase == "before" else "before")
    if other is not None:
        before, after = (accepted.scores, other) if phase == "before" else (other, accepted.scores)
        # A coaching pair also counts in the cell of its coachee's goal types (domain/goals.py).
        coachee_goals = goals.goals_of(conn, offer_id, participant)
        aggregates.add(conn, outcome_counted(offer["region"], offer["offer_type"], before, after, coachee_goals))
    return {"offer_id": offer_id, "phase": phase, "paired": other is not None}
