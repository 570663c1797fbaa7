"""Schema migrations with Alembic: one revision history per service, one shared environment.

Upgrades and downgrades run under a database lock, so migrations started at once (several
pods, a retried Job) queue and the later ones find the schema already there, rather than
racing to create the same tables. On PostgreSQL the lock is a transaction-level advisory
lock taken first in the migration's own transaction, so it is released when that commits,
rolls back or its connection dies. On SQLite, Database.transaction() queues writers on the
database's file lock and begins IMMEDIATE, which serialises migrations the same way.
"""
from __future__ import annotations

import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from shared.db import Database

ENVIRONMENT = Path(__file__).resolve().parent / "migrations"
SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"


def _locations(service: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ENVIRONMENT))
    config.set_main_option("version_locations", str(SERVICES_DIR / service / "migrations"))
    config.set_main_option("path_separator", "os")
    return config


def _config(service: str, db: Database, connection) -> Config:
    config = _locations(service)
    config.attributes["metadata"] = db.metadata
    config.attributes["connection"] = connection
    return config


def migration_lock_key(service: str) -> int:
    """The advisory lock key of `service`'s migrations: stable across processes and releases."""
    return zlib.crc32(f"convene.migrate.{service}".encode())


@contextmanager
def _locked(service: str, db: Database) -> Iterator[Connection]:
    """One transaction holding `service`'s migration lock; it commits when the block ends."""
    with db.transaction() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": migration_lock_key(service)})
        yield connection


def upgrade(service: str, db: Database, revision: str = "head") -> None:
    with _locked(service, db) as connection:
        command.upgrade(_config(service, db, connection), revision)


def downgrade(service: str, db: Database, revision: str) -> None:
    """Back to `revision` (a revision id, "-1" for one step, or "base"), under the same lock."""
    with _locked(service, db) as connection:
        command.downgrade(_config(service, db, connection), revision)


def current(db: Database) -> tuple[str, ...]:
    """The revision(s) the database is at; empty when none was ever applied."""
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_heads()


def history(service: str) -> list:
    """`service`'s revisions, oldest first (Alembic Script objects: revision, down_revision, doc)."""
    return list(reversed(list(ScriptDirectory.from_config(_locations(service)).walk_revisions())))


def head(service: str) -> str:
    """The latest revision of `service`."""
    return ScriptDirectory.from_config(_locations(service)).get_current_head()


def new_revision(service: str, db: Database, message: str) -> None:
    """Write the next revision of `service` from the difference between its models and `db`."""
    (SERVICES_DIR / service / "migrations").mkdir(exist_ok=True)
    with db.engine.begin() as connection:
        command.revision(_config(service, db, connection), message=message, autogenerate=True)


def differences(db: Database) -> list:
    """What the migrated database lacks or has beyond the service's models (empty when in step)."""
    with db.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), db.metadata)
