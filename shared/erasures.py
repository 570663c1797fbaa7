"""Erased participants, remembered by a consuming service so that an erasure stays applied
whatever order events arrive in.

`participant.erased` travels under the participant's key; what other events say about the same
person travels under other keys (an offer's, a session's) and on other topics, so it can reach
a service after the erasure: enrolment's own earlier events, scheduling's attendance recorded
before scheduling heard of the erasure, or a replay or rebuild of a projection from a topic's
beginning. Applied as they stand, they would write the erased id back.

So the erasure handler also records the person here, in its own transaction: never the id, only
a keyed blind index of it (shared.sealing.blind_index, under a key of the service that never
sits in the database in the clear), with the pseudonym the erasure gave the person and when
they were erased. `honouring_erasures` wraps a service's handlers: an event whose data names
an erased person (in any of `PERSON_FIELDS`) is applied with the pseudonym in place of the id,
then the service's `settle` does to the pseudonym what the erasure did to the id, so the result
is what it would have been had the event arrived before the erasure.

The record is not a projection: rebuilds and replays keep it, and go through the same wrapper.

Two consumer groups of one service (feedback reads enrolment's and scheduling's topics in two)
apply an erasure and an event about the same person in concurrent transactions: on PostgreSQL,
under READ COMMITTED, the event's transaction could find no erasure and write the id while the
erasure's could not yet see that row to delete it. So both take a transaction-scoped advisory
lock on the person's index first, the erasure exclusive and the event shared, and the event
looks for the erasure only once it holds its lock. (SQLite transactions begin IMMEDIATE: one
writer at a time already.)

A replay applies a whole topic in one transaction, and a lock per person would stay held until it
ends: a million people outgrow PostgreSQL's lock table ("out of shared memory"). So a replay
takes one lock on everyone instead (`everyone_locked`), exclusive, which every erasure takes
shared before its person's: no erasure runs beside a replay, and the replay's events take no
lock of their own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Column, Connection, DateTime, MetaData, String, Table, bindparam, select, text

from shared.batch import current
from shared.db import dialect_insert
from shared.envelope import Envelope
from shared.sealing import blind_index
from shared.unit import Unit

TABLE = "erased_participants"
# Every field of consumed events that holds a participant's id (facilitators and coaches are staff).
PERSON_FIELDS = ("participant_id",)
_INDEX_CONTEXT = "erased participant "
# The advisory lock on everyone (a replay's); a person's key is 64 bits of an HMAC, so never this.
_EVERYONE_KEY = int.from_bytes(b"everyone", "big", signed=True)
_EVERYONE_HELD = "convene.erasures.everyone"  # in conn.info while the transaction holds it

Handler = Callable[[Envelope, Unit], None]


def table(metadata: MetaData) -> Table:
    """The erased-participants table of a service's metadata (declared once, found thereafter)."""
    if TABLE in metadata.tables:
        return metadata.tables[TABLE]
    return Table(
        TABLE,
        metadata,
        Column("participant_index", String(64), primary_key=True),  # blind_index(key, id): never the id
        Column("pseudonym", String(64), nullable=False),
        Column("erased_at", DateTime(timezone=True), nullable=False),
    )


@dataclass(frozen=True)
class Erased:
    pseudonym: str
    erased_at: datetime


