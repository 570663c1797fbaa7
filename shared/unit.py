"""One unit of work: a transaction, who acts in it, the service's settings, and the events it
causes. Both entry points build one per transaction, the HTTP request (shared.api) and the
consumed event (shared.consumer), so a use case runs the same under either, and a handler can
call a use case. Its `record` is the only way a service emits an event."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from shared.auth import Principal
from shared.contracts.registry import EventType
from shared.db import after_commit
from shared.envelope import Envelope


@dataclass
class Unit:
    conn: Connection
    outbox: Any  # shared.outbox.Outbox, or shared.outbox.MemoryOutbox where no I/O is the point
    settings: Any  # the service's Settings
    principal: Principal | None = None  # None when an event, not a caller, caused the work
    recorded: list[Envelope] = field(default_factory=list)  # what `record` queued, in order (shared.consistency)

    def record(self, event_type: EventType, data: dict, *, region: str | None = None) -> Envelope:
        """Queue an event in this transaction: it is published once the transaction commits, and
        never if it rolls back. Raises ValidationError if `data` does not fit the declaration."""
        envelope = self.outbox.record(self.conn, event_type, data, region=region)
        self.recorded.append(envelope)
        return envelope

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once this transaction has committed, never otherwise."""
        after_commit(self.conn, action)
