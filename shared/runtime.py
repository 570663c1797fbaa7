"""What a service process holds: its settings, database, outbox and Kafka readiness probe."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import MetaData

from shared import kafka
from shared.config import Settings
from shared.db import Database
from shared.outbox import Outbox
from shared.unit import Unit


class KafkaProbe:
    """Answers whether Kafka is reachable, asking the broker at most every few seconds."""

    TTL_SECONDS = 3.0

    def __init__(self, settings: Settings):
        self.settings = settings
        self._client = None
        self._checked_at = 0.0
        self._ok = False
        self._lock = threading.Lock()

    def reachable(self) -> bool:
        with self._lock:
            if time.monotonic() - self._checked_at < self.TTL_SECONDS:
                return self._ok
            try:
                if self._client is None:
                    self._client = kafka.admin(self.settings, bootstrap_timeout_ms=2000)
                self._client.describe_cluster()
                self._ok = True
            except Exception:
                self._ok = False
                self._close()
            self._checked_at = time.monotonic()
            return self._ok

    def _close(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            except Exception:
                pass
            self._client = None


@dataclass
class Runtime:
    settings: Settings
    db: Database
    outbox: Outbox
    kafka_probe: KafkaProbe = field(repr=False, default=None)

    @classmethod
    def build(cls, settings: Settings, metadata: MetaData) -> Runtime:
        db = Database(
            settings.database_url,
            metadata,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        )
        outbox = Outbox(db.tables.outbox, settings.topic_prefix)
        return cls(settings=settings, db=db, outbox=outbox, kafka_probe=KafkaProbe(settings))

    def unit(self, conn, principal=None) -> Unit:
        """The unit of work of a transaction on this service's database."""
        return Unit(conn, self.outbox, self.settings, principal)
