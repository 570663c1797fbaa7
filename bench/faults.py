"""The fault drills. Each one runs the enrolment load on a DrillStack, does its damage while
the load goes on, and returns what else must hold beside the common invariants.

Timings are the brief's where it names them (the broker down 10 s; paused longer than every
client timeout: the producer's 15 s delivery timeout and the consumer's 10 s session).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from bench import poison
from bench.drill_stack import DrillStack
from bench.invariants import Check

RATE = 10.0  # enrolments per second: steady, and gentle enough for a shared 2-core machine
BROKER_DOWN_SECONDS = 10.0
PAUSE_SECONDS = 20.0
BROKER_AWAY_SECONDS = 30.0  # longer than the producer's 15 s delivery timeout: the relay's sends fail and wait


@dataclass
class Drill:
    name: str
    run: Callable[[DrillStack, bool], Extra]
    summary: str
    app_spec: str | None = None
    environ: dict = field(default_factory=dict)
    postgres_only: bool = False


@dataclass
class Extra:
    """What a drill adds to the common checks (computed after the events converged)."""

    checks: Callable[[], list[Check]] = lambda: []
    ignore_event_ids: frozenset = frozenset()


def _settle(seconds: float) -> None:
    time.sleep(seconds)


def broker_kill(stack: DrillStack, short: bool) -> Extra:
    stack.start_load(RATE)
    _settle(3)
    stack.say("SIGKILL the broker")
    stack.broker("kill")
    _settle(BROKER_DOWN_SECONDS)
    stack.say(f"restart the broker after {BROKER_DOWN_SECONDS:.0f} s")
    stack.broker("start")
    _settle(5 if short else 10)
    return Extra()


def worker_kill(stack: DrillStack, short: bool) -> Extra:
    stack.start_load(RATE)
    _settle(2)
    stack.say("SIGKILL scheduling's worker; enrolments go on, a backlog builds")
    stack.supervisor.kill("scheduling")
    _settle(8 if short else 15)
    before = stack.applied()
    stack.say("restart it")
    stack.supervisor.revive("scheduling")
    stack.wait_applied_beyond(before + 3)
    stack.supervisor.kill("scheduling")
    killed_at = stack.applied()
    stack.say(f"SIGKILL scheduling's worker mid-batch, {killed_at - before} events into its backlog")
    _settle(1)
    stack.say("restart it")
    stack.supervisor.revive("scheduling")
    _settle(3)
    stack.say("SIGKILL enrolment's worker (the relay) mid-stream")
    stack.supervisor.kill("enrolment")
    _settle(2)
    stack.say("restart it")
    stack.supervisor.revive("enrolment")
    _settle(4 if short else 8)
    return Extra()


def web_kill(stack: DrillStack, short: bool) -> Extra:
    load = stack.start_load(RATE)
    for _ in range(2 if short else 3):
        _settle(3)
        stack.say("SIGKILL enrolment's gunicorn (arbiter and workers) with committed answers in flight")
        stack.web.kill()
        _settle(1)
        stack.web.start(under_load=True)
        stack.say("gunicorn back on the same port")
    _settle(3)

    def replayed() -> list[Check]:
        count = load.counts()["answered_from_idempotency_record"]
        return [
            Check(
                "some orders committed but unanswered were answered on retry from the idempotency record",
                count > 0,
                f"{count} orders",
            )
        ]

    return Extra(replayed)


def broker_pause(stack: DrillStack, short: bool) -> Extra:
    stack.start_load(RATE)
    _settle(3)
    stack.say(f"SIGSTOP the broker for {PAUSE_SECONDS:.0f} s (longer than the clients' timeouts)")
    stack.broker("pause")
    _settle(PAUSE_SECONDS)
    stack.say("SIGCONT the broker")
    stack.broker("resume")
    _settle(6 if short else 10)
    return Extra()


class ReadinessProbe:
    """Asks the web's /readyz twice a second, as the kubelet would, and keeps every answer."""

    def __init__(self, base_url: str):
        self.url, self.answers, self._stop = f"{base_url}/readyz", [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> ReadinessProbe:
        self._thread.start()
        return self

    def stop(self) -> list:
        self._stop.set()
        self._thread.join()
        return self.answers

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            try:
                self.answers.append(requests.get(self.url, timeout=2).status_code)
            except requests.RequestException as error:
                self.answers.append(type(error).__name__)


def broker_away(stack: DrillStack, short: bool) -> Extra:
    load = stack.start_load(RATE)
    _settle(3)
    away = BROKER_AWAY_SECONDS * (2 / 3 if short else 1)
    stack.say(f"stop the broker for {away:.0f} s; enrolments go on, /readyz probed twice a second")
    stack.broker("stop")
    probe = ReadinessProbe(stack.web.base_url).start()
    first = len(load.orders)
    _settle(away)
    during = list(load.orders[first:])  # every order sent while the broker was away
    readiness = probe.stop()
    stack.say(f"restart the broker: {len(during)} orders sent while it was away")
    stack.broker("start")
    _settle(5 if short else 10)

    def held() -> list[Check]:
        ready = sum(1 for answer in readiness if answer == 200)
        answered = [o for o in during if o.accepted and o.attempts == 1]
        return [
            Check(
                "/readyz answered 200 to every probe while the broker was away",
                bool(readiness) and ready == len(readiness),
                f"{ready}/{len(readiness)} probes 200"
                + ("" if ready == len(readiness) else f"; others: {sorted({str(a) for a in readiness if a != 200})}"),
            ),
            Check(
                "every order sent while the broker was away was answered 201 at its first attempt",
                bool(during) and len(answered) == len(during),
                f"{len(answered)}/{len(during)} orders",
            ),
        ]

    return Extra(held)


def postgres_restart(stack: DrillStack, short: bool) -> Extra:
    stack.start_load(RATE)
    _settle(3)
    stack.say("restart PostgreSQL (fast shutdown: every connection is cut)")
    stack.restart_postgres()
    _settle(6 if short else 10)
    return Extra()


def rebalance(stack: DrillStack, short: bool) -> Extra:
    stack.start_load(RATE)
    _settle(3)
    stack.say("start a second scheduling worker: the group rebalances")
    stack.supervisor.add("scheduling-2", stack.worker("scheduling"))
    _settle(8 if short else 15)
    stack.say("stop the second worker (SIGTERM): the group rebalances back")
    stack.supervisor.remove("scheduling-2")
    _settle(5 if short else 8)
    return Extra()


def poison_messages(stack: DrillStack, short: bool) -> Extra:
    feedback = stack.deployment.runtime("feedback")  # its schema, before its worker starts
    stack.supervisor.add("feedback", stack.worker("feedback"))
    stack.start_load(RATE)
    _settle(5)  # every consumer group has joined
    injections = poison.inject(stack.enrolment.settings)
    for injection in injections:
        sizes = ", ".join(f"{kind} ({size:,} bytes)" for kind, (_p, _o, size) in injection.poisons.items())
        stack.say(f"into {injection.topic}: {sizes}, then a canary {injection.event_type.rsplit('.', 2)[-2]} event")
    _settle(8 if short else 12)
    runtimes = {"enrolment": stack.enrolment, "scheduling": stack.scheduling, "feedback": feedback}
    canaries = frozenset(i.canary_id for i in injections)
    return Extra(
        lambda: poison.check(stack.enrolment.settings, injections, runtimes, stack.supervisor.restarts), canaries
    )


SLOW_ANSWERS = 'bench.slow_response:service_app("enrolment")'
DRILLS = [
    Drill("broker-kill", broker_kill, "SIGKILL the broker under load, restart it after 10 s"),
    Drill(
        "worker-kill",
        worker_kill,
        "SIGKILL scheduling's worker mid-batch and enrolment's relay mid-stream, restart them",
    ),
    Drill(
        "web-kill",
        web_kill,
        "SIGKILL gunicorn between commit and answer; clients retry with the same Idempotency-Key",
        app_spec=SLOW_ANSWERS,
        environ={"BENCH_RESPONSE_DELAY": "0.15"},
    ),
    Drill("broker-pause", broker_pause, "SIGSTOP the broker for 20 s, then SIGCONT"),
    Drill(
        "broker-away",
        broker_away,
        "stop the broker for 30 s under load: writes answered 201, /readyz 200 throughout, every event delivered "
        "once after",
    ),
    Drill("postgres-restart", postgres_restart, "restart PostgreSQL under load", postgres_only=True),
    Drill("rebalance", rebalance, "add a second scheduling worker mid-load, then remove it"),
    Drill("poison", poison_messages, "malformed, schema-invalid and oversized messages into every consumed topic"),
]
SHORT = ("web-kill", "worker-kill", "rebalance", "poison")
