"""Enrolment's store: the tables (tables.py) and the queries the service layer uses, one module
per subject (reference, participants, offers, enrolments, attendance)."""
from sqlalchemy import Connection, Select, func, select

from services.enrolment.store.tables import metadata

__all__ = ["metadata", "page"]


def page(conn: Connection, query: Select, *order_by, limit: int, offset: int) -> tuple[list, int]:
    """One page of `query`'s rows in a stable order, and how many rows there are in all."""
    total = conn.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = conn.execute(query.order_by(*order_by).limit(limit).offset(offset)).mappings().all() if total > offset else []
    return rows, total
