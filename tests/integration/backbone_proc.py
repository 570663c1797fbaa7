"""A relay or a consumer of enrolment's stream, run as its own process so that tests can
SIGKILL it mid-stream. `python -m tests.integration.backbone_proc relay|consume`.

The consumer applies each `enrolment.waitlisted` event by appending a row to `applied`:
a double application shows up as two rows, a loss as none, and the row order shows
whether each offer's events arrived in order.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, insert

from services.enrolment.settings import EnrolmentSettings
from shared import logs
from shared.consumer import Consumer, Subscription
from shared.contracts.enrolment import ENROLMENT_WAITLISTED
from shared.db import Database
from shared.relay import Relay


def consumer_metadata() -> tuple[MetaData, Table]:
    metadata = MetaData()
    applied = Table(
        "applied",
        metadata,
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False),
        Column("offer_id", String(64), nullable=False),
        Column("position", Integer, nullable=False),
    )
    return metadata, applied


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def main(mode: str) -> None:
    settings = EnrolmentSettings.load()
    logs.configure(f"probe-{mode}", "INFO")
    stop = _stop_on_signals()
    if mode == "relay":
        Relay(settings, Database(settings.database_url, MetaData())).run(stop)
        return
    metadata, applied = consumer_metadata()
    delay = float(os.environ.get("PROBE_HANDLER_DELAY", "0"))

    def apply(event, unit):
        unit.conn.execute(
            insert(applied).values(
                event_id=event.id, offer_id=event.data["offer_id"], position=event.data["waitlist_position"]
            )
        )
        if delay:
            time.sleep(delay)

    consumer = Consumer(
        settings, Database(settings.database_url, metadata), Subscription("probe", {ENROLMENT_WAITLISTED.type: apply})
    )
    consumer.run(stop)


if __name__ == "__main__":
    main(sys.argv[1])
