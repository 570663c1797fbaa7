"""Enrolment's worker process: outbox relay, consumers, and the notifier that sends participants
their e-mails (services.enrolment.notifier). `python -m services.enrolment.worker`."""

import sys
import threading

from services.enrolment.notifier.sender import Notifier
from services.enrolment.service import SERVICE
from shared import worker_health
from shared.worker import run_worker


def main() -> int:
    runtime = SERVICE.build_runtime()
    stop = threading.Event()
    notifier = Notifier(runtime.settings, runtime.db)  # a misconfigured channel stops the worker here
    # Named "notifier": its heartbeat is that thread name's (shared.worker_health), watched like every loop.
    thread = threading.Thread(target=notifier.run, args=(stop,), name="notifier", daemon=True)
    worker_health.LOOPS.watch("notifier")
    thread.start()
    try:
        return run_worker(runtime, SERVICE.subscriptions)
    finally:
        stop.set()
        thread.join(timeout=15)


if __name__ == "__main__":
    sys.exit(main())
