"""Enrolment's worker process: outbox relay and consumers. `python -m services.enrolment.worker`."""
from shared.worker import main
from services.enrolment.app import build_runtime
from services.enrolment.handlers import SUBSCRIPTIONS

if __name__ == "__main__":
    main(build_runtime, SUBSCRIPTIONS)
