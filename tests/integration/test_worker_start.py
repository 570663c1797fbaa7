"""A worker started before Kafka is reachable waits for it instead of exiting: on a fresh
`make up` or a cluster restart the broker may come up after the services.

The broker's address is a port where nothing listens at first; a plain TCP forwarder to the
real broker opens on it later (clients then follow the broker's advertised address)."""

from __future__ import annotations

import socket
import threading

from sqlalchemy import select

from services.enrolment.store import metadata
from shared.contracts.enrolment import ENROLMENT_WAITLISTED
from shared.db import Database
from shared.outbox import Outbox
from tests.harness import eventually
from tests.payloads import waitlisted
from tests.processes import WorkerProcess, free_port


class Forwarder:
    """Accepts on `port` and pipes each connection to `target`, byte for byte."""

    def __init__(self, port: int, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", port))
        self.closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()

    def close(self) -> None:
        self.closed.set()
        self.listener.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        sink.close()


def test_a_worker_started_before_kafka_waits_for_it_then_publishes(databases, kafka_bootstrap, topic_prefix, tmp_path):
    port = free_port()
    url = databases.new("enrolment")
    environ = {
        "DATABASE_URL": url,
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}",
        "CONVENE_TOPIC_PREFIX": topic_prefix,
        "LOG_LEVEL": "INFO",
    }
    db = Database(url, metadata)
    db.create_schema()
    with db.transaction() as conn:
        Outbox(db.tables.outbox, topic_prefix).record(conn, ENROLMENT_WAITLISTED, waitlisted())
    worker = WorkerProcess("services.enrolment.worker", environ, tmp_path).start()
    forwarder = None
    try:
        eventually(
            lambda: "Kafka unreachable; retrying" in worker.log(),
            timeout=60,
            message="the worker to report Kafka unreachable",
        )
        assert worker.running(), f"the worker exited while Kafka was away:\n{worker.log()[-2000:]}"

        host, broker_port = kafka_bootstrap.rsplit(":", 1)
        forwarder = Forwarder(port, (host, int(broker_port)))
        eventually(
            lambda: _published(db), timeout=90, message="the outbox event to be published once Kafka was reachable"
        )
        assert worker.running()
        worker.stop()
        assert worker.popen.returncode == 0, worker.log()[-2000:]
    finally:
        worker.kill()
        if forwarder:
            forwarder.close()
        db.dispose()


def _published(db: Database) -> bool:
    outbox = db.tables.outbox
    with db.read() as conn:
        return conn.execute(select(outbox.c.published_at)).scalar_one() is not None
