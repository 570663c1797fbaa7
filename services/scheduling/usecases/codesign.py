"""Co-design: a regional programme's upcoming sessions take their topics from its cohort's
development needs (feedback's needs surveys), most needed first.

Needs answers are anonymous, so the cohort's ranking follows the disclosure policy
(docs/disclosure.md): it waits until five have answered, and shows its counts to the nearest
five; the topics and scores of fewer would show the administrator what each one answered."""

from __future__ import annotations

from dataclasses import replace

from services.scheduling.domain.codesign import assign_topics, rank_needs, topic_label
from services.scheduling.store import needs
from services.scheduling.store import sessions as store
from services.scheduling.usecases import access, events
from shared.clock import utcnow
from shared.contracts.scheduling import SESSION_UPDATED
from shared.contracts.vocabulary import OfferType
from shared.disclosure import THRESHOLD, shown_count, shown_ratio
from shared.errors import RuleViolation
from shared.unit import Unit


def co_design(unit: Unit, offer_id: str, body: dict) -> dict:
    """Give upcoming sessions topics from the cohort's development needs, most needed first."""
    offer = access.offer(unit, offer_id)
    if offer["offer_type"] != OfferType.REGIONAL_PROGRAMME:
        raise RuleViolation(
            "not_co_designed", "Only a regional programme's topics are co-designed from its cohort's needs."
        )
    store.lock_calendar(unit.conn)
    upcoming = store.upcoming_sessions(unit.conn, offer_id, utcnow())
    targets = upcoming if body["replace_existing"] else [s for s in upcoming if not s["topic"]]
    answers = needs.needs_of(unit.conn, offer_id)
    if 0 < len(answers) < THRESHOLD:
        raise RuleViolation(
            "too_few_needs_answers",
            f"Co-design waits until {THRESHOLD} of the cohort have answered the needs survey.",
            field="needs",
        )
    ranking = rank_needs(answers)
    topics = assign_topics([(n.need, n.score) for n in ranking], len(targets))
    changed = []
    for session, need in zip(targets, topics):
        values = {"topic": topic_label(need), "sequence": session["sequence"] + 1}
        store.change_session(unit.conn, session["id"], **values)
        changed.append({**session, **values})
        unit.record(SESSION_UPDATED, events.session_data(changed[-1]))
    published = [replace(n, score=shown_ratio(n.score), responses=shown_count(n.responses)) for n in ranking]
    return {"ranking": published, "sessions": changed}
