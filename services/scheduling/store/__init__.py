"""Scheduling's store: the tables (tables.py) and the queries the service layer uses, one module
per subject (rosters, needs, facilitators, sessions, attendance, calendars)."""

from __future__ import annotations

from datetime import datetime

from services.scheduling.store.tables import metadata
from shared.clock import as_utc

__all__ = ["metadata", "utc_row"]


def utc_row(row) -> dict:
    """A row as a dict whose instants are aware UTC datetimes."""
    return {key: as_utc(value) if isinstance(value, datetime) else value for key, value in row.items()}
