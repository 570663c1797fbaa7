"""Queries on the answers: session feedback, has-responded markers, needs surveys, outcomes."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict

from sqlalchemy import Connection, delete, func, insert, select, update

from services.feedback.domain.feedback import SessionFeedback
from services.feedback.domain.outcomes import OUTCOME_MEASURES
from services.feedback.store import sealed_comments
from services.feedback.store.tables import (
    feedback_responded,
    feedback_responses,
    metadata,
    needs_responses,
    offers,
    outcome_responses,
)
from shared.db import dialect_insert
from shared.tables import SharedTables

_IDEMPOTENCY = SharedTables(metadata).idempotency


def existing_markers(conn: Connection, markers: list[str]) -> set[str]:
    return set(
        conn.execute(select(feedback_responded.c.marker).where(feedback_responded.c.marker.in_(markers))).scalars()
    )


def add_marker(conn: Connection, marker: str) -> bool:
    """Add to the has-responded set; False if the marker was there (a concurrent answer won)."""
    statement = (
        dialect_insert(conn, feedback_responded)
        .values(marker=marker)
        .on_conflict_do_nothing()
        .returning(feedback_responded.c.marker)
    )
    return conn.execute(statement).first() is not None


def forget_markers(conn: Connection, markers: list[str]) -> None:
    conn.execute(delete(feedback_responded).where(feedback_responded.c.marker.in_(markers)))


def add_feedback(conn: Connection, record: SessionFeedback) -> str:
    response_id = str(uuid.uuid4())  # random, so ids give no order of submission
    conn.execute(insert(feedback_responses).values(id=response_id, **sealed_comments.sealed(conn, asdict(record))))
    return response_id


def comments(conn: Connection, session_id: str, limit: int, offset: int, *, with_anonymous: bool) -> tuple[list, int]:
    where = (feedback_responses.c.session_id == session_id) & feedback_responses.c.comment.is_not(None)
    if not with_anonymous:
        where &= feedback_responses.c.anonymous.is_(False)
    total = conn.execute(select(func.count()).select_from(feedback_responses).where(where)).scalar_one()
    # Ordered by the random id: any time order could hint at who wrote an anonymous comment.
    query = select(
        feedback_responses.c.comment, feedback_responses.c.anonymous, feedback_responses.c.participant_id
    ).where(where)
    rows = conn.execute(query.order_by(feedback_responses.c.id).limit(limit).offset(offset)).mappings().all()
    return sealed_comments.opened(conn, session_id, rows), total


def named_answers(conn: Connection, session_id: str) -> int:
    """How many of a session's answers carry their author's id."""
    where = (feedback_responses.c.session_id == session_id) & feedback_responses.c.anonymous.is_(False)
    return conn.execute(select(func.count()).select_from(feedback_responses).where(where)).scalar_one()


def add_needs(
    conn: Connection,
    region: str,
    pcn_code: str | None,
    offer_id: str | None,
    ratings: dict,
    other_needs: str | None,
    quarter: str | None = None,
) -> str:
    response_id = str(uuid.uuid4())
    values = dict(
        id=response_id,
        region=region,
        pcn_code=pcn_code,
        offer_id=offer_id,
        ratings=json.dumps(ratings, sort_keys=True),
        other_needs=other_needs,
        quarter=quarter,
    )
    conn.execute(insert(needs_responses).values(**values))
    return response_id


def other_needs(conn: Connection, region: str, limit: int, offset: int) -> tuple[list, int]:
    where = (needs_responses.c.region == region) & needs_responses.c.other_needs.is_not(None)
    total = conn.execute(select(func.count()).select_from(needs_responses).where(where)).scalar_one()
    query = (
        select(needs_responses.c.pcn_code, needs_responses.c.other_needs.label("text"))
        .where(where)
        .order_by(needs_responses.c.id)
    )
    return conn.execute(query.limit(limit).offset(offset)).mappings().all(), total


def outcome_scores(conn: Connection, participant_id: str, offer_id: str, phase: str) -> dict | None:
    where = (
        (outcome_responses.c.participant_id == participant_id)
        & (outcome_responses.c.offer_id == offer_id)
        & (outcome_responses.c.phase == phase)
    )
    columns = [outcome_responses.c[m] for m in OUTCOME_MEASURES]
    row = conn.execute(select(*columns).where(where)).mappings().first()
    return None if row is None else dict(row)


def add_outcome(conn: Connection, participant_id: str, offer_id: str, phase: str, scores: dict, given_on) -> str:
    response_id = str(uuid.uuid4())
    conn.execute(
        insert(outcome_responses).values(
            id=response_id, participant_id=participant_id, offer_id=offer_id, phase=phase, given_on=given_on, **scores
        )
    )
    return response_id


def new_pseudonym() -> str:
    """An erased person's pseudonym in outcome answers: random, so nothing derives it from the id."""
    return f"erased-{uuid.uuid4()}"


