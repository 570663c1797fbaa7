"""The subscriptions service on a real database and the real broker, its relay, consumers and
delivery loop on threads, and the example receiver of docs/subscribers.md on loopback."""

from __future__ import annotations

import importlib.util
import socket
import threading
from pathlib import Path

from services.subscriptions.delivery.dispatcher import Dispatcher
from shared import kafka
from shared.asyncapi import example_data
from shared.contracts.registry import EventType
from shared.envelope import Envelope
from tests.harness import RunningService, service_environment

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "webhook_receiver.py"

# Fast retries so a drill of a minute sees many attempts; loopback sinks on plain HTTP.
FAST = {
    "WEBHOOK_ALLOW_HTTP": "true",
    "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
    "WEBHOOK_RETRY_BASE_SECONDS": "0.2",
    "WEBHOOK_RETRY_CAP_SECONDS": "1.5",
    "WEBHOOK_POLL_SECONDS": "0.1",
    "WEBHOOK_TIMEOUT_SECONDS": "2",
}


def example_receiver_module():
    spec = importlib.util.spec_from_file_location("webhook_receiver", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LoopbackReceiver:
    """The example receiver on a fixed loopback port, which a test can take down and bring back."""

    def __init__(self, secrets: list[str]):
        self.module = example_receiver_module()
        self.receiver = self.module.Receiver(secrets)
        self.port = free_port()
        self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def up(self) -> LoopbackReceiver:
        self.server = self.module.serve(self.receiver, self.port)
        return self

    def down(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class WebhookWorld:
    def __init__(self, database_url: str, kafka_bootstrap: str, topic_prefix: str, public_key, **environ):
        env = service_environment(database_url, kafka_bootstrap, topic_prefix, public_key) | FAST | environ
        self.service = RunningService("subscriptions", env)
        self.runtime, self.client, self.settings = self.service.runtime, self.service.client, self.service.settings
        self.producer = None

    def start(self) -> WebhookWorld:
        self.service.start_worker()
        thread = threading.Thread(target=Dispatcher(self.runtime).run, args=(self.service._stop,), daemon=True)
        thread.start()
        self.service._threads.append(thread)
        self.producer = kafka.producer(self.settings)
        return self

    def publish(self, declared: EventType, **data) -> Envelope:
        """An event of `declared` as its owner would send it: an example with `data` over it."""
        values = example_data(declared) | data
        declared.validate(values)  # as strictly as its owner's outbox would
        envelope = Envelope(
            type=declared.type,
            source=declared.source,
            data=values,
            subject=str(values[declared.subject_field]),
            partitionkey=declared.key_of(values),
            region=values.get("region"),
        )
        self.producer.send(
            declared.topic.address(self.settings.topic_prefix),
            key=envelope.partitionkey.encode(),
            value=envelope.value(),
            headers=envelope.headers(),
        )
        self.producer.flush(timeout=20)
        return envelope

    def stop(self) -> None:
        if self.producer is not None:
            self.producer.close(timeout=2)
        self.service.stop()
