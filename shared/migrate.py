"""Schema migrations with Alembic: one revision history per service, one shared environment.

The tables every service has (outbox, inbox, relay lease, audit, idempotency) have a branch of
their own, labelled `shared` (shared/migrations/versions), that each service's first revision
depends on; a service's versions are found in both its own folder and that one.

Upgrades and downgrades run under a database lock, so migrations started at once (several
pods, a retried Job) queue and the later ones find the schema already there, rather than
racing to create the same tables. On PostgreSQL the lock is a transaction-level advisory
lock taken first in the migration's own transaction, so it is released when that commits,
rolls back or its connection dies. On SQLite, Database.transaction() queues writers on the
database's file lock and begins IMMEDIATE, which serialises migrations the same way.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from shared.db import Database

if TYPE_CHECKING:
    from shared.service import Service

ENVIRONMENT = Path(__file__).resolve().parent / "migrations"
SHARED_VERSIONS = ENVIRONMENT / "versions"
SHARED_BRANCH = "shared"


def _locations(service: Service) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ENVIRONMENT))
    config.set_main_option("version_locations", os.pathsep.join([str(SHARED_VERSIONS), str(service.migrations)]))
    config.set_main_option("path_separator", "os")
    return config


def _config(service: Service, db: Database, connection) -> Config:
    config = _locations(service)
    config.attributes["metadata"] = db.metadata
    config.attributes["connection"] = connection
    return config


def migration_lock_key(service: str) -> int:
    """The advisory lock key of the migrations of the service named `service`: stable across processes and releases."""
    return zlib.crc32(f"convene.migrate.{service}".encode())


@contextmanager
def _locked(service: Service, db: Database) -> Iterator[Connection]:
    """One transaction holding `service`'s migration lock; it commits when the block ends."""
    with db.transaction() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": migration_lock_key(service.name)})
        yield connection


def upgrade(service: Service, db: Database, revision: str = "heads") -> None:
    with _locked(service, db) as connection:
        command.upgrade(_config(service, db, connection), revision)


def downgrade(service: Service, db: Database, revision: str) -> None:
    """Back to `revision` (a revision id, "-1" for one step, or "base"), under the same lock."""
    with _locked(service, db) as connection:
        command.downgrade(_config(service, db, connection), revision)


def current(db: Database) -> tuple[str, ...]:
    """The revision(s) the database is at; empty when none was ever applied."""
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_heads()


def history(service: Service) -> list:
    """`service`'s revisions and the shared branch's, oldest first (Alembic Script objects:
    revision, down_revision, dependencies, branch_labels, doc)."""
    return list(reversed(list(ScriptDirectory.from_config(_locations(service)).walk_revisions())))


def heads(service: Service) -> tuple[str, ...]:
    """The revisions an upgraded database is at: the service's latest and, while no revision of
    the service depends on it, the shared branch's (one the service's depends on counts as applied
    with it, as Alembic records it)."""
    scripts = history(service)
    needed = {
        revision for script in scripts for revision in (*_tuple(script.down_revision), *_tuple(script.dependencies))
    }
    return tuple(sorted(script.revision for script in scripts if script.revision not in needed))


def _tuple(revisions) -> tuple[str, ...]:
    return () if revisions is None else (revisions,) if isinstance(revisions, str) else tuple(revisions)


def new_revision(service: Service, db: Database, message: str) -> None:
    """Write the next revision of `service` from the difference between its models and `db`
    (a change to the shared tables is a revision of the shared branch: write it by hand)."""
    service.migrations.mkdir(exist_ok=True)
    own_head = _own_head(service)
    with db.engine.begin() as connection:
        config = _config(service, db, connection)
        if own_head is None:  # a new service's first revision: the shared tables come from their branch
            command.upgrade(config, f"{SHARED_BRANCH}@head")
            shared_head = ScriptDirectory.from_config(config).get_revision(f"{SHARED_BRANCH}@head").revision
            command.revision(
                config,
                message=message,
                autogenerate=True,
                head="base",
                depends_on=shared_head,
                version_path=str(service.migrations),
            )
        else:
            command.revision(
                config, message=message, autogenerate=True, head=own_head, version_path=str(service.migrations)
            )


def _own_head(service: Service) -> str | None:
    """The head of `service`'s own revisions (not the shared branch's); None before its first."""
    scripts = ScriptDirectory.from_config(_locations(service))
    own = [head for head in scripts.get_heads() if Path(scripts.get_revision(head).path).parent == service.migrations]
    return own[0] if own else None


def differences(db: Database) -> list:
    """What the migrated database lacks or has beyond the service's models (empty when in step)."""
    with db.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), db.metadata)
