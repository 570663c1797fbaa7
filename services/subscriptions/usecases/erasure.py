"""Right to erasure in subscriptions: what enrolment's `participant.erased` makes it forget.

The deliveries keep each event's body, for retries and redelivery, and an event can name a
participant by their opaque id (with a role, a PCN, a region: enough to single someone out).
On erasure, in the consumer's transaction, every delivery body that names the person is
emptied, and deliveries not yet sent are never sent: a subscriber must not be handed data
about a person after Convene has forgotten them. The erasure event itself still goes to every
subscriber that receives it, so they erase too. The delivery log keeps ids, types and outcomes.
"""

from services.subscriptions.store import deliveries
from shared.db import scrub
from shared.envelope import Envelope
from shared.unit import Unit

SCRUBBED_TABLES = ("deliveries",)


def participant_erased(unit: Unit, event: Envelope) -> None:
    deliveries.forget_mentions(unit.conn, event.data["participant_id"], keep_event=event.id)
    engine = unit.conn.engine
    unit.after_commit(lambda: scrub(engine, SCRUBBED_TABLES))