def forget_author(conn: Connection, participant_id: str, pseudonym: str) -> None:
    """Erasure: named answers become anonymous, without author, date or free text; figures
    stay. Outcome answers keep the person's pseudonym (`new_pseudonym`, or the one an earlier
    erasure of the id gave) instead of the id, so a pair stays a pair."""
    named = feedback_responses.c.participant_id == participant_id
    conn.execute(
        update(feedback_responses).where(named).values(participant_id=None, anonymous=True, given_on=None, comment=None)
    )
    conn.execute(
        update(outcome_responses)
        .where(outcome_responses.c.participant_id == participant_id)
        .values(participant_id=pseudonym, given_on=None)
    )


def feedback_counts(conn: Connection, measure: str) -> list:
    """(session_id, value, answers) of one feedback measure: what a rebuild adds up."""
    column = feedback_responses.c[measure]
    query = select(feedback_responses.c.session_id, column.label("value"), func.count().label("answers")).group_by(
        feedback_responses.c.session_id, column
    )
    return conn.execute(query).all()


def all_needs(conn: Connection):
    return conn.execute(select(needs_responses.c.region, needs_responses.c.pcn_code, needs_responses.c.ratings))


def needs_by_quarter(conn: Connection) -> list:
    """(region, quarter or None, ratings, answers) of every needs answer, alike answers of a region
    and quarter counted together: what the emerging-needs trend reads. Needs aggregate rows are
    all time only, so the quarter is read from the answers (one per person per round: few)."""
    t = needs_responses.c
    query = select(t.region, t.quarter, t.ratings, func.count().label("answers")).group_by(
        t.region, t.quarter, t.ratings
    )
    return conn.execute(query).all()


def dated_outcome_pairs(conn: Connection) -> list:
    """(region, offer type, the "after" answer's date or None, before scores, after scores) of
    every pair: outcome changes by quarter, read from the answers (a person's pair is the only
    place its change's spread is kept; pairs are few)."""
    before, after = outcome_responses.alias("before"), outcome_responses.alias("after")
    same = (before.c.participant_id == after.c.participant_id) & (before.c.offer_id == after.c.offer_id)
    scores = [before.c[m].label(f"before_{m}") for m in OUTCOME_MEASURES] + [
        after.c[m].label(f"after_{m}") for m in OUTCOME_MEASURES
    ]
    query = (
        select(offers.c.region, offers.c.offer_type, after.c.given_on, *scores)
        .select_from(before.join(after, same).join(offers, offers.c.offer_id == before.c.offer_id))
        .where(before.c.phase == "before", after.c.phase == "after")
    )
    return [
        (
            row.region,
            row.offer_type,
            row.given_on,
            {m: row._mapping[f"before_{m}"] for m in OUTCOME_MEASURES},
            {m: row._mapping[f"after_{m}"] for m in OUTCOME_MEASURES},
        )
        for row in conn.execute(query)
    ]


def outcome_pairs(conn: Connection) -> list:
    """(offer_id, participant_id, before scores, after scores) of everyone who answered both."""
    before, after = outcome_responses.alias("before"), outcome_responses.alias("after")
    same = (before.c.participant_id == after.c.participant_id) & (before.c.offer_id == after.c.offer_id)
    scores = [before.c[m].label(f"before_{m}") for m in OUTCOME_MEASURES] + [
        after.c[m].label(f"after_{m}") for m in OUTCOME_MEASURES
    ]
    query = (
        select(before.c.offer_id, before.c.participant_id, *scores)
        .select_from(before.join(after, same))
        .where(before.c.phase == "before", after.c.phase == "after")
    )
    return [
        (
            row.offer_id,
            row.participant_id,
            {m: row._mapping[f"before_{m}"] for m in OUTCOME_MEASURES},
            {m: row._mapping[f"after_{m}"] for m in OUTCOME_MEASURES},
        )
        for row in conn.execute(query)
    ]


def forget_requests(conn: Connection, participant_id: str) -> None:
    """Erasure: drop the free text of needs answers the person's remembered Idempotency-Keyed
    requests point at, then the remembered requests themselves."""
    mine = _IDEMPOTENCY.c.subject == participant_id
    answer_ids = [_answer_id(body) for body in conn.execute(select(_IDEMPOTENCY.c.body).where(mine)).scalars()]
    answer_ids = [answer_id for answer_id in answer_ids if answer_id]
    if answer_ids:
        conn.execute(update(needs_responses).where(needs_responses.c.id.in_(answer_ids)).values(other_needs=None))
    conn.execute(delete(_IDEMPOTENCY).where(mine))


def _answer_id(body: str) -> str | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document.get("id") if isinstance(document, dict) and isinstance(document.get("id"), str) else None
