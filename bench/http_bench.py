"""HTTP throughput and latency of the services' endpoints as shares of the framework's floor.

Method (one target at a time, the floor measured again right before each target):
1. Capacity: a closed loop of CLIENTS connections, each sending its next request as soon as
   the last was answered, for a few seconds: the saturated throughput.
2. Latency at fixed offered rates: an open loop at 50 %, 75 % and 90 % of that capacity,
   latency counted from each request's scheduled send time (no coordinated omission).
3. Sustainable rate: the highest step answered with < 1 % errors, p99 <= P99_LIMIT_MS and
   >= 95 % of the offered rate. share_of_floor = capacity / floor capacity (the headline);
   sustainable_share_of_floor compares the sustainable rates.
The floor is the same gunicorn configuration serving bench.floor_app. The web process runs
alone (its worker stopped): event delivery is measured by the pipeline benchmark.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import profiling, seed
from bench.loadgen import LoadResult, request_bytes, run_closed_loop, run_open_loop
from bench.procs import MemorySampler, Web, service_web, web_targets
from bench.stack import Deployment

CLIENTS = 16
CALLERS = 64  # distinct tokens the load is spread over
P99_LIMIT_MS = 250.0
STEPS = (0.5, 0.75, 0.9)
HOST = "127.0.0.1"


@dataclass
class Target:
    name: str
    web: Web
    make: Callable[[int], bytes]
    goal: float | None = None  # the share of the floor this endpoint should reach
    service: str | None = None
    environ: dict | None = None


@dataclass(frozen=True)
class Timing:
    capacity_seconds: float
    step_seconds: float
    profile_seconds: float


QUICK, FULL = Timing(2.5, 2.0, 2.0), Timing(6.0, 5.0, 6.0)


def measure(target: Target, timing: Timing) -> dict:
    started = time.process_time()
    wall = time.perf_counter()
    with MemorySampler(web_targets(target.web, target.name)) as memory:
        saturated = run_closed_loop(
            HOST, target.web.port, target.make, concurrency=CLIENTS, duration=timing.capacity_seconds
        )
        capacity = saturated.throughput
        steps = (
            [
                run_open_loop(
                    HOST,
                    target.web.port,
                    target.make,
                    rate=capacity * share,
                    count=max(int(capacity * share * timing.step_seconds), 20),
                )
                for share in STEPS
            ]
            if capacity > 0
            else []
        )
    sustainable = max((s.throughput for s in steps if _sustained(s)), default=0.0)
    return {
        "capacity_rps": round(capacity, 1),
        "saturated": saturated.summary(),
        "steps": [s.summary() for s in steps],
        "sustainable_rps": round(sustainable, 1),
        "load_generator_cpu_share": round((time.process_time() - started) / (time.perf_counter() - wall), 2),
        "memory": memory.summary(),
    }


def _sustained(step: LoadResult) -> bool:
    summary = step.summary()
    return (
        summary["error_share"] < 0.01
        and (summary["p99_ms"] or 0) <= P99_LIMIT_MS
        and step.throughput >= 0.95 * step.offered_rate
    )


def compare(target: Target, floor: Target, timing: Timing, profile_root: Path | None) -> dict:
    floor_figures = measure(floor, timing)
    figures = measure(target, timing)
    share = figures["capacity_rps"] / floor_figures["capacity_rps"] if floor_figures["capacity_rps"] else 0.0
    # None when the floor sustained none of its steps (a burst from elsewhere on the machine)
    sustainable_share = (
        round(figures["sustainable_rps"] / floor_figures["sustainable_rps"], 3)
        if floor_figures["sustainable_rps"]
        else None
    )
    result = {
        "endpoint": target.name,
        **figures,
        "floor": floor_figures,
        "share_of_floor": round(share, 3),
        "sustainable_share_of_floor": sustainable_share,
        "goal_share": target.goal,
    }
    if target.goal is not None:
        result["met"] = share >= target.goal
        result["shortfall"] = (
            None
            if share >= target.goal
            else f"{(target.goal - share) * 100:.0f} points below {target.goal:.0%} of the floor"
        )
        if not result["met"] and profile_root is not None and target.service:
            result["profile"] = profile_endpoint(target, timing, profile_root / target.name.replace(" ", "-"))
    return result


def profile_endpoint(target: Target, timing: Timing, folder: Path) -> dict:
    """The same load on a profiled copy of the web process; top frames of its workers."""
    if not profiling.available():
        return profiling.top_frames(folder)
    web = Web(
        f'bench.profiling:service_app("{target.service}")',
        {**target.environ, "BENCH_PROFILE_DIR": str(folder)},
        target.web.log_path.parent,
        name=f"{target.service}-profiled",
    ).start()
    try:
        run_closed_loop(HOST, web.port, target.make, concurrency=CLIENTS, duration=timing.profile_seconds + 1.5)
    finally:
        web.stop()
    return profiling.top_frames(folder)


# --- the targets -----------------------------------------------------------------------------


def build_targets(
    deployment: Deployment, *, participants: int, offers: int, roster_offers: int, feedback_answers: int
) -> tuple[Target, list[Target], list[Web]]:
    logs = deployment.folder / "logs"
    floor = Target(
        "floor",
        Web("bench.floor_app:create_app()", {}, logs, name="floor").start(),
        _constant(request_bytes("GET", "/floor", host=HOST)),
    )
    webs = [floor.web]
    # Many callers, as in production: one token for every request would meet the per-token
    # rate limit (429), which is not what is measured here.
    admins = [deployment.headers(subject=f"bench-admin-{n}") for n in range(CALLERS)]
    admin = admins[0]

    enrolment = deployment.runtime("enrolment")
    seed.reference_data(enrolment)
    people = seed.participants(enrolment, participants)
    enrolment_env = deployment.environ("enrolment")
    enrolment_web = service_web("enrolment", enrolment_env, logs).start()
    webs.append(enrolment_web)
    offer_ids = seed.offers(enrolment_web.base_url, admin, offers, capacity=10_000)
    next_person = itertools.count()

    def enrol(_i: int) -> bytes:
        n = next(next_person)
        headers = {**admins[n % CALLERS], "Idempotency-Key": str(uuid.uuid4())}
        return request_bytes(
            "POST",
            f"/v1/offers/{offer_ids[n % len(offer_ids)]}/enrolments",
            host=HOST,
            headers=headers,
            body={"participant_id": people[n % len(people)]},
        )

    scheduling_env = deployment.environ("scheduling")
    roster_ids = seed.rosters(deployment.runtime("scheduling"), roster_offers, 25)
    from services.scheduling.usecases.rosters import roster_etag

    # What an administrator holds after a first read of a seeded roster: its ETag (usecases.rosters).
    held_roster = roster_etag(seed.SEEDED_ROSTER_VERSION, None)
    scheduling_web = service_web("scheduling", scheduling_env, logs).start()
    webs.append(scheduling_web)

    feedback_env = deployment.environ("feedback")
    seed.feedback_answers(deployment.runtime("feedback"), feedback_answers)
    feedback_web = service_web("feedback", feedback_env, logs).start()
    webs.append(feedback_web)
    nationals = [deployment.headers("national", None, subject=f"bench-national-{n}") for n in range(CALLERS)]

    targets = [
        Target("enrolment write", enrolment_web, enrol, 0.40, "enrolment", enrolment_env),
        Target(
            "offer list",
            enrolment_web,
            _rotating([request_bytes("GET", "/v1/offers?limit=50", host=HOST, headers=h) for h in admins]),
            0.70,
            "enrolment",
            enrolment_env,
        ),
        Target(
            "roster",
            scheduling_web,
            lambda i: request_bytes(
                "GET", f"/v1/offers/{roster_ids[i % len(roster_ids)]}/roster", host=HOST, headers=admins[i % CALLERS]
            ),
            0.70,
            "scheduling",
            scheduling_env,
        ),
        Target(
            "roster, unchanged (If-None-Match: 304)",
            scheduling_web,
            lambda i: request_bytes(
                "GET",
                f"/v1/offers/{roster_ids[i % len(roster_ids)]}/roster",
                host=HOST,
                headers={**admins[i % CALLERS], "If-None-Match": held_roster},
            ),
            0.70,
            "scheduling",
            scheduling_env,
        ),
        Target(
            "aggregates",
            feedback_web,
            _rotating(
                [
                    request_bytes("GET", "/v1/aggregates?scope=region&region=Y56", host=HOST, headers=h)
                    for h in nationals
                ]
            ),
            0.70,
            "feedback",
            feedback_env,
        ),
    ]
    return floor, targets, webs


def _constant(payload: bytes) -> Callable[[int], bytes]:
    return lambda _i: payload


def _rotating(payloads: list[bytes]) -> Callable[[int], bytes]:
    return lambda i: payloads[i % len(payloads)]


def run(deployment: Deployment, *, quick: bool, profile_root: Path | None) -> list[dict]:
    sizes = (
        dict(participants=10_000, offers=50, roster_offers=100, feedback_answers=10_000)
        if quick
        else dict(participants=60_000, offers=50, roster_offers=500, feedback_answers=100_000)
    )
    floor, targets, webs = build_targets(deployment, **sizes)
    timing = QUICK if quick else FULL
    try:
        return [compare(target, floor, timing, profile_root) for target in targets]
    finally:
        for web in webs:
            web.stop()