@dataclass(frozen=True)
class ErasureRecord:
    """Where a service remembers its erasures, and how.

    `key`: the service's blind-index key (bytes, 32 or more), from its unit of work.
    `settle`: what the erasure does to a person, done to the pseudonym after an event about an
    erased person was applied under it (None: the pseudonymised event leaves nothing to undo)."""

    table: Table
    key: Callable[[Unit], bytes]
    settle: Callable[[Unit, Erased], None] | None = None

    def index(self, unit: Unit, participant_id: str) -> str:
        return blind_index(self.key(unit), _INDEX_CONTEXT + participant_id)

    def remember(self, unit: Unit, participant_id: str, pseudonym: str, erased_at: datetime) -> str:
        """Record an erasure, before the erasure changes anything; the first one stands (a
        replay or a second erasure keeps its pseudonym), and its pseudonym is returned."""
        index = self.index(unit, participant_id)
        _lock_key(unit.conn, _EVERYONE_KEY, exclusive=False)  # waits for a replay to end
        _lock(unit.conn, index, exclusive=True)
        row = {"participant_index": index, "pseudonym": pseudonym, "erased_at": erased_at}
        unit.conn.execute(dialect_insert(unit.conn, self.table).values(**row).on_conflict_do_nothing())
        found = _find(unit.conn, self.table, index)
        known = self._known(unit)
        if known is not None:
            known[index] = found  # later events of the batch see the erasure, as they would in the table
        return found.pseudonym

    def find(self, unit: Unit, participant_id: str) -> Erased | None:
        """The person's erasure, if any; the caller then holds a shared lock on them (see above)."""
        index = self.index(unit, participant_id)
        known = self._known(unit)
        if known is not None and index in known:
            return known[index]  # looked up, under its lock, by `prefetch` in this transaction
        _lock(unit.conn, index, exclusive=False)
        return _find(unit.conn, self.table, index)

    def prefetch(self, unit: Unit, events: list[Envelope]) -> None:
        """Look up, in one statement, the erasure of every person the consumer batch's `events`
        name, after taking their shared locks; `find` answers from it for the rest of the batch
        (shared.batch), and `remember` keeps it current. Outside a batch it does nothing."""
        known = self._known(unit, create=True)
        if known is None:
            return
        indexes = sorted(
            {
                self.index(unit, event.data[name])
                for event in events
                for name in PERSON_FIELDS
                if isinstance(event.data.get(name), str)
            }
            - known.keys()
        )
        if not indexes:
            return
        _lock_all(unit.conn, indexes)
        found = {index: None for index in indexes}
        for row in unit.conn.execute(_find_many(self.table), {"indexes": indexes}):
            found[row.participant_index] = Erased(row.pseudonym, row.erased_at)
        known.update(found)

    def _known(self, unit: Unit, *, create: bool = False) -> dict | None:
        """What this batch knows of erasures (index → Erased or None), or None outside a batch."""
        batch = current(unit.conn)
        if batch is None:
            return None
        key = ("erasures", self.table.name)
        return batch.cache.setdefault(key, {}) if create else batch.cache.get(key)

    def guard(self, handler: Handler) -> Handler:
        """`handler`, applying an event about an erased person as the erasure would have left it."""

        @functools.wraps(handler)
        def guarded(event: Envelope, unit: Unit) -> None:
            erased = {
                name: found
                for name in PERSON_FIELDS
                if isinstance(event.data.get(name), str) and (found := self.find(unit, event.data[name])) is not None
            }
            if not erased:
                handler(event, unit)
                return
            handler(replace(event, data={**event.data, **{n: e.pseudonym for n, e in erased.items()}}), unit)
            if self.settle is not None:
                for found in erased.values():
                    self.settle(unit, found)

        guarded.prepare = lambda events, unit: self.prefetch(unit, events)  # the batch's people at once
        return guarded


def honouring_erasures(handlers: dict[str, Handler], record: ErasureRecord, *, erasures: Iterable[str]) -> dict:
    """Every handler guarded by `record`, but those of the erasure events themselves (`erasures`,
    event types), which must see the id they erase."""
    skipped = set(erasures)
    return {t: handler if t in skipped else record.guard(handler) for t, handler in handlers.items()}


@contextmanager
def everyone_locked(conn: Connection) -> Iterator[None]:
    """For a transaction that applies events about any number of people (a replay): one exclusive
    lock on everyone, held to its end, in place of a shared lock per person (see above)."""
    _lock_key(conn, _EVERYONE_KEY, exclusive=True)
    conn.info[_EVERYONE_HELD] = True
    try:
        yield
    finally:
        conn.info.pop(_EVERYONE_HELD, None)  # conn.info outlives the transaction (the pooled connection's)


def _lock(conn: Connection, index: str, *, exclusive: bool) -> None:
    if exclusive or not conn.info.get(_EVERYONE_HELD):
        _lock_key(conn, int.from_bytes(bytes.fromhex(index[:16]), "big", signed=True), exclusive=exclusive)


def _lock_key(conn: Connection, key: int, *, exclusive: bool) -> None:
    if conn.dialect.name != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    conn.execute(text(f"SELECT {function}(:key)"), {"key": key})


def _lock_all(conn: Connection, indexes: list[str]) -> None:
    """Shared locks on every index (sorted, as `prefetch` passes them), in one statement."""
    if conn.dialect.name != "postgresql" or conn.info.get(_EVERYONE_HELD):
        return
    keys = [int.from_bytes(bytes.fromhex(index[:16]), "big", signed=True) for index in indexes]
    conn.execute(
        text("SELECT count(pg_advisory_xact_lock_shared(k)) FROM unnest(CAST(:keys AS bigint[])) AS k"),
        {"keys": keys},
    )


def _find_many(erased: Table):
    return select(erased.c.participant_index, erased.c.pseudonym, erased.c.erased_at).where(
        erased.c.participant_index.in_(bindparam("indexes", expanding=True))
    )


def _find(conn: Connection, erased: Table, index: str) -> Erased | None:
    row = conn.execute(
        select(erased.c.pseudonym, erased.c.erased_at).where(erased.c.participant_index == index)
    ).first()
    return None if row is None else Erased(row.pseudonym, row.erased_at)
