"""Right to erasure in feedback: what enrolment's `participant.erased` makes feedback forget.

Feedback holds no names or e-mails, but it links answers to the participant's opaque id,
and free text may name its author or others. On erasure, in the consumer's transaction:

- named session feedback becomes anonymous: no author, no date, and its comment is deleted
  (free text cannot be made anonymous-safe by a machine); its scores stay in every figure;
  comments are stored sealed with their own data key (store.sealed_comments), so deleting
  the field shreds every older copy of it too;
- the person's has-responded markers (of session feedback and of the needs survey), attendance,
  memberships, joinings and leavings of groups, and registered PCN go (they are counted already);
- outcome answers keep a random pseudonym instead of the id, so a before/after pair stays one,
  and the coachee's goal types (no words) follow them to it, so a rebuild files the pair alike;
- the person's needs voice secret is deleted: their cohort answers stay in co-design under a
  pseudonym that no one can compute again (services/feedback/domain/needs.py);
- needs-survey answers hold no id, and nothing links them to the person; only those sent
  with an Idempotency-Key before needs answers stopped taking one are found, through the
  remembered receipt, and lose their free text (`other_needs`);
- the remembered answers of the person's Idempotency-Keyed requests are deleted: they link the
  person to answer ids.

The erasure is remembered (`ERASURES`, shared.erasures: a blind index of the id keyed from the
marker pepper, with the outcome pseudonym), so that an event naming the person that reaches
feedback after the erasure (scheduling's attendance or goal types recorded before scheduling
heard of it, enrolment's memberships and registration, travelling under other keys) is applied
under the pseudonym and then settled as the erasure settled the id (`settle`): attendance is
counted in the figures, as it would have been, and its row goes; memberships, joinings and
leavings and the PCN go; goal types follow the outcome answers' pseudonym.

Idempotent in effect: a second erasure of the same id finds nothing left to change, and keeps
the first one's pseudonym.
"""

import hashlib
import hmac
from datetime import datetime

from services.feedback.domain.feedback import response_marker
from services.feedback.domain.needs import needs_marker, voice_holder
from services.feedback.settings import marker_pepper
from services.feedback.store import (
    answers,
    conditions,
    goals,
    needs_answered,
    needs_voices,
    participants,
    projections,
    tables,
)
from shared.db import scrub
from shared.erasures import Erased, ErasureRecord
from shared.unit import Unit

# What a PostgreSQL VACUUM after an erasure tidies: where the person's free text had versions.
SCRUBBED_TABLES = (tables.feedback_responses.name, tables.needs_responses.name)


def _index_key(unit: Unit) -> bytes:
    """The erased-participants index key: derived from the pepper, so it is as secret, and is
    never a key of the markers themselves."""
    return hmac.new(marker_pepper(unit.settings), b"convene feedback erased participants", hashlib.sha256).digest()


def settle(unit: Unit, erased: Erased) -> None:
    """After an event about an erased person was applied under their pseudonym: what the
    erasure deletes goes (their markers are made by their own answers, never by an event)."""
    conn = unit.conn
    participants.forget_participant(conn, erased.pseudonym)
    projections.forget_participant(conn, erased.pseudonym)
    conditions.forget_participant(conn, erased.pseudonym)


ERASURES = ErasureRecord(tables.erased_participants, _index_key, settle)


def participant_erased(unit: Unit, participant: str, erased_at: datetime) -> None:
    conn, pepper = unit.conn, marker_pepper(unit.settings)
    # First: remembered (and locked) before anything changes, so no event about the person
    # applied concurrently can write the id after the erasure has looked.
    pseudonym = ERASURES.remember(unit, participant, answers.new_pseudonym(), erased_at)
    answers.forget_markers(
        conn, [response_marker(pepper, s, participant) for s in projections.attended_sessions(conn, participant)]
    )
    # Which rounds the person answered in is what nothing records: try each round anyone did.
    needs_answered.forget_markers(conn, [needs_marker(pepper, r, participant) for r in needs_answered.rounds(conn)])
    needs_voices.forget(conn, voice_holder(pepper, participant))
    participants.forget_participant(conn, participant)
    answers.forget_author(conn, participant, pseudonym)
    goals.rename_participant(conn, participant, pseudonym)
    answers.forget_requests(conn, participant)
    projections.forget_participant(conn, participant)
    conditions.forget_participant(conn, participant)
    engine = conn.engine
    unit.after_commit(lambda: scrub(engine, SCRUBBED_TABLES))
