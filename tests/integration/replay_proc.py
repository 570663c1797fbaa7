"""A replay of the operator-tools probe's projection, run as its own process so that a test
can SIGKILL it midway. `python -m tests.integration.replay_proc` with the environment of
EnrolmentSettings (DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS, CONVENE_TOPIC_PREFIX) and
PROBE_HANDLER_DELAY (seconds each event's handler sleeps, so the replay is slow enough to kill)."""

from __future__ import annotations

import os
import sys
import time

from sqlalchemy import insert

from services.enrolment.settings import EnrolmentSettings
from shared import operations
from shared.consumer import Subscription
from shared.contracts.enrolment import ENROLMENT_WAITLISTED
from shared.db import Database
from tests.integration.backbone_proc import consumer_metadata

SUBSCRIPTION_NAME = "ops-probe"


def main() -> None:
    settings = EnrolmentSettings.load()
    metadata, applied = consumer_metadata()
    db = Database(settings.database_url, metadata)
    delay = float(os.environ.get("PROBE_HANDLER_DELAY", "0"))

    def apply(event, unit):
        unit.conn.execute(
            insert(applied).values(
                event_id=event.id, offer_id=event.data["offer_id"], position=event.data["waitlist_position"]
            )
        )
        if delay:
            time.sleep(delay)

    subscription = Subscription(SUBSCRIPTION_NAME, {ENROLMENT_WAITLISTED.type: apply})
    # Small polls: progress is counted per poll, so a kill can land at a known point midway.
    count = operations.replay(settings, db, subscription, [applied], progress_every=0.2, stream=sys.stderr, batch=5)
    print(f"replayed {count}", flush=True)


if __name__ == "__main__":
    main()
