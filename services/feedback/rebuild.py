"""Rebuild feedback's running aggregates from the stored answers and attendance.

For a fix to how figures are filed, or after loading answers in bulk:
`python -m services.feedback.rebuild`. Answers are read grouped by session and value, so the
work grows with the number of sessions rather than answers. The pattern is settled afresh and
every streamed summary is published again.
"""
from __future__ import annotations

import json
from collections import defaultdict

from services.feedback.domain import FEEDBACK_MEASURES, aggregate_keys
from services.feedback.figures import Figures
from services.feedback.handlers import attendance_keys
from services.feedback.store import aggregates, answers, projections
from services.feedback.usecases import publication
from services.feedback.usecases.answers import needs_keys, outcome_key, pair_figures, session_info


def rebuild(runtime) -> dict:
    with runtime.db.transaction() as conn:
        aggregates.lock_pattern(conn)
        aggregates.clear(conn)
        sessions = projections.all_sessions(conn)
        counted = _feedback(conn, sessions)
        for session_id, present in projections.present_counts(conn):
            aggregates.add_attendees(conn, attendance_keys(sessions[session_id]), present)
        needs = ((key, Figures.answer("needs", json.loads(row.ratings))) for row in answers.all_needs(conn) for key in needs_keys(row.region, row.pcn_code))
        aggregates.add_figures(conn, "needs", _summed(needs))
        aggregates.add_figures(conn, "outcomes", _summed(_outcome_pairs(conn)))
        publication.settle(conn, runtime.outbox, touched=[])
    return {"sessions_with_feedback": counted}


def _feedback(conn, sessions: dict) -> int:
    """File the answers of each session under its keys, counting answers per value."""
    counts: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))  # key -> measure -> value -> n
    keys_of: dict = {}
    for measure in FEEDBACK_MEASURES:
        for session_id, value, answered in answers.feedback_counts(conn, measure):
            # Answers are only accepted on sessions whose offer is known, so every one is filed.
            if session_id not in keys_of:
                keys_of[session_id] = aggregate_keys(session_info(sessions[session_id]))
            for key in keys_of[session_id]:
                counts[key][measure][value] += answered
    aggregates.add_figures(conn, "feedback", [(key, Figures.from_counts("feedback", by_measure)) for key, by_measure in counts.items()])
    return len(keys_of)


def _outcome_pairs(conn):
    offers: dict = {}
    for offer_id, before, after in answers.outcome_pairs(conn):
        offer = offers.setdefault(offer_id, projections.offer_row(conn, offer_id))
        yield outcome_key(offer), pair_figures(before, after)


def _summed(items) -> list:
    """One figure per key (a statement may not add to the same row twice)."""
    totals: dict = {}
    for key, figures in items:
        totals[key] = totals[key].merge(figures) if key in totals else figures
    return list(totals.items())


if __name__ == "__main__":
    from services.feedback.app import build_runtime

    print(rebuild(build_runtime()))
