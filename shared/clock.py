"""UTC time helpers: SQLite hands back naive datetimes, so everything read is pinned to UTC.

`as_of` lets the demo loaders play out a history: inside it, `utcnow` (and so every use case,
rule and event time that reads it) answers the moment given instead of the wall clock. It is
a context variable, so it holds only for the code inside the block, in that thread; nothing
in a request or a worker sets it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_as_of: ContextVar[datetime | None] = ContextVar("convene_as_of", default=None)


def utcnow() -> datetime:
    return _as_of.get() or datetime.now(UTC)


@contextmanager
def as_of(moment: datetime) -> Iterator[None]:
    """Run the block as if it were `moment` (timezone-aware) by `utcnow`."""
    if moment.tzinfo is None:
        raise ValueError("as_of needs a timezone-aware moment")
    token = _as_of.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _as_of.reset(token)


def as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
