"""End-to-end latency: from enrolment's HTTP answer to the member being on scheduling's roster.

Enrolment's web (gunicorn) and worker and scheduling's worker run as in production. Enrolments
are sent open-loop at a steady rate; a poller reads scheduling's new membership rows every
5 ms, and each enrolment's latency is (row first seen) - (HTTP answer received).
The path is split with the rows' own timestamps: event created → published by the relay
(outbox.published_at) → applied by the consumer (inbox.processed_at) → seen by the poller.
Memory of every process is sampled at rest and under this load.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

from sqlalchemy import select

from bench import seed
from bench.loadgen import latency_summary, request_bytes, run_open_loop
from bench.procs import MemorySampler, service_web, service_worker, web_targets
from bench.stack import Deployment
from shared.clock import as_utc

P50_GOAL_MS, P99_GOAL_MS = 20.0, 100.0
POLL_SECONDS = 0.005  # PostgreSQL: each poll is a query on the shared 2 cores; 5 ms is fine against a 20 ms goal


class RosterWatcher:
    """Notes when each enrolment's membership row appears in scheduling's database."""

    def __init__(self, scheduling):
        from services.scheduling.store.tables import memberships

        self.db, self.table = scheduling.db, memberships
        self.seen: dict[str, float] = {}
        self._last_id = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RosterWatcher:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        query = select(self.table.c.id, self.table.c.enrolment_id)
        while not self._stop.is_set():
            with self.db.read() as conn:
                rows = conn.execute(query.where(self.table.c.id > self._last_id)).all()
            now = time.monotonic()
            for row in rows:
                self.seen.setdefault(row.enrolment_id, now)
                self._last_id = max(self._last_id, row.id)
            time.sleep(POLL_SECONDS)


def run(deployment: Deployment, *, enrolments: int, rate: float) -> dict:
    enrolment, scheduling = deployment.runtime("enrolment"), deployment.runtime("scheduling")
    seed.reference_data(enrolment)
    people = seed.participants(enrolment, enrolments)
    logs = deployment.logs
    web = service_web("enrolment", deployment.environ("enrolment"), logs).start()
    workers = {
        name: service_worker(name, deployment.environ(name), logs).start() for name in ("enrolment", "scheduling")
    }
    admin = deployment.headers()
    try:
        offers = seed.offers(web.base_url, admin, 20, capacity=10_000)
        _wait_for_offers(scheduling, len(offers))
        targets = {
            **web_targets(web, "enrolment web"),
            **{f"{name} worker": p.popen.pid for name, p in workers.items()},
        }

        def enrol(i: int) -> bytes:
            body = {"participant_id": people[i]}
            return request_bytes(
                "POST",
                f"/v1/offers/{offers[i % len(offers)]}/enrolments",
                host="127.0.0.1",
                headers={**admin, "Idempotency-Key": str(uuid.uuid4())},
                body=body,
            )

        with MemorySampler(targets) as memory, RosterWatcher(scheduling) as watcher:
            load = run_open_loop("127.0.0.1", web.port, enrol, rate=rate, count=enrolments, keep_bodies=True)
            answered = {json.loads(o.body)["id"]: o.done for o in load.outcomes if o.status == 201}
            deadline = time.monotonic() + 120
            while len(set(answered) & set(watcher.seen)) < len(answered) and time.monotonic() < deadline:
                time.sleep(0.1)
        latencies = [watcher.seen[e] - done for e, done in answered.items() if e in watcher.seen]
        summary = latency_summary(latencies)
        return {
            "enrolments": enrolments,
            "rate": rate,
            "http": load.summary(),
            "reached_roster": len(latencies),
            "latency": summary,
            "stages": _stages(enrolment, scheduling, deployment.topic_prefix, set(answered)),
            "goal": {"p50_ms": P50_GOAL_MS, "p99_ms": P99_GOAL_MS},
            "met": bool(latencies)
            and summary["p50_ms"] <= P50_GOAL_MS
            and summary["p99_ms"] <= P99_GOAL_MS
            and len(latencies) == len(answered),
            "memory": memory.summary(),
        }
    finally:
        for worker in workers.values():
            worker.stop()
        web.stop()


def _wait_for_offers(scheduling, count: int, timeout: float = 120) -> None:
    from sqlalchemy import func

    from services.scheduling.store.tables import offers

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with scheduling.db.read() as conn:
            if conn.execute(select(func.count()).select_from(offers)).scalar_one() >= count:
                return
        time.sleep(0.2)
    raise TimeoutError("scheduling never heard of the offers: is its worker running?")


def _stages(enrolment, scheduling, prefix: str, enrolment_ids: set) -> dict:
    """Medians and p99s of each leg of the path, from the outbox's and the inbox's timestamps."""
    outbox, inbox = enrolment.db.tables.outbox, scheduling.db.tables.inbox
    with enrolment.db.read() as conn:
        events = {
            row.event_id: row
            for row in conn.execute(
                select(outbox.c.event_id, outbox.c.value, outbox.c.created_at, outbox.c.published_at).where(
                    outbox.c.event_type.like("%enrolment.confirmed%")
                )
            )
        }
    with scheduling.db.read() as conn:
        applied = dict(
            conn.execute(
                select(inbox.c.event_id, inbox.c.processed_at).where(inbox.c.consumer == f"{prefix}scheduling.rosters")
            ).all()
        )
    relay, delivery = [], []
    for event_id, row in events.items():
        if (
            json.loads(row.value)["enrolment_id"] not in enrolment_ids
            or row.published_at is None
            or event_id not in applied
        ):
            continue
        created, sent, done = as_utc(row.created_at), as_utc(row.published_at), as_utc(applied[event_id])
        relay.append((sent - created).total_seconds())
        delivery.append((done - sent).total_seconds())
    return {"created_to_published": latency_summary(relay), "published_to_applied": latency_summary(delivery)}
