"""The database of one service: SQLite (embedded default) or PostgreSQL, chosen by URL.

Writes are serialised where they must be: on SQLite every write transaction starts with
BEGIN IMMEDIATE (so read-then-write rules such as capacity cannot interleave between
gunicorn workers); on PostgreSQL the stores lock the rows they decide on (SELECT … FOR UPDATE).
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, MetaData, create_engine, event, text
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
        else:
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
        """A write transaction: committed when the block ends, rolled back if it raises."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (on SQLite a deferred one, so readers do not queue behind writers)."""
        with self.engine.connect().execution_options(convene_read=True) as conn:
            with conn.begin():
                yield conn

    def ping(self) -> None:
        with self.read() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling would defer BEGIN; we issue BEGIN ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON", "synchronous=NORMAL"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    mode = "DEFERRED" if conn.get_execution_options().get("convene_read") else "IMMEDIATE"
    conn.exec_driver_sql(f"BEGIN {mode}")
