"""Right to erasure in subscriptions: what enrolment's `participant.erased` makes it forget, and
what it refuses to pass on afterwards.

The deliveries keep each event's body, for retries and redelivery, and an event can name a
participant by their opaque id (with a role, a PCN, a region: enough to single someone out).
On erasure, in the consumer's transaction, every delivery body that names the person is
emptied, and with it the ordering key (which can be their id), and deliveries not yet sent are
never sent: a subscriber must not be handed data about a person after Convene has forgotten
them. The erasure event itself still goes to every subscriber that receives it, so they erase
too; once delivered, its own body and key are emptied at once (usecases.attempts).

Events arrive on three topics, so one naming the person can be consumed after the erasure (a
scheduling event late on its topic). A keyed hash of each erased id is kept (store.erased), and
an event naming an erased id anywhere in its data, subject or key is recorded erased: empty,
never sent. The delivery log keeps ids, types and outcomes.
"""

from __future__ import annotations

from services.subscriptions.store import deliveries, erased
from shared.clock import utcnow
from shared.contracts.enrolment import PARTICIPANT_ERASED
from shared.db import scrub
from shared.envelope import Envelope
from shared.unit import Unit

SCRUBBED_TABLES = ("deliveries",)
_LONGEST_ID = 200  # strings longer than any opaque id are not hashed


def participant_erased(unit: Unit, event: Envelope) -> None:
    erased.remember(unit.conn, event.data["participant_id"], utcnow())
    deliveries.forget_mentions(unit.conn, event.data["participant_id"], keep_event=event.id)
    engine = unit.conn.engine
    unit.after_commit(lambda: scrub(engine, SCRUBBED_TABLES))


def names_someone_erased(unit: Unit, event: Envelope, partitionkey: str | None) -> bool:
    """Does `event` (other than an erasure itself) name a participant erased before it arrived?"""
    if event.type == PARTICIPANT_ERASED.type:
        return False
    named = {value for value in _strings(event.data) if len(value) <= _LONGEST_ID}
    named |= {value for value in (event.subject, partitionkey) if value}
    return erased.any_erased(unit.conn, named)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
