"""Feedback's worker process: outbox relay and consumers. `python -m services.feedback.worker`."""
from shared.worker import main
from services.feedback.app import build_runtime
from services.feedback.handlers import SUBSCRIPTIONS

if __name__ == "__main__":
    main(build_runtime, SUBSCRIPTIONS)
