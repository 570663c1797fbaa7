"""Scheduling's worker process: outbox relay and consumers. `python -m services.scheduling.worker`."""
from shared.worker import main
from services.scheduling.app import build_runtime
from services.scheduling.handlers import SUBSCRIPTIONS

if __name__ == "__main__":
    main(build_runtime, SUBSCRIPTIONS)
