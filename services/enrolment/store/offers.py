"""Queries over offers."""
from sqlalchemy import Connection, bindparam, func, insert, or_, select, update

from services.enrolment.store import page
from services.enrolment.store.tables import enrolments, offers


def _count(status: str):
    return (
        select(func.count())
        .where(enrolments.c.offer_id == offers.c.id, enrolments.c.status == status)
        .scalar_subquery()
    )


# An offer as the API shows it: with how many places are taken and how long the waitlist is.
WITH_COUNTS = select(offers, _count("confirmed").label("places_taken"), _count("waitlisted").label("waitlist_length"))
# Statements of the enrolment hot path are built once: building one costs more than running it.
_BY_ID = select(offers).where(offers.c.id == bindparam("offer_id"))
_LOCKED = _BY_ID.with_for_update()
_WITH_COUNTS_BY_ID = WITH_COUNTS.where(offers.c.id == bindparam("offer_id"))


def offer(conn: Connection, offer_id: str, *, lock: bool = False):
    """The offer's own row; `lock` holds it until the transaction ends (PostgreSQL: FOR UPDATE;
    SQLite's write transactions are serialised already)."""
    return conn.execute(_LOCKED if lock else _BY_ID, {"offer_id": offer_id}).mappings().first()


def offer_with_counts(conn: Connection, offer_id: str):
    return conn.execute(_WITH_COUNTS_BY_ID, {"offer_id": offer_id}).mappings().first()


def offer_page(conn: Connection, *, regions: tuple[str, ...] | None, offer_type: str | None, status: str | None, hide_drafts: bool, limit: int, offset: int):
    query = WITH_COUNTS
    if regions is not None:
        query = query.where(or_(*(offers.c.region == region for region in regions)))
    if offer_type is not None:
        query = query.where(offers.c.offer_type == offer_type)
    if status is not None:
        query = query.where(offers.c.status == status)
    if hide_drafts:
        query = query.where(offers.c.status != "draft")
    return page(conn, query, offers.c.starts_on, offers.c.id, limit=limit, offset=offset)


def insert_offer(conn: Connection, values: dict) -> None:
    conn.execute(insert(offers).values(**values))


def update_offer(conn: Connection, offer_id: str, values: dict) -> None:
    conn.execute(update(offers).where(offers.c.id == offer_id).values(**values))
