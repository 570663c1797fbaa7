"""Run Convene services inside a test: real databases, the real broker, real relay and
consumers on threads, and the Flask app through its test client."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from services.registry import declaration
from shared import kafka
from shared.consumer import Consumer
from shared.relay import Relay
from shared.sealing import new_kek_text

# The tests' own key-encryption key of personal data, new in every test process.
PERSONAL_DATA_KEY = new_kek_text()


def service_environment(database_url: str, kafka_bootstrap: str, topic_prefix: str, public_key) -> dict:
    return {
        "DATABASE_URL": database_url,
        "PERSONAL_DATA_KEY": PERSONAL_DATA_KEY,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "CONVENE_TOPIC_PREFIX": topic_prefix,
        "JWT_PUBLIC_KEY_FILE": str(public_key),
        "LOG_LEVEL": "WARNING",
        "RELAY_IDLE_SECONDS": "0.01",
    }


class RunningService:
    def __init__(self, name: str, environ: dict):
        self.name = name
        self.service = declaration(name)
        self.settings = self.service.load_settings(environ)
        self.runtime = self.service.build_runtime(self.settings)
        self.runtime.db.create_schema()
        self.app = self.service.create_app(runtime=self.runtime)
        self.client = self.app.test_client()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start_worker(self) -> RunningService:
        subscriptions = self.service.subscriptions
        kafka.ensure_topics(self.settings)
        loops = [Relay(self.settings, self.runtime.db).run] + [
            Consumer(self.settings, self.runtime.db, s).run for s in subscriptions
        ]
        for loop in loops:
            thread = threading.Thread(target=loop, args=(self._stop,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=20)
        self.runtime.db.dispose()


def eventually(
    check: Callable[[], object], *, timeout: float = 30.0, interval: float = 0.1, message: str = "condition"
):
    """Poll until `check` returns something truthy; fail with `message` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)
