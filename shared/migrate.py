"""Schema migrations with Alembic: one revision history per service, one shared environment."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from shared.db import Database

ENVIRONMENT = Path(__file__).resolve().parent / "migrations"
SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"


def _config(service: str, db: Database, connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ENVIRONMENT))
    config.set_main_option("version_locations", str(SERVICES_DIR / service / "migrations"))
    config.set_main_option("path_separator", "os")
    config.attributes["metadata"] = db.metadata
    config.attributes["connection"] = connection
    return config


def upgrade(service: str, db: Database, revision: str = "head") -> None:
    with db.engine.begin() as connection:
        command.upgrade(_config(service, db, connection), revision)


def new_revision(service: str, db: Database, message: str) -> None:
    """Write the next revision of `service` from the difference between its models and `db`."""
    (SERVICES_DIR / service / "migrations").mkdir(exist_ok=True)
    with db.engine.begin() as connection:
        command.revision(_config(service, db, connection), message=message, autogenerate=True)


def differences(db: Database) -> list:
    """What the migrated database lacks or has beyond the service's models (empty when in step)."""
    with db.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), db.metadata)
