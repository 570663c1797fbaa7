"""The data keys of crypto-shredding (shared.sealing), kept wrapped in a service's own database.

One row per record that holds personal data (a participant, a free-text answer), named by the
record's id, plus service-wide keys under reserved names (the e-mail blind-index key). Only
wrapped keys are stored; the key-encryption keys come from the service's settings
(PERSONAL_DATA_KEY or PERSONAL_DATA_KEY_FILE) and are bound to the database's engine once,
as the outbox is, so stores, event handlers and migrations reach them through their
connection. Destroying a record's row is what erases its personal data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from weakref import WeakKeyDictionary

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    insert,
    select,
    update,
)

from shared.clock import utcnow
from shared.config import PersonalDataSettings
from shared.db import dialect_insert
from shared.sealing import KeyRing, new_data_key, new_kek_text

TABLE = "data_keys"


def table(metadata: MetaData) -> Table:
    """The data-key table of a service's metadata (declared once, found thereafter)."""
    if TABLE in metadata.tables:
        return metadata.tables[TABLE]
    return Table(
        TABLE,
        metadata,
        Column("record_id", String(64), primary_key=True),
        Column("wrapped", String(200), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )


def load_ring(settings: PersonalDataSettings) -> KeyRing:
    """The service's KEKs: PERSONAL_DATA_KEY, else the file PERSONAL_DATA_KEY_FILE names."""
    if settings.personal_data_key:
        return KeyRing.parse(settings.personal_data_key)
    path = Path(settings.personal_data_key_file)
    if not path.is_file():
        raise RuntimeError(
            f"no key-encryption key for personal data: set PERSONAL_DATA_KEY, or create {path} with `python -m "
            "services.cli keys`"
        )
    return KeyRing.parse(path.read_text())


def create_development_key(path: Path) -> bool:
    """Write a new KEK to `path` unless it exists (readable by its owner only); True if made.
    For development: production keeps its KEK in a secret store (PERSONAL_DATA_KEY)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # of two makers, one wins
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w") as file:
        file.write(new_kek_text() + "\n")
    return True


@dataclass
class Binding:
    """A database's key ring and data-key table (None: the service keeps each data key inside
    its sealed value, `sealing.seal_enveloped`). The ring is read on first use, so a process
    that never touches personal data (a migration of an empty database) needs no key."""

    settings: PersonalDataSettings
    table: Table | None = None
    service_keys: dict = field(default_factory=dict)

    @cached_property
    def ring(self) -> KeyRing:
        return load_ring(self.settings)


_BOUND: WeakKeyDictionary[Engine, Binding] = WeakKeyDictionary()


def bind(engine: Engine, settings: PersonalDataSettings, metadata: MetaData | None = None) -> None:
    """Give the database on `engine` its KEKs (from `settings`) and, with `metadata`, its data-key table."""
    _BOUND[engine] = Binding(settings, None if metadata is None else table(metadata))


def binding(conn: Connection) -> Binding:
    found = _BOUND.get(conn.engine)
    if found is None:
        raise RuntimeError("this database has no data keys bound (shared.data_keys.bind)")
    return found


def ring_of(conn: Connection) -> KeyRing:
    return binding(conn).ring


def keep(conn: Connection, record_id: str, data_key: bytes) -> None:
    """Store `record_id`'s data key (from sealing.new_data_key), wrapped by the current KEK."""
    bound = binding(conn)
    conn.execute(
        insert(bound.table).values(
            record_id=record_id, wrapped=bound.ring.wrap(data_key, record_id), created_at=utcnow()
        )
    )


def obtain(conn: Connection, record_id: str) -> bytes:
    """`record_id`'s data key, made and kept on its first use: for a record whose personal data
    is written piece by piece (a coachee's goals and progress notes). Of several transactions
    making it at once, one insert wins and every one of them reads the winner's key."""
    bound = binding(conn)
    made = dialect_insert(conn, bound.table).values(
        record_id=record_id, wrapped=bound.ring.wrap(new_data_key(), record_id), created_at=utcnow()
    )
    conn.execute(made.on_conflict_do_nothing())
    wrapped = conn.execute(select(bound.table.c.wrapped).where(bound.table.c.record_id == record_id)).scalar_one()
    return bound.ring.unwrap(wrapped, record_id)


def unwrap(conn: Connection, record_id: str, wrapped: str | None) -> bytes | None:
    """A data key read alongside its record (None: destroyed, the record is erased)."""
    return None if wrapped is None else ring_of(conn).unwrap(wrapped, record_id)


def find(conn: Connection, record_ids: list[str]) -> dict[str, bytes]:
    """The data keys of those records that still have one."""
    bound = binding(conn)
    if not record_ids:
        return {}
    query = select(bound.table.c.record_id, bound.table.c.wrapped).where(
        bound.table.c.record_id.in_(bindparam("ids", expanding=True))
    )
    return {
        record_id: bound.ring.unwrap(wrapped, record_id)
        for record_id, wrapped in conn.execute(query, {"ids": list(record_ids)})
    }


def destroy(conn: Connection, record_ids: list[str]) -> int:
    """Crypto-shred: delete the records' data keys. Their sealed fields can never be opened again."""
    if not record_ids:
        return 0
    bound = binding(conn)
    return conn.execute(delete(bound.table).where(bound.table.c.record_id.in_(list(record_ids)))).rowcount


def service_key(conn: Connection, name: str) -> bytes:
    """A key of the whole service under a reserved name (never a record id), such as the
    e-mail blind-index key: made on first use, kept wrapped like any other, never destroyed."""
    bound = binding(conn)
    cached = bound.service_keys.get(name)
    if cached is not None:
        return cached
    # Of several processes making it at once, one insert wins and every process reads the winner.
    made = dialect_insert(conn, bound.table).values(
        record_id=name, wrapped=bound.ring.wrap(new_data_key(), name), created_at=utcnow()
    )
    inserted = conn.execute(made.on_conflict_do_nothing().returning(bound.table.c.record_id)).first() is not None
    wrapped = conn.execute(select(bound.table.c.wrapped).where(bound.table.c.record_id == name)).scalar_one()
    key = bound.ring.unwrap(wrapped, name)
    if not inserted:
        # Remembered only once committed by someone: a key made in this transaction would be
        # wrong for good if the transaction rolled back and another process made its own.
        bound.service_keys[name] = key
    return key


def rewrap(conn: Connection, batch: int = 1000) -> int:
    """Rotation: wrap every data key not wrapped by the current KEK under it. Once this has run
    with the ring "new,old", the old KEK unwraps nothing live and can be destroyed, and with it
    every copy of the data keys it wrapped (backups and archives from before included)."""
    bound = binding(conn)
    ring, keys = bound.ring, bound.table
    changed, after = 0, ""
    while True:
        rows = conn.execute(
            select(keys.c.record_id, keys.c.wrapped)
            .where(keys.c.record_id > after)
            .order_by(keys.c.record_id)
            .limit(batch)
        ).all()
        if not rows:
            return changed
        for record_id, wrapped in rows:
            if not ring.is_current(wrapped):
                conn.execute(
                    update(keys)
                    .where(keys.c.record_id == record_id)
                    .values(wrapped=ring.wrap(ring.unwrap(wrapped, record_id), record_id))
                )
                changed += 1
        after = rows[-1][0]
