"""Scale: the national feedback summary read over a million stored answers, and a million
events replayed into scheduling's roster projection.

National summary: the answers (and attendance) are bulk-loaded into feedback's tables and its
aggregates rebuilt by feedback's own rebuild; then GET /v1/national/summary is read one request
at a time through gunicorn (all-time and one month), latency per request.
Replay: the events are produced straight onto enrolment's topic, then scheduling's
`rebuild_rosters` (shared.operations.replay: validation, inbox and handlers, one transaction
per poll) applies them; the rate is events / replay time.
"""

from __future__ import annotations

import time
import uuid

from confluent_kafka import Producer

from bench import seed
from bench.http_bench import Target, Timing, profile_endpoint
from bench.loadgen import request_bytes, run_closed_loop
from bench.pipeline import OFFERS, confirmed
from bench.procs import MemorySampler, service_web, web_targets
from bench.stack import Deployment
from shared import kafka
from shared.contracts.enrolment import ENROLMENT_CONFIRMED
from shared.envelope import Envelope
from shared.schemas import instance

SUMMARY_GOAL_MS = 50.0
READS = 200


def national_summary(deployment: Deployment, *, responses: int, profile_root) -> dict:
    started = time.perf_counter()
    loaded = seed.feedback_answers(deployment.runtime("feedback"), responses)
    loaded["load_seconds"] = round(time.perf_counter() - started, 1)
    environ = deployment.environ("feedback")
    web = service_web("feedback", environ, deployment.logs).start()
    national = deployment.headers("national", None)
    reads = {}
    try:
        with MemorySampler(web_targets(web, "feedback web")) as memory:
            for period in ("all", "2026-03"):
                request = request_bytes(
                    "GET", f"/v1/national/summary?period={period}", host="127.0.0.1", headers=national
                )
                run_closed_loop(
                    "127.0.0.1", web.port, lambda _i: request, concurrency=1, duration=1.0
                )  # warm the workers
                result = run_closed_loop(
                    "127.0.0.1", web.port, lambda _i: request, concurrency=1, duration=max(READS * 0.06, 5.0)
                )
                reads[period] = result.summary()
        worst_p95 = max(r["p95_ms"] or 0 for r in reads.values())
        outcome = {
            "seeded": loaded,
            "reads": reads,
            "goal_p95_ms": SUMMARY_GOAL_MS,
            "met": worst_p95 <= SUMMARY_GOAL_MS,
            "memory": memory.summary(),
        }
        if worst_p95 > SUMMARY_GOAL_MS:
            outcome["shortfall"] = f"p95 {worst_p95:.0f} ms against {SUMMARY_GOAL_MS:.0f} ms"
            if profile_root is not None:
                request = request_bytes("GET", "/v1/national/summary?period=all", host="127.0.0.1", headers=national)
                target = Target("national summary", web, lambda _i: request, None, "feedback", environ)
                outcome["profile"] = profile_endpoint(target, Timing(0, 0, 5.0), profile_root / "national-summary")
        return outcome
    finally:
        web.stop()


def replay(deployment: Deployment, *, events: int) -> dict:
    from services.scheduling.rebuild import rebuild_rosters

    settings = deployment.settings("scheduling")
    kafka.ensure_topics(settings)
    produced = produce_confirmed(settings, events)
    scheduling = deployment.runtime("scheduling")
    started = time.perf_counter()
    applied = rebuild_rosters(settings, scheduling.db)
    seconds = time.perf_counter() - started
    return {
        "events": events,
        "applied": applied,
        "seconds": round(seconds, 1),
        "events_per_second": round(applied / seconds, 1),
        "produced": produced,
    }


def produce_confirmed(settings, count: int) -> dict:
    """`count` valid enrolment.confirmed events on enrolment's topic, keyed by offer. Loaded
    with librdkafka (confluent-kafka, also used by the interop tests): kafka-python's producer
    takes about 0.5 ms an event, which for a million is longer than the replay measured."""
    topic = ENROLMENT_CONFIRMED.topic.address(settings.topic_prefix)
    producer = Producer(
        {
            "bootstrap.servers": settings.kafka_bootstrap_servers,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 20,
        }
    )
    failures = []

    def delivered(error, _message):
        if error is not None:
            failures.append(error)

    schema = instance(ENROLMENT_CONFIRMED.schema)
    started = time.perf_counter()
    for n in range(count):
        data = schema.dump(confirmed(OFFERS[n % len(OFFERS)]))
        envelope = Envelope(
            type=ENROLMENT_CONFIRMED.type,
            source=ENROLMENT_CONFIRMED.source,
            data=data,
            subject=data["enrolment_id"],
            partitionkey=data["offer_id"],
            region="Y56",
            correlationid=str(uuid.uuid4()),
        )
        while True:
            try:
                producer.produce(
                    topic,
                    key=data["offer_id"].encode(),
                    value=envelope.value(),
                    headers=envelope.headers(),
                    on_delivery=delivered,
                )
                break
            except BufferError:  # the client's queue is full: let it send
                producer.poll(0.1)
        producer.poll(0)
    if producer.flush(120) or failures:
        raise RuntimeError(f"{len(failures)} events not delivered: {failures[:1]}")
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 1), "events_per_second": round(count / seconds, 1)}
