"""What an operator does about e-mails that keep failing (`services.cli notifications`): list the
parked ones (ids, kind, tries, the error class: never an address or a body) and send them again."""

from __future__ import annotations

from services.enrolment.store import notifications as store
from shared.clock import utcnow


def parked(db) -> list[dict]:
    with db.read() as conn:
        return store.parked(conn)


def retry(db, ids: list[str] | None = None) -> int:
    """Put parked notifications (those of `ids`, or all) back in line, with their count of tries reset."""
    with db.transaction() as conn:
        return store.unpark(conn, ids, utcnow())
