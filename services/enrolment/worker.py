"""Enrolment's worker process: outbox relay and consumers. `python -m services.enrolment.worker`."""

from services.enrolment.service import SERVICE

if __name__ == "__main__":
    SERVICE.run_worker()
