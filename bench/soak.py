"""The soak drill: the whole stack (three webs, three workers) for a long while (30 minutes by
default) with idle stretches and a trickle of every event type, then checks that every consumer
group of every service is Stable with one member and its committed offsets at the end of its
partitions, that no commit failed, that no rebalance happened after start-up, and that each
worker's CPU at rest is under 2 % of a core.

Events are written into the outbox of the service that owns their type, as its web process
would (one valid example of each type, `shared.asyncapi.example_data`), so every relay
publishes and every consumer group reads. Handlers may refuse an example that refers to
nothing they know and dead-letter it: that is the consumer's normal path and commits as usual.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import asdict
from pathlib import Path

from kafka import KafkaAdminClient

from bench.invariants import Check
from bench.procs import Web, service_worker
from bench.stack import Deployment
from shared import kafka
from shared.asyncapi import example_data
from shared.contracts.registry import event_types
from shared.kafka_groups import describe

SERVICES = ("enrolment", "scheduling", "feedback")
MAX_REST_CPU_SHARE = 0.02  # of one core, per worker
TRICKLE_EVERY_SECONDS = 10.0  # one event of every type this often while trickling
CYCLE_SECONDS = 300.0  # each cycle: a trickle for 40 % of it, then idle
REST_WINDOW_SECONDS = 60.0  # the final idle window where CPU at rest is measured
START_TIMEOUT_SECONDS = 180.0


def run_soak(root: Path, kafka_bootstrap: str, db: str, postgres_url: str | None, *, minutes: float, say) -> dict:
    deployment = Deployment(root, kafka_bootstrap, db, postgres_url, label=f"drill-soak-{db}")
    soak = Soak(deployment, say)
    try:
        return soak.run(minutes * 60)
    finally:
        soak.close()
        deployment.close()


class Soak:
    def __init__(self, deployment: Deployment, say):
        self.deployment = deployment
        self.say = say
        self.runtimes = {service: deployment.runtime(service) for service in SERVICES}
        self.webs: list[Web] = []
        self.workers = {}
        self.sent: dict[str, int] = {}
        self.admin = None
        self.end_reader = None

    def run(self, seconds: float) -> dict:
        settings = self.runtimes["enrolment"].settings
        kafka.ensure_topics(settings)
        for service in SERVICES:
            environ = self.deployment.environ(service)
            self.webs.append(
                Web(
                    f"services.{service}.app:create_app()",
                    environ,
                    self.deployment.logs,
                    workers=2,
                    name=f"{service}-web",
                ).start()
            )
            self.workers[service] = service_worker(service, environ, self.deployment.logs).start()
        self.admin = KafkaAdminClient(**settings.kafka_client_options())
        self.end_reader = kafka.consumer(settings, None)
        groups = self._groups()
        started = time.monotonic()

        self.say(f"stack up; first trickle, then waiting until the {len(groups)} groups are Stable and caught up")
        self._trickle_once()
        self._wait_settled(groups, START_TIMEOUT_SECONDS)
        time.sleep(10)  # the start-up rebalances (a member's second join) are over by now
        startup_assignments = self._assignments()
        self.say(
            f"start-up done after {time.monotonic() - started:.0f} s; assignments at start-up: {startup_assignments}"
        )

        soak_started = time.monotonic()
        rest_cpu: list[dict] = []
        end = soak_started + max(seconds - REST_WINDOW_SECONDS, 0)
        while time.monotonic() < end:
            cycle_end = min(time.monotonic() + CYCLE_SECONDS, end)
            trickle_end = min(time.monotonic() + CYCLE_SECONDS * 0.4, cycle_end)
            self.say("trickle: one event of every type every 10 s")
            while time.monotonic() < trickle_end:
                self._trickle_once()
                time.sleep(min(TRICKLE_EVERY_SECONDS, max(trickle_end - time.monotonic(), 0)))
            if cycle_end - time.monotonic() > 20:
                self.say(f"idle for {cycle_end - time.monotonic():.0f} s")
                time.sleep(10)  # the trickle's last events are applied first
                rest_cpu.append(self._cpu_over(cycle_end - time.monotonic()))
        self._wait_settled(groups, 120)
        self.say(f"final rest: CPU of each worker over {REST_WINDOW_SECONDS:.0f} s")
        final_cpu = self._cpu_over(REST_WINDOW_SECONDS)
        reports = describe(self.admin, self.end_reader, groups)
        logs = {service: worker.log() for service, worker in self.workers.items()}
        commit_failures = {service: log.count("offset commit failed") for service, log in logs.items()}
        assignments = self._assignments()
        later_rebalances = {service: assignments[service] - startup_assignments[service] for service in SERVICES}
        checks = [
            Check(
                "every group Stable with one member",
                all(r.state == "Stable" and r.members == 1 for r in reports.values()),
                ", ".join(f"{g}: {r.state}/{r.members}" for g, r in reports.items()),
            ),
            Check(
                "every group committed to the end of its partitions",
                all(r.caught_up for r in reports.values()),
                ", ".join(f"{g}: {sum(r.behind.values())} behind" for g, r in reports.items()),
            ),
            Check("no commit failed", not any(commit_failures.values()), str(commit_failures)),
            Check("no rebalance after start-up", not any(later_rebalances.values()), str(later_rebalances)),
            Check(
                f"each worker's CPU at rest under {MAX_REST_CPU_SHARE:.0%} of a core",
                all(v < MAX_REST_CPU_SHARE * 100 for v in final_cpu.values()),
                ", ".join(f"{s}: {v:.2f} %" for s, v in final_cpu.items()),
            ),
            Check("every worker still running", all(w.running() for w in self.workers.values()), ""),
        ]
        counts = {
            "minutes": round((time.monotonic() - soak_started) / 60, 1),
            "events_sent": sum(self.sent.values()),
            "event_types": len(self.sent),
            "commit_failures": commit_failures,
            "rebalances_after_startup": later_rebalances,
            "assignments_at_startup": startup_assignments,
            "rest_cpu_percent": final_cpu,
            "idle_stretch_cpu_percent": rest_cpu,
            "groups": {g: r.as_dict() for g, r in reports.items()},
            "dead_lettered": {service: log.count("event dead-lettered") for service, log in logs.items()},
        }
        return {"counts": counts, "checks": [asdict(c) for c in checks], "passed": all(c.ok for c in checks)}

    def _groups(self) -> dict[str, list[str]]:
        prefix = self.deployment.topic_prefix
        groups = {}
        for service in SERVICES:
            for subscription in _subscriptions(service):
                groups[f"{prefix}{service}.{subscription.name}"] = subscription.topics(prefix)
        return groups

    def _trickle_once(self) -> None:
        """One example event of every declared type, each in its owner's outbox."""
        for declared in event_types().values():
            owner = _owner(declared.source)
            runtime = self.runtimes.get(owner)
            if runtime is None:
                continue
            with runtime.db.transaction() as conn:
                runtime.outbox.record(conn, declared, example_data(declared))
            self.sent[declared.type] = self.sent.get(declared.type, 0) + 1

    def _wait_settled(self, groups: dict, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            reports = describe(self.admin, self.end_reader, groups)
            if all(r.state == "Stable" and r.caught_up for r in reports.values()):
                return
            if time.monotonic() > deadline:
                self.say(
                    "not settled: "
                    + ", ".join(f"{g}: {r.state}, {sum(r.behind.values())} behind" for g, r in reports.items())
                )
                return
            time.sleep(2)

    def _assignments(self) -> dict[str, int]:
        return {
            service: len(re.findall(r"partitions assigned in group", worker.log()))
            for service, worker in self.workers.items()
        }

    def _cpu_over(self, seconds: float) -> dict[str, float]:
        """Each worker's CPU over the next `seconds`, in % of one core."""
        pids = {service: worker.popen.pid for service, worker in self.workers.items()}
        before, started = {s: _cpu_seconds(p) for s, p in pids.items()}, time.monotonic()
        time.sleep(max(seconds, 1))
        elapsed = time.monotonic() - started
        return {s: round(100 * (_cpu_seconds(p) - before[s]) / elapsed, 2) for s, p in pids.items()}

    def close(self) -> None:
        for closer in (self.end_reader, self.admin):
            if closer is not None:
                closer.close()
        for worker in self.workers.values():
            worker.stop()
        for web in self.webs:
            web.stop()


def _subscriptions(service: str):
    from importlib import import_module

    return import_module(f"services.{service}.handlers").SUBSCRIPTIONS


def _owner(source: str) -> str:
    """The service named in an event source such as `/convene/enrolment`."""
    return next((s for s in SERVICES if s in source), "")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
