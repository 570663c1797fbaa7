"""What a drill runs: enrolment's web (gunicorn) and worker and scheduling's worker as real
processes under a supervisor, on a fresh deployment with offers and participants, plus the
broker and PostgreSQL controls (deploy/kafka/kafka.sh, deploy/postgres/postgres.sh)."""

from __future__ import annotations

import subprocess
import time

from bench import seed
from bench.drill_load import EnrolmentLoad
from bench.invariants import Check, check_all, converge
from bench.procs import Supervisor, Web, service_worker
from bench.stack import Deployment
from shared import kafka
from tests.processes import REPO

CAPACITIES = (2, 3, 4, 5, 8, 12, 20, 40)  # small offers fill up, so waitlists and promotions happen


class DrillStack:
    def __init__(
        self,
        deployment: Deployment,
        *,
        kafka_dir: str,
        postgres: tuple[str, str] | None,
        app_spec: str | None = None,
        environ: dict | None = None,
        say=print,
    ):
        self.deployment = deployment
        self.kafka_dir = kafka_dir
        self.postgres = postgres  # (port, data folder) of the PostgreSQL cluster, for the restart drill
        self.say = say
        self.enrolment = deployment.runtime("enrolment")
        self.scheduling = deployment.runtime("scheduling")
        self.group = f"{deployment.topic_prefix}scheduling.rosters"
        kafka.ensure_topics(self.enrolment.settings)
        seed.reference_data(self.enrolment)
        self.participants = seed.participants(self.enrolment, 1500)
        extra = environ or {}
        self.web = Web(
            app_spec or "services.enrolment.app:create_app()",
            deployment.environ("enrolment", **extra),
            deployment.logs,
            workers=3,
            name="enrolment-web",
        ).start()
        self.supervisor = Supervisor()
        for service in ("enrolment", "scheduling"):
            self.supervisor.add(service, self.worker(service))
        self.admin = deployment.headers()
        self.offers = [seed.offers(self.web.base_url, self.admin, 1, capacity=c)[0] for c in CAPACITIES]
        self.load: EnrolmentLoad | None = None
        # Steady state before any fault: both workers up, the offers' events already applied.
        converge(self.enrolment, self.scheduling, self.group, timeout=180)

    def worker(self, service: str):
        return service_worker(service, self.deployment.environ(service), self.deployment.logs)

    def start_load(self, rate: float) -> EnrolmentLoad:
        self.load = EnrolmentLoad(self.web.base_url, self.admin, self.offers, self.participants, rate=rate).start()
        return self.load

    def applied(self) -> int:
        from bench.pipeline import applied

        return applied(self.scheduling, self.group)

    def finish(self, ignore_event_ids: frozenset = frozenset()) -> tuple[list[Check], dict]:
        """Stop the load, wait until every event arrived, and check the invariants."""
        self.load.stop()
        self.say(f"load stopped: {self.load.counts()}")
        try:
            waited = converge(self.enrolment, self.scheduling, self.group)
            self.say(f"every event reached scheduling {waited:.1f} s after the load stopped")
        except TimeoutError as error:
            self.say(str(error))
        checks, counts = check_all(
            self.load, self.enrolment, self.scheduling, self.group, ignore_event_ids=ignore_event_ids
        )
        return checks, {**self.load.counts(), **counts, "worker_restarts": dict(self.supervisor.restarts)}

    # --- faults --------------------------------------------------------------------------

    def broker(self, action: str) -> None:
        """kill | pause | resume | start the drill's broker."""
        port = self.deployment.kafka_bootstrap.rsplit(":", 1)[1]
        args = ["start", port, self.kafka_dir] if action == "start" else [action, self.kafka_dir]
        subprocess.run(
            [str(REPO / "deploy" / "kafka" / "kafka.sh"), *args], check=True, capture_output=True, timeout=120
        )

    def restart_postgres(self) -> None:
        port, folder = self.postgres
        subprocess.run(
            [str(REPO / "deploy" / "postgres" / "postgres.sh"), "restart", port, folder],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def wait_applied_beyond(self, count: int, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while (now := self.applied()) <= count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"scheduling applied nothing beyond {count} events in {timeout:.0f}s")
            time.sleep(0.05)
        return now

    def close(self) -> dict[str, str]:
        if self.load is not None and not self.load._stop.is_set():
            self.load.stop()
        logs = {"enrolment-web": self.web.log()[-3000:], **self.supervisor.logs()}
        self.supervisor.stop_all()
        self.web.stop()
        return logs
