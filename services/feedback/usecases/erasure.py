"""Right to erasure in feedback: what enrolment's `participant.erased` makes feedback forget.

Feedback holds no names or e-mails, but it links answers to the participant's opaque id,
and free text may name its author or others. On erasure, in the consumer's transaction:

- named session feedback becomes anonymous: no author, no date, and its comment is deleted
  (free text cannot be made anonymous-safe by a machine); its scores stay in every figure;
  comments are stored sealed with their own data key (store.sealed_comments), so deleting
  the field shreds every older copy of it too;
- the person's has-responded markers (of session feedback and of the needs survey), attendance,
  memberships and registered PCN go (they are counted already);
- outcome answers keep a random pseudonym instead of the id, so a before/after pair stays one;
- needs-survey answers hold no id, and nothing links them to the person; only those sent
  with an Idempotency-Key before needs answers stopped taking one are found, through the
  remembered receipt, and lose their free text (`other_needs`);
- the remembered answers of the person's Idempotency-Keyed requests are deleted: they link the
  person to answer ids.

Idempotent in effect: a second erasure of the same id finds nothing left to change.
"""
import json

from sqlalchemy import Connection, delete, select, update

from shared.db import after_commit, scrub
from shared.envelope import Envelope
from shared.tables import SharedTables
from services.feedback.store import answers, needs_answered, participants, projections, tables
from services.feedback.domain import needs_marker, response_marker
from services.feedback.settings import FeedbackSettings, marker_pepper

_IDEMPOTENCY = SharedTables(tables.metadata).idempotency
# What a PostgreSQL VACUUM after an erasure tidies: where the person's free text had versions.
SCRUBBED_TABLES = (tables.feedback_responses.name, tables.needs_responses.name)


def participant_erased(event: Envelope, conn: Connection) -> None:
    participant = event.data["participant_id"]
    # Handlers get no settings: the worker's environment is the service's (the same pepper).
    pepper = marker_pepper(FeedbackSettings.load())
    answers.forget_markers(conn, [response_marker(pepper, s, participant) for s in projections.attended_sessions(conn, participant)])
    # Which rounds the person answered in is what nothing records: try each round anyone did.
    needs_answered.forget_markers(conn, [needs_marker(pepper, r, participant) for r in needs_answered.rounds(conn)])
    participants.forget_participant(conn, participant)
    answers.forget_author(conn, participant)
    forget_requests(conn, participant)
    projections.forget_participant(conn, participant)
    engine = conn.engine
    after_commit(conn, lambda: scrub(engine, SCRUBBED_TABLES))


def forget_requests(conn: Connection, participant_id: str) -> None:
    """Drop the free text of needs answers the person's remembered requests point at, then the
    remembered requests themselves."""
    mine = _IDEMPOTENCY.c.subject == participant_id
    answer_ids = [_answer_id(body) for body in conn.execute(select(_IDEMPOTENCY.c.body).where(mine)).scalars()]
    answer_ids = [answer_id for answer_id in answer_ids if answer_id]
    if answer_ids:
        conn.execute(update(tables.needs_responses).where(tables.needs_responses.c.id.in_(answer_ids)).values(other_needs=None))
    conn.execute(delete(_IDEMPOTENCY).where(mine))


def _answer_id(body: str) -> str | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document.get("id") if isinstance(document, dict) and isinstance(document.get("id"), str) else None
