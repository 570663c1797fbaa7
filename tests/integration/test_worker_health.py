"""A real worker process serves /metrics (Prometheus) and /healthz on WORKER_METRICS_PORT:
/healthz stays 200 while every loop goes on iterating, with or without work, and answers 503
naming the loop that has made no progress for WORKER_STALL_SECONDS."""

from __future__ import annotations

import time

import pytest
import requests

from services.enrolment.store import metadata
from services.registry import declaration
from shared import migrate
from shared.contracts.enrolment import ENROLMENT_WAITLISTED
from shared.db import Database
from shared.outbox import Outbox
from tests.harness import eventually
from tests.payloads import waitlisted
from tests.processes import WorkerProcess, free_port


@pytest.fixture
def worker(kafka_bootstrap, topic_prefix, tmp_path, postgres_admin_url):
    """Start `module` (a worker) on a fresh PostgreSQL database, migrated; yields (base URL, db)."""
    from tests.conftest import DatabaseFactory

    factory = DatabaseFactory("postgres", tmp_path, postgres_admin_url)
    started = []

    def start(module: str, stall_seconds: float):
        url = factory.new("enrolment")
        db = Database(url, metadata)
        migrate.upgrade(declaration("enrolment"), db)
        port = free_port()
        environ = {
            "DATABASE_URL": url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "CONVENE_TOPIC_PREFIX": topic_prefix,
            "WORKER_METRICS_PORT": str(port),
            "WORKER_STALL_SECONDS": str(stall_seconds),
            "RELAY_IDLE_SECONDS": "0.01",
            "LOG_LEVEL": "INFO",
        }
        process = WorkerProcess(module, environ, tmp_path).start()
        started.append((process, db))
        return f"http://127.0.0.1:{port}", db, process

    yield start
    for process, db in started:
        process.kill()
        db.dispose()
    factory.drop_all()


def _get(url: str):
    """The answer, or None while nothing listens yet. (A Response is falsy when its status is an error.)"""
    try:
        return requests.get(url, timeout=5)
    except requests.RequestException:
        return None


def _record_waitlisted(db: Database, topic_prefix: str) -> None:
    with db.transaction() as conn:
        Outbox(db.tables.outbox, topic_prefix).record(conn, ENROLMENT_WAITLISTED, waitlisted())


# Enrolment's worker loops: the outbox relay, the consumer of scheduling's events, the e-mail notifier.
LOOPS = {"relay", "consumer:attendance", "notifier"}


def test_an_idle_worker_stays_alive_and_its_metrics_show_the_relays_work(worker, topic_prefix):
    base, db, process = worker("services.enrolment.worker", stall_seconds=3)
    # Alive from the start (while it reaches Kafka no loop runs yet), then with its loops listed.
    alive = eventually(
        lambda: (
            (r := _get(base + "/healthz")) is not None
            and r.status_code == 200
            and set(r.json()["seconds_since_progress"]) >= LOOPS
            and r.json()
        ),
        timeout=60,
        message="the worker's loops to report",
    )
    assert alive["status"] == "alive" and set(alive["seconds_since_progress"]) == LOOPS

    time.sleep(5)  # longer than the window, with no work at all: idle iterations are progress
    idle = _get(base + "/healthz")
    assert idle.status_code == 200, idle.text
    assert max(idle.json()["seconds_since_progress"].values()) < 3

    _record_waitlisted(db, topic_prefix)
    scraped = eventually(
        lambda: (
            (r := _get(base + "/metrics")) is not None
            and 'convene_relay_published_total{service="enrolment"} 1.0' in r.text
            and r.text
        ),
        timeout=60,
        message="the relay's published counter",
    )
    assert "convene_relay_publish_seconds_count" in scraped
    assert 'convene_worker_loop_seconds_since_progress{loop="relay",service="enrolment"}' in scraped
    assert _get(base + "/nothing").status_code == 404


def test_a_loop_that_stops_making_progress_fails_the_liveness_probe_by_name(worker, topic_prefix):
    base, db, process = worker("tests.integration.stalling_worker", stall_seconds=4)
    eventually(
        lambda: (
            (r := _get(base + "/healthz")) is not None
            and r.status_code == 200
            and "consumer:hangs" in r.json()["seconds_since_progress"]
        ),
        timeout=60,
        message="the worker's loops to report",
    )

    _record_waitlisted(db, topic_prefix)  # the `hangs` consumer's handler never returns
    stalled = eventually(
        lambda: (r := _get(base + "/healthz")) is not None and r.status_code == 503 and r.json(),
        timeout=90,
        message="the stalled consumer to fail the probe",
    )
    assert stalled["status"] == "stalled"
    assert stalled["stalled"] == ["consumer:hangs"]  # the relay goes on
    assert stalled["seconds_since_progress"]["consumer:hangs"] > 4
    assert process.running()  # the probe decides; the worker itself does not exit
    assert "worker loop stalled" in process.log()
