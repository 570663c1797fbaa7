"""Feedback's store: the tables (tables.py) and the queries the service layer uses, one module
per subject (projections of other services' events, answers, running aggregates)."""

from services.feedback.store.tables import metadata

__all__ = ["metadata"]
