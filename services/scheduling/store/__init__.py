"""Scheduling's store: the tables (tables.py) and the queries the service layer uses, one module
per subject (rosters, needs, facilitators, sessions, attendance, calendars)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

from shared.clock import as_utc
from services.scheduling.store.tables import metadata

__all__ = ["metadata", "upsert", "utc_row"]


def utc_row(row) -> dict:
    """A row as a dict whose instants are aware UTC datetimes."""
    return {key: as_utc(value) if isinstance(value, datetime) else value for key, value in row.items()}


def upsert(conn: Connection, table: Table, values: dict, keys: tuple[str, ...]) -> None:
    """Insert a row, or update the row with the same `keys`."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**values)
    changes = {name: statement.excluded[name] for name in values if name not in keys}
    conn.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=changes))
