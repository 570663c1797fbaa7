"""The worker process of a service: the outbox relay plus the service's consumers.

It runs apart from the web process so the two scale independently. On SIGTERM it stops
cleanly; if any loop dies it stops the rest and exits non-zero so a supervisor restarts it.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading

from shared import kafka, logs, worker_health
from shared.consumer import Consumer, Subscription
from shared.relay import Relay
from shared.runtime import Runtime

log = logging.getLogger(__name__)
MAX_TOPIC_WAIT_SECONDS = 15.0


def run_worker(runtime: Runtime, subscriptions: list[Subscription]) -> int:
    settings = runtime.settings
    logs.configure(settings.service, settings.log_level)
    stop = threading.Event()
    failed = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if settings.worker_metrics_port:
        # Served before Kafka is reached: a worker waiting for the broker is alive, not stalled.
        worker_health.serve(
            settings.worker_metrics_port, worker_health.LOOPS, settings.worker_stall_seconds, settings.service
        )
    if not _ensure_topics_patiently(settings, stop):
        return 0  # stopped before Kafka was reachable
    loops = [("relay", Relay(settings, runtime.db).run)]
    loops += [(f"consumer:{s.name}", Consumer(settings, runtime.db, s).run) for s in subscriptions]

    def guarded(name, loop):
        try:
            loop(stop)
        except Exception as error:
            log.error("worker loop stopped", extra={"error": f"{name}: {type(error).__name__}"})
            failed.set()
            stop.set()

    # Each thread is named after its loop: that name is what worker_health.beat() records.
    threads = [threading.Thread(target=guarded, args=item, name=item[0], daemon=True) for item in loops]
    for name, _loop in loops:
        worker_health.LOOPS.watch(name)
    for thread in threads:
        thread.start()
    log.info("worker started", extra={"count": len(threads)})
    while not stop.is_set():
        stop.wait(0.5)
    for thread in threads:
        thread.join(timeout=15)
    runtime.db.dispose()
    return 1 if failed.is_set() else 0


def _ensure_topics_patiently(settings, stop: threading.Event) -> bool:
    """Create the topics, waiting for Kafka if it is not up yet: a worker started before the
    broker (a fresh `make up`, a cluster restart) waits for it rather than exiting."""
    delay = 1.0
    while not stop.is_set():
        try:
            kafka.ensure_topics(settings)
            return True
        except Exception as error:  # kafka-python raises several unrelated classes for "unreachable"
            log.warning("Kafka unreachable; retrying", extra={"error": type(error).__name__})
            stop.wait(delay)
            delay = min(delay * 2, MAX_TOPIC_WAIT_SECONDS)
    return False


def main(runtime_factory, subscriptions) -> None:
    sys.exit(run_worker(runtime_factory(), subscriptions))
