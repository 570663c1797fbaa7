"""The event pipeline as a share of the Kafka client's floor.

Pipeline: events written to enrolment's outbox (100 per transaction, as fast as the writer
goes) → the real relay process → the broker → the real roster consumer process of scheduling
(inbox + handler, one transaction per event). Rate = events / (first outbox insert → last
event committed in scheduling's inbox). Floor: the same payloads (key, value, ce_* headers)
sent by kafka-python alone in the relay's batch size with acks=all, and read by kafka-python
alone in a group committing after each poll, each in its own process: events / (first send →
last received). Both run after a warm-up, on the same broker, in the same minute.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bench import profiling
from bench.stack import Deployment
from shared import kafka
from shared.contracts.enrolment import ENROLMENT_CONFIRMED
from shared.runtime import Runtime
from tests.processes import WorkerProcess

GOAL = 0.60
PER_TRANSACTION = 100
OFFERS = [str(uuid.uuid4()) for _ in range(200)]


def confirmed(offer_id: str) -> dict:
    return {
        "enrolment_id": str(uuid.uuid4()),
        "offer_id": offer_id,
        "participant_id": str(uuid.uuid4()),
        "region": "Y56",
        "offer_type": "regional_programme",
        "role": "clinical_director",
        "status": "confirmed",
        "waitlist_position": None,
        "changed_at": datetime.now(UTC),
    }


def write_events(runtime: Runtime, count: int) -> None:
    for start in range(0, count, PER_TRANSACTION):
        with runtime.db.transaction() as conn:
            for n in range(start, min(start + PER_TRANSACTION, count)):
                runtime.outbox.record(conn, ENROLMENT_CONFIRMED, confirmed(OFFERS[n % len(OFFERS)]))


def applied(scheduling: Runtime, group: str) -> int:
    inbox = scheduling.db.tables.inbox
    with scheduling.db.read() as conn:
        return conn.execute(select(func.count()).select_from(inbox).where(inbox.c.consumer == group)).scalar_one()


def published(enrolment: Runtime) -> int:
    outbox = enrolment.db.tables.outbox
    with enrolment.db.read() as conn:
        return conn.execute(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_not(None))
        ).scalar_one()


def wait_for(check, timeout: float, what: str, interval: float = 0.02) -> float:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
    return time.monotonic()


class Pipeline:
    def __init__(self, deployment: Deployment):
        self.deployment = deployment
        self.enrolment = deployment.runtime("enrolment")
        self.scheduling = deployment.runtime("scheduling")
        self.group = f"{deployment.topic_prefix}scheduling.rosters"
        kafka.ensure_topics(self.enrolment.settings)

    def processes(self, profile_dir: Path | None = None) -> list[WorkerProcess]:
        def environ(service: str, part: str) -> dict:
            profile = {"BENCH_PROFILE_DIR": str(profile_dir / part)} if profile_dir else {}
            return self.deployment.environ(service, LOG_LEVEL="WARNING", **profile)

        relay = WorkerProcess(
            "bench.pipeline_proc", environ("enrolment", "relay"), self.deployment.logs, args=["relay"]
        )
        consumer = WorkerProcess(
            "bench.pipeline_proc", environ("scheduling", "consumer"), self.deployment.logs, args=["consume"]
        )
        return [relay.start(), consumer.start()]

    def measure(self, count: int, profile_dir: Path | None = None) -> dict:
        processes = self.processes(profile_dir)
        try:
            before = applied(self.scheduling, self.group)
            write_events(self.enrolment, 1)  # warm-up: the consumer has joined and the relay holds its lease
            wait_for(lambda: applied(self.scheduling, self.group) > before, 120, "the warm-up event")
            base, base_published = before + 1, published(self.enrolment)
            started = time.monotonic()
            write_events(self.enrolment, count)  # the relay and the consumer work meanwhile
            written = time.monotonic()
            all_published = wait_for(
                lambda: published(self.enrolment) >= base_published + count, 600, "the relay", 0.05
            )
            done = wait_for(lambda: applied(self.scheduling, self.group) >= base + count, 600, "the consumer", 0.05)
        finally:
            for process in processes:
                process.stop()
        return {
            "events": count,
            "events_per_second": round(count / (done - started), 1),
            "outbox_insert_per_second": round(count / (written - started), 1),
            "relayed_per_second": round(count / (all_published - started), 1),
            "seconds": round(done - started, 2),
        }

    def floor(self, count: int) -> dict:
        outbox = self.enrolment.db.tables.outbox
        with self.enrolment.db.read() as conn:
            rows = conn.execute(
                select(outbox.c.key, outbox.c.value, outbox.c.headers).order_by(outbox.c.id.desc()).limit(count)
            ).all()
        payloads = self.deployment.folder / f"payloads-{uuid.uuid4().hex[:6]}.jsonl"
        payloads.write_text(
            "".join(json.dumps({"key": r.key, "value": r.value, "headers": json.loads(r.headers)}) + "\n" for r in rows)
        )
        topic = f"{self.deployment.topic_prefix}bench.floor.{uuid.uuid4().hex[:6]}"
        _create_topic(self.enrolment.settings, topic)
        environ = self.deployment.environ(
            "enrolment",
            LOG_LEVEL="WARNING",
            BENCH_TOPIC=topic,
            BENCH_PAYLOADS=str(payloads),
            BENCH_COUNT=str(len(rows)),
        )
        consumer = WorkerProcess("bench.pipeline_proc", environ, self.deployment.logs, args=["floor-consume"]).start()
        try:
            ready = _await_line(consumer, "ready", 120)
            producer = WorkerProcess(
                "bench.pipeline_proc", environ, self.deployment.logs, args=["floor-produce"]
            ).start()
            sent = _await_line(producer, "started", 300)
            received = _await_line(consumer, "received", 300)
        finally:
            consumer.stop()
        span = received["finished"] - sent["started"]
        return {
            "events": len(rows),
            "events_per_second": round(len(rows) / span, 1),
            "produce_per_second": round(len(rows) / (sent["finished"] - sent["started"]), 1),
            "seconds": round(span, 2),
            "consumer_ready_at": ready["ready"],
        }


def _create_topic(settings, name: str) -> None:
    from kafka.admin import NewTopic

    client = kafka.admin(settings)
    try:
        client.create_topics([NewTopic(name, settings.topic_partitions, settings.topic_replication)])
        client.wait_for_topics([name])
    finally:
        client.close()


def _await_line(process: WorkerProcess, field: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in process.log().splitlines():
            if line.startswith("{") and f'"{field}"' in line:
                return json.loads(line)
        if not process.running() and f'"{field}"' not in process.log():
            raise RuntimeError(f"{process.command[-1]} ended early:\n{process.log()[-2000:]}")
        time.sleep(0.05)
    raise TimeoutError(f"{process.command[-1]} printed no {field}")


def run(deployment: Deployment, *, count: int, profile_root: Path | None) -> dict:
    pipeline = Pipeline(deployment)
    measured = pipeline.measure(count)
    floor = pipeline.floor(count)
    share = measured["events_per_second"] / floor["events_per_second"]
    result = {
        "pipeline": measured,
        "floor": floor,
        "share_of_floor": round(share, 3),
        "goal_share": GOAL,
        "met": share >= GOAL,
    }
    if share < GOAL:
        result["shortfall"] = f"{(GOAL - share) * 100:.0f} points below {GOAL:.0%} of the client floor"
        if profile_root is not None and profiling.available():
            folder = profile_root / "pipeline"
            pipeline.measure(max(count // 2, 500), folder)
            result["profile"] = {
                "relay": profiling.top_frames(folder / "relay"),
                "consumer": profiling.top_frames(folder / "consumer"),
            }
    return result
