"""Print one NHS England region's enrolment and session changes from Convene's topics.

A minimal subscriber of the kind another NHS system would run. It needs only kafka-python,
not Convene's code; it filters on the `ce_region` and `ce_type` headers without parsing any
other region's events, skips redeliveries by `ce_source` + `ce_id`, and commits offsets only
after it has handled what it polled (at least once). See docs/subscribers.md.

    python docs/examples/region_subscriber.py --bootstrap 127.0.0.1:9092 --prefix local. --region Y60
    python docs/examples/region_subscriber.py --bootstrap ... --region Y60 --since 2026-06-01T00:00:00Z
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import OrderedDict
from datetime import UTC, datetime

from kafka import KafkaConsumer, TopicPartition

REGIONS = ("Y56", "Y58", "Y59", "Y60", "Y61", "Y62", "Y63", "national")
TOPICS = ("convene.enrolment.events", "convene.scheduling.events")
WANTED_TYPES = ("org.convene.enrolment.enrolment.", "org.convene.scheduling.session.")
REMEMBERED_IDS = 100_000


class Deduplicator:
    """The (ce_source, ce_id) pairs seen lately. A real subscriber stores them with its own
    state, in the same transaction, so a redelivery after a crash is recognised too."""

    def __init__(self, size: int = REMEMBERED_IDS):
        self.size = size
        self.seen: OrderedDict[tuple[str, str], None] = OrderedDict()

    def first_time(self, source: str, event_id: str) -> bool:
        key = (source, event_id)
        if key in self.seen:
            return False
        self.seen[key] = None
        if len(self.seen) > self.size:
            self.seen.popitem(last=False)
        return True


def describe(event_type: str, data: dict) -> str:
    """One line for an event; only ids, statuses and times (events carry no names)."""
    short = event_type.removeprefix("org.convene.").rsplit(".", 1)[0]
    if event_type.startswith("org.convene.enrolment.enrolment."):
        details = f"offer={data['offer_id']} participant={data['participant_id']} status={data['status']}"
        if data.get("waitlist_position"):
            details += f" waitlist_position={data['waitlist_position']}"
    else:
        details = (
            f"offer={data['offer_id']} session={data['session_id']} starts_at={data['starts_at']} "
            f"status={data['status']} sequence={data['sequence']}"
        )
    return f"{short} {details}"


def handle(record, region: str, dedup: Deduplicator, out=sys.stdout) -> bool:
    """Print the record if it is one of the region's enrolment or session events; True if printed."""
    headers = {name: value.decode("utf-8") for name, value in record.headers or [] if value is not None}
    # Decide from the headers alone: other regions' bodies are never parsed.
    if headers.get("ce_region") != region or not headers.get("ce_type", "").startswith(WANTED_TYPES):
        return False
    if not dedup.first_time(headers.get("ce_source", ""), headers.get("ce_id", "")):
        return False
    data = json.loads(record.value)
    print(f"{headers.get('ce_time', '?')} {region} {describe(headers['ce_type'], data)}", file=out, flush=True)
    return True


def replay_from(consumer: KafkaConsumer, topics: list[str], since: datetime) -> None:
    """Start every partition at the first event at or after `since` (offsets_for_times)."""
    partitions = [
        TopicPartition(topic, p) for topic in topics for p in sorted(consumer.partitions_for_topic(topic) or [])
    ]
    consumer.assign(partitions)
    offsets = consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in partitions})
    for tp in partitions:
        if offsets.get(tp) is None:
            consumer.seek_to_end(tp)  # nothing that recent on this partition
        else:
            consumer.seek(tp, offsets[tp].offset)


def run(args, out=sys.stdout) -> int:
    topics = [args.prefix + name for name in TOPICS]
    replaying = args.since is not None
    consumer = KafkaConsumer(
        bootstrap_servers=args.bootstrap.split(","),
        # A replay reads without a group, so it leaves the live group's committed offsets alone.
        group_id=None if replaying else args.group or f"example.region-subscriber.{args.region}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        metadata_max_age_ms=5000,
    )
    dedup, printed = Deduplicator(), 0
    try:
        if replaying:
            replay_from(consumer, topics, args.since)
        else:
            consumer.subscribe(topics)
        last_message = time.monotonic()
        while args.idle_exit is None or time.monotonic() - last_message < args.idle_exit:
            batches = consumer.poll(timeout_ms=500)
            if not consumer.assignment():
                last_message = time.monotonic()  # still joining the group: not idle yet
            for records in batches.values():
                last_message = time.monotonic()
                printed += sum(handle(record, args.region, dedup, out) for record in records)
            if batches and not replaying:
                consumer.commit()  # only after the batch was handled: a crash re-reads it
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close(autocommit=False)
    return printed


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers, host:port[,host:port]")
    parser.add_argument(
        "--prefix", default="local.", help="the environment's topic prefix, e.g. prod. (default local.)"
    )
    parser.add_argument("--region", required=True, choices=REGIONS, help="NHS England region ODS code, e.g. Y60")
    parser.add_argument("--group", default=None, help="consumer group (default example.region-subscriber.<region>)")
    parser.add_argument(
        "--since", type=_timestamp, default=None, help="replay from this ISO 8601 time instead of the group's offsets"
    )
    parser.add_argument("--idle-exit", type=float, default=None, help="stop after this many seconds without a message")
    return parser.parse_args(argv)


def _timestamp(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


if __name__ == "__main__":
    run(parse_args())
