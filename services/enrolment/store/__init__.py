"""Enrolment's store: the tables (tables.py), the regions file the service ships (regions.py),
and the queries the service layer uses, one module per subject (reference, participants,
offers, enrolments, attendance), with the translation between their rows and the domain's objects."""

from sqlalchemy import Connection, Select, func

from services.enrolment.store.tables import metadata

__all__ = ["metadata", "page"]


def page(conn: Connection, query: Select, *order_by, limit: int, offset: int) -> tuple[list, int]:
    """One page of `query`'s rows in a stable order, and how many rows there are in all.
    The count keeps only the query's FROM and WHERE: its computed columns (an offer's places
    taken, say) would otherwise be worked out for every row just to be counted."""
    total = conn.execute(query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)).scalar_one()
    rows = (
        conn.execute(query.order_by(*order_by).limit(limit).offset(offset)).mappings().all() if total > offset else []
    )
    return rows, total
