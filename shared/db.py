"""The database of one service: SQLite (embedded default) or PostgreSQL, chosen by URL.

Writes are serialised where they must be: on SQLite every write transaction starts with
BEGIN IMMEDIATE (so read-then-write rules such as capacity cannot interleave between
gunicorn workers); on PostgreSQL the stores lock the rows they decide on (SELECT … FOR UPDATE).

On SQLite, writers from several processes also queue on an advisory file lock beside the
database before they BEGIN. SQLite's own busy handler polls with sleeps of up to 100 ms, so
under contention the write lock sits free between a commit and the next writer's wake-up;
the kernel hands a file lock over at once. SQLite's lock stays the guarantee; the file lock
only orders the queue (a writer that bypasses it still waits on SQLite's busy timeout).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import Connection, Engine, MetaData, Table, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from shared import tables


class Database:
    def __init__(self, url: str, metadata: MetaData, *, pool_size: int = 5, max_overflow: int = 5):
        self.url = make_url(url)
        self.metadata = metadata
        self.tables = tables.SharedTables(metadata)
        if self.is_sqlite:
            self._prepare_sqlite_folder()
            self.engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
            event.listen(self.engine, "connect", _sqlite_on_connect)
            event.listen(self.engine, "begin", _sqlite_on_begin)
            self._writers = WriterQueue(self.url.database) if self.url.database not in (None, "", ":memory:") else None
        else:
            self._writers = None
            self.engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    def _prepare_sqlite_folder(self) -> None:
        if self.url.database and self.url.database != ":memory:":
            Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)

    def create_schema(self) -> None:
        self.metadata.create_all(self.engine)

    def drop_schema(self) -> None:
        self.metadata.drop_all(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction: committed when the block ends, rolled back if it raises. What
        the block asked for with `after_commit` runs once it has committed, never otherwise."""
        with self._writers.turn() if self._writers else nullcontext():
            with self.engine.begin() as conn:
                try:
                    yield conn
                finally:
                    # conn.info outlives this checkout (it is the pooled connection's): always empty it.
                    actions = conn.info.pop(_AFTER_COMMIT, [])
        for action in actions:
            action()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """For reading only. On SQLite a deferred transaction, so readers do not queue behind
        writers. On PostgreSQL no transaction at all (autocommit): under READ COMMITTED every
        statement of a transaction takes its own snapshot anyway, so BEGIN and COMMIT would add
        no consistency to a read, only two round trips (a third of a roster read's time)."""
        options = _READ_SQLITE if self.is_sqlite else _READ_POSTGRESQL
        with self.engine.connect().execution_options(**options) as conn:
            with conn.begin():
                yield conn

    def ping(self) -> None:
        with self.read() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


class WriterQueue:
    """An exclusive flock on `<database>.writers` for the length of a write transaction. Each
    thread has its own descriptor: flock excludes descriptors, not processes."""

    def __init__(self, database: str):
        self.path = database + ".writers"
        self._local = threading.local()

    @contextmanager
    def turn(self) -> Iterator[None]:
        descriptor = self._descriptor()
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)

    def _descriptor(self) -> int:
        descriptor = getattr(self._local, "descriptor", None)
        if descriptor is None or getattr(self._local, "pid", None) != os.getpid():
            # A descriptor inherited across fork shares its lock with the parent: open our own.
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._local.descriptor, self._local.pid = descriptor, os.getpid()
        return descriptor


_AFTER_COMMIT = "convene.after_commit"
_READ_SQLITE = {"convene_read": True}  # BEGIN DEFERRED (_sqlite_on_begin)
_READ_POSTGRESQL = {"isolation_level": "AUTOCOMMIT"}
BUSY_TIMEOUT_MS, SCRUB_WAIT_MS = 30000, 2000
log = logging.getLogger("convene.db")


def after_commit(conn: Connection, action: Callable[[], None]) -> None:
    """Run `action` once the transaction `conn` belongs to has committed (Database.transaction)."""
    conn.info.setdefault(_AFTER_COMMIT, []).append(action)


def dialect_insert(conn: Connection, table: Table):
    """An INSERT in the connection's own dialect, so it can say ON CONFLICT (both databases have it)."""
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def upsert(conn: Connection, table: Table, values: dict, keys: tuple[str, ...]) -> None:
    """Insert a row, or update the row with the same `keys` to `values`."""
    statement = dialect_insert(conn, table).values(**values)
    changes = {name: statement.excluded[name] for name in values if name not in keys}
    conn.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=changes))


def scrub(engine: Engine, tables: tuple[str, ...] = ()) -> None:
    """Best effort, after personal data was destroyed: remove what the database keeps of old
    row versions outside the live rows. On SQLite, a TRUNCATE checkpoint empties the
    write-ahead log (secure_delete, on for every connection, has zeroed the freed space
    already); on PostgreSQL, VACUUM of `tables` removes dead row versions a current snapshot
    no longer needs. Neither can reach copies already made (PostgreSQL's WAL, archives,
    replicas, backups): crypto-shredding (shared.data_keys) is what makes those unreadable."""
    try:
        if engine.dialect.name == "sqlite":
            raw = engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute(f"PRAGMA busy_timeout={SCRUB_WAIT_MS}")  # wait for readers briefly, not 30 s
                busy, _, _ = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            finally:
                raw.close()
            if busy:
                log.info("write-ahead log not truncated: readers were active")
        else:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for name in tables:
                    conn.exec_driver_sql(f'VACUUM "{name}"')
    except Exception:  # the destruction has committed; tidying after it must not fail the caller
        log.warning("scrubbing after erasure failed", exc_info=True)


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling would defer BEGIN; we issue BEGIN ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # secure_delete: deleted and overwritten content is zeroed in the page, so freed space never
    # keeps an old row's bytes (personal data is sealed anyway; this also covers wrapped keys).
    for pragma in (
        "journal_mode=WAL",
        f"busy_timeout={BUSY_TIMEOUT_MS}",
        "foreign_keys=ON",
        "synchronous=NORMAL",
        "secure_delete=ON",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    mode = "DEFERRED" if conn.get_execution_options().get("convene_read") else "IMMEDIATE"
    conn.exec_driver_sql(f"BEGIN {mode}")
