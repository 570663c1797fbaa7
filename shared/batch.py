"""Batched apply: what the handlers of one consumer transaction (a poll's events, shared.consumer)
may share, so that a poll costs a few multi-row statements rather than several per event.

The consumer opens a `Batch` for each transaction it applies events in and keeps it in the
connection's `info` while the transaction lasts; `current(conn)` finds it (None outside a
consumer, e.g. under a request: then a store writes at once, as it always did).

- Before its events' handlers run, each handler that has a `prepare(events, unit)` attribute is
  given all its events of the transaction at once (e.g. shared.erasures looks up every person
  of the poll in one statement); what it found is kept in `cache`.
- A store may `defer` a write: it is queued under a key and written, with the others of that
  key, in one statement by the key's `flush(conn, items)`. A deferred write must be invisible
  to nothing: a store flushes its own key before it reads what the key writes, the consumer
  flushes everything before a handler that is not marked `batched` (`batched(handler)`: it
  touches the database only through stores that flush before they read), and again before the
  transaction ends, so the effects and the inbox rows still commit together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection

_KEY = "convene.batch"


class Batch:
    def __init__(self) -> None:
        self.cache: dict[Any, Any] = {}
        self._pending: dict[str, tuple[Callable[[Connection, list], None], list]] = {}

    def defer(self, key: str, flush: Callable[[Connection, list], None], item) -> None:
        """Queue `item` to be written by `flush(conn, items)` with the others of `key`, in order."""
        self._pending.setdefault(key, (flush, []))[1].append(item)

    def flush(self, conn: Connection, key: str | None = None) -> None:
        """Write what is queued (under `key` only, if given), in the order the keys were first used."""
        for name in [key] if key is not None else list(self._pending):
            queued = self._pending.pop(name, None)
            if queued and queued[1]:
                queued[0](conn, queued[1])


def current(conn: Connection) -> Batch | None:
    """The batch of the consumer transaction `conn` is in, or None."""
    return conn.info.get(_KEY)


@contextmanager
def batching(conn: Connection) -> Iterator[Batch]:
    """A batch for the transaction of `conn`, until the block ends (flush it before: see above)."""
    batch = Batch()
    conn.info[_KEY] = batch
    try:
        yield batch
    finally:
        conn.info.pop(_KEY, None)  # conn.info outlives the transaction (it is the pooled connection's)


def batched(handler):
    """Mark `handler` as safe to run while other handlers' writes are still queued."""
    handler.batched = True
    return handler


def is_batched(handler) -> bool:
    return getattr(handler, "batched", False)
