"""Scheduling's worker process: outbox relay and consumers. `python -m services.scheduling.worker`."""

from services.scheduling.service import SERVICE

if __name__ == "__main__":
    SERVICE.run_worker()
