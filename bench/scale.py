"""Scale: the national feedback summary read over a million stored answers, the offer list at
1,000 and at 100,000 enrolments, and a million events replayed into scheduling's roster projection.

National summary: the answers (and attendance) are bulk-loaded into feedback's tables and its
aggregates rebuilt by feedback's own rebuild; then GET /v1/national/summary is read one request
at a time through gunicorn (all-time and one month), latency per request.
Offer list: two deployments with the same 50 offers, one holding 1,000 enrolments and one
100,000 (written straight into the table, the offers' counts set from them); GET
/v1/offers?limit=50 read by a closed loop from each in turn, several rounds (A B, then B A), so
each round's pair sees the same moment of the machine. The figure is the cost ratio: CPU time
per request (the web's processes and, on PostgreSQL, the database's server processes) at 100,000
over that at 1,000, median over the rounds, against OFFER_LIST_GOAL_RATIO (a ratio, never a
timed assertion). CPU time, not throughput: on a machine shared with other work throughput
swings by half from one second to the next, the CPU a request takes much less. The throughput
ratio of each round's pair is recorded beside it.
Replay: the events are produced straight onto enrolment's topic, then scheduling's
`rebuild_rosters` (shared.operations.replay: validation, inbox and handlers, one transaction
per poll) applies them; the rate is events / replay time.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from pathlib import Path

from confluent_kafka import Producer
from sqlalchemy import text

from bench import seed
from bench.http_bench import CALLERS, CLIENTS, Target, Timing, profile_endpoint
from bench.loadgen import request_bytes, run_closed_loop
from bench.pipeline import OFFERS, confirmed
from bench.procs import MemorySampler, service_web, web_targets
from bench.profiling import profiled, top_frames
from bench.stack import Deployment
from shared import kafka
from shared.contracts.enrolment import ENROLMENT_CONFIRMED
from shared.envelope import Envelope
from shared.schemas import instance

SUMMARY_GOAL_MS = 50.0
REPLAY_GOAL_PER_SECOND = 10_000.0
READS = 200
OFFER_LIST_GOAL_RATIO = 1.2  # the list at 100,000 enrolments costs at most this times what it costs at 1,000
OFFER_LIST_SIZES = (1_000, 100_000)  # enrolments over the 50 offers
OFFER_LIST_PEOPLE, OFFER_LIST_CAPACITY = 2_000, 1_000  # each offer: half its people confirmed, half waiting at 100,000


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


def offer_list(deployment: Deployment, *, rounds: int, seconds: float) -> dict:
    large = Deployment(
        deployment.folder.parent,
        deployment.kafka_bootstrap,
        deployment.db_kind,
        deployment.postgres_admin_url,
        label=deployment.folder.name + "-large",
    )
    webs, runtimes, seeded = {}, {}, {}
    try:
        for size, where in zip(OFFER_LIST_SIZES, (deployment, large)):
            enrolment = runtimes[size] = where.runtime("enrolment")
            seed.reference_data(enrolment)
            people = seed.participants(enrolment, OFFER_LIST_PEOPLE)
            web = service_web("enrolment", where.environ("enrolment"), where.logs).start()
            webs[size] = web
            admin = where.headers(subject="bench-admin")
            offer_ids = seed.offers(web.base_url, admin, len(OFFERS), capacity=OFFER_LIST_CAPACITY)
            started = time.perf_counter()
            written = seed.enrolments(
                enrolment, offer_ids, people, per_offer=size // len(offer_ids), capacity=OFFER_LIST_CAPACITY
            )
            seeded[size] = {"enrolments": written, "load_seconds": round(time.perf_counter() - started, 1)}
        # Many callers' tokens, as in the HTTP part: one token would meet the per-token rate limit (429).
        requests = {
            size: [
                request_bytes(
                    "GET", "/v1/offers?limit=50", host="127.0.0.1", headers=where.headers(subject=f"bench-admin-{n}")
                )
                for n in range(CALLERS)
            ]
            for size, where in zip(OFFER_LIST_SIZES, (deployment, large))
        }
        for size, web in webs.items():  # warm the workers
            run_closed_loop(
                "127.0.0.1", web.port, lambda i, r=requests[size]: r[i % CALLERS], concurrency=CLIENTS, duration=1.0
            )
        runs: dict[int, list] = {size: [] for size in OFFER_LIST_SIZES}
        for n in range(rounds):  # A B, B A, ...: neither size always goes first
            for size in OFFER_LIST_SIZES if n % 2 == 0 else OFFER_LIST_SIZES[::-1]:
                web, runtime = webs[size], runtimes[size]
                before = _cpu_seconds(web, runtime)
                result = run_closed_loop(
                    "127.0.0.1",
                    web.port,
                    lambda i, r=requests[size]: r[i % CALLERS],
                    concurrency=CLIENTS,
                    duration=seconds,
                )
                after = _cpu_seconds(web, runtime)
                summary = result.summary()
                used = {part: after[part] - before.get(part, 0.0) for part in after}
                summary["cpu_ms_per_request"] = round(sum(used.values()) * 1000 / max(summary["ok"], 1), 3)
                summary["database_cpu_ms_per_request"] = round(
                    sum(v for k, v in used.items() if k.startswith("db ")) * 1000 / max(summary["ok"], 1), 3
                )
                runs[size].append(summary)
        if any(run["errors"] or not run["throughput"] for results in runs.values() for run in results):
            raise RuntimeError(f"offer list answered errors or nothing: {runs}")
        small, big = OFFER_LIST_SIZES
        median = {size: statistics.median(run["throughput"] for run in results) for size, results in runs.items()}
        cpu = {size: statistics.median(run["cpu_ms_per_request"] for run in results) for size, results in runs.items()}
        ratio = cpu[big] / cpu[small]
        # Each round's two runs saw the same moment: their throughput ratio, median over the rounds.
        throughput_ratio = statistics.median(a["throughput"] / b["throughput"] for a, b in zip(runs[small], runs[big]))
        return {
            "seeded": seeded,
            "rounds": runs,
            "median_rps": {str(size): round(rps, 1) for size, rps in median.items()},
            "median_cpu_ms_per_request": {str(size): ms for size, ms in cpu.items()},
            "cost_ratio": round(ratio, 3),
            "throughput_ratio": round(throughput_ratio, 3),
            "goal_ratio": OFFER_LIST_GOAL_RATIO,
            "met": ratio <= OFFER_LIST_GOAL_RATIO,
        }
    finally:
        for web in webs.values():
            web.stop()
        large.close()


def _cpu_seconds(web, runtime) -> dict[str, float]:
    """CPU time (user and system) used so far by each of the web's processes and, on
    PostgreSQL, each server process of the web's database (the backends its pools hold)."""
    pids = {f"web {pid}": pid for pid in web_targets(web, "web").values()}
    if runtime.db.engine.dialect.name == "postgresql":
        with runtime.db.engine.connect() as conn:
            backends = conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            ).scalars()
            pids |= {f"db {pid}": pid for pid in backends}
    used = {}
    for name, pid in pids.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone: its time is lost to both readings alike
            continue
        used[name] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return used


def replay(deployment: Deployment, *, events: int, profile_root=None) -> dict:
    """The rate of an unprofiled replay; then, with `profile_root`, the same replay again under
    pyinstrument (a sampling profiler slows it, so its time is not the figure), top frames kept."""
    from services.scheduling.rebuild import rebuild_rosters

    settings = deployment.settings("scheduling")
    kafka.ensure_topics(settings)
    produced = produce_confirmed(settings, events)
    scheduling = deployment.runtime("scheduling")
    started = time.perf_counter()
    applied = rebuild_rosters(settings, scheduling.db)
    seconds = time.perf_counter() - started
    outcome = {
        "events": events,
        "applied": applied,
        "seconds": round(seconds, 1),
        "events_per_second": round(applied / seconds, 1),
        "goal_per_second": REPLAY_GOAL_PER_SECOND,
        "met": applied / seconds >= REPLAY_GOAL_PER_SECOND,
        "produced": produced,
    }
    if profile_root is not None:
        with profiled(profile_root / "replay", "replay"):
            rebuild_rosters(settings, scheduling.db)
        outcome["profile"] = top_frames(profile_root / "replay")
    return outcome


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
