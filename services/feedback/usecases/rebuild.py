"""Rebuilding feedback's running aggregates from the stored answers and attendance, filed by
the same rule as the live path (domain.aggregates). Answers are read grouped by session and
value, so the work grows with the number of sessions rather than answers. The pattern is
settled afresh and every streamed summary is published again."""

from __future__ import annotations

import json
from collections import defaultdict

from services.feedback.domain.aggregates import (
    Counted,
    attendance_counted,
    feedback_counts_counted,
    needs_counted,
    outcome_counted,
)
from services.feedback.domain.feedback import FEEDBACK_MEASURES
from services.feedback.domain.figures import Figures
from services.feedback.store import aggregates, answers, goals, projections
from services.feedback.usecases import publication
from shared.unit import Unit


def rebuild(unit: Unit) -> dict:
    conn = unit.conn
    aggregates.clear(conn)
    sessions = projections.all_sessions(conn)
    by_session = _feedback_counts(conn)
    # Answers are only accepted on sessions whose offer is known, so every one is filed.
    feedback = feedback_counts_counted(
        (sessions[session_id], by_measure) for session_id, by_measure in by_session.items()
    )
    attendance = [
        attendance_counted(sessions[session_id], present) for session_id, present in projections.present_counts(conn)
    ]
    needs = [
        needs_counted(row.region, row.pcn_code, Figures.answer("needs", json.loads(row.ratings)))
        for row in answers.all_needs(conn)
    ]
    aggregates.add(conn, Counted.total([feedback, *attendance, *needs, *_outcome_pairs(conn)]))
    publication.settle(unit, [])
    return {"sessions_with_feedback": len(by_session)}


def _feedback_counts(conn) -> dict:
    """{session: {measure: {value: answers}}} of every session with feedback."""
    counts: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for measure in FEEDBACK_MEASURES:
        for session_id, value, answered in answers.feedback_counts(conn, measure):
            counts[session_id][measure][value] += answered
    return counts


def _outcome_pairs(conn):
    """Every pair, filed as the live path filed it: a coaching pair by its coachee's goal types
    as now known (the same as when it was counted unless they changed since)."""
    offers: dict = {}
    coachees = goals.all_goals(conn)
    for offer_id, participant_id, before, after in answers.outcome_pairs(conn):
        offer = offers.setdefault(offer_id, projections.offer_row(conn, offer_id))
        yield outcome_counted(
            offer["region"], offer["offer_type"], before, after, coachees.get((offer_id, participant_id))
        )
