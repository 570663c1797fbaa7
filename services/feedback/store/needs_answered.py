"""The needs survey's has-answered set: keyed markers of (round, person), each beside its round,
and nothing that links one to an answer (see services/feedback/domain/needs.py)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select

from services.feedback.store.tables import needs_answered
from shared.db import dialect_insert

_BATCH = 500


def add_marker(conn: Connection, round_: str, marker: str) -> bool:
    """Add to the set; False if the marker was there. The primary key decides between two
    concurrent answers: the second waits for the first and then finds its marker."""
    statement = (
        dialect_insert(conn, needs_answered)
        .values(marker=marker, round=round_)
        .on_conflict_do_nothing()
        .returning(needs_answered.c.marker)
    )
    return conn.execute(statement).first() is not None


def rounds(conn: Connection) -> list[str]:
    """Every round anyone has answered in: what erasure computes a person's markers for."""
    return list(conn.execute(select(needs_answered.c.round).distinct()).scalars())


def forget_markers(conn: Connection, markers: list[str]) -> None:
    for start in range(0, len(markers), _BATCH):  # one marker per round: bound each statement's parameters
        conn.execute(delete(needs_answered).where(needs_answered.c.marker.in_(markers[start : start + _BATCH])))
