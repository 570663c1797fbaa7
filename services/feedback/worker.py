"""Feedback's worker process: outbox relay and consumers. `python -m services.feedback.worker`."""

from services.feedback.service import SERVICE

if __name__ == "__main__":
    SERVICE.run_worker()
