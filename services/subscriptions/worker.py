"""Subscriptions' worker process: the outbox relay and consumers every service runs, and the
delivery loop that sends webhooks. `python -m services.subscriptions.worker`."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

from services.subscriptions.delivery.dispatcher import LOOP_NAME, Dispatcher
from services.subscriptions.service import SERVICE
from shared import worker_health
from shared.worker import run_worker

log = logging.getLogger(__name__)


def main() -> int:
    runtime = SERVICE.build_runtime()
    stop, failed = threading.Event(), threading.Event()

    def deliver():
        try:
            Dispatcher(runtime).run(stop)
        except Exception as error:
            log.error("worker loop stopped", extra={"error": f"{LOOP_NAME}: {type(error).__name__}"})
            failed.set()
            os.kill(os.getpid(), signal.SIGTERM)  # stop the relay and consumers too: the supervisor restarts all

    worker_health.LOOPS.watch(LOOP_NAME)
    thread = threading.Thread(target=deliver, name=LOOP_NAME, daemon=True)
    thread.start()
    code = run_worker(runtime, list(SERVICE.subscriptions))
    stop.set()
    thread.join(timeout=30)
    return 1 if failed.is_set() else code


if __name__ == "__main__":
    sys.exit(main())
