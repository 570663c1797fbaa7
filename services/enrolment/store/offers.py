"""Queries over offers. Reads give rows (the API shows them with their counts); `as_offer` and
`columns` translate between a row and the domain's Offer, which writes take."""

from datetime import datetime

from sqlalchemy import Connection, bindparam, func, insert, or_, select, update

from services.enrolment.domain.offers import Offer
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


def offer_page(
    conn: Connection,
    *,
    regions: tuple[str, ...] | None,
    offer_type: str | None,
    status: str | None,
    hide_drafts: bool,
    limit: int,
    offset: int,
):
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


_FIELDS = (
    "id",
    "region",
    "title",
    "capacity",
    "starts_on",
    "ends_on",
    "planned_sessions",
    "status",
    "pcn_code",
    "basis",
    "session_allowance",
)


def as_offer(row) -> Offer:
    """The offer a row holds, as the domain's rules see it."""
    return Offer(type=row["offer_type"], **{name: row[name] for name in _FIELDS})


def columns(offer: Offer) -> dict:
    """An offer as its row and its events hold it."""
    return {
        "region": offer.region,
        "offer_type": offer.type.value,
        "title": offer.title,
        "capacity": offer.capacity,
        "status": offer.status.value,
        "pcn_code": offer.pcn_code,
        "basis": offer.basis.value if offer.basis else None,
        "session_allowance": offer.session_allowance,
        "planned_sessions": offer.planned_sessions,
        "starts_on": offer.starts_on,
        "ends_on": offer.ends_on,
    }


def insert_offer(conn: Connection, offer: Offer, *, now: datetime) -> None:
    """A new offer, at version 1."""
    conn.execute(insert(offers).values(id=offer.id, **columns(offer), version=1, created_at=now, updated_at=now))


def save_offer(conn: Connection, offer: Offer, *, version: int, now: datetime) -> None:
    """Write the offer as it now is, at its next `version`."""
    conn.execute(
        update(offers).where(offers.c.id == offer.id).values(**columns(offer), version=version, updated_at=now)
    )


def open_of_type(conn: Connection, offer_type: str, regions: set[str]) -> list[Offer]:
    """The published and started offers of `offer_type` in `regions`: those that may still take
    new members (the domain's `accepts_enrolment` has the last word)."""
    query = select(offers).where(
        offers.c.offer_type == offer_type,
        offers.c.region.in_(sorted(regions)),
        offers.c.status.in_(("published", "started")),
    )
    return [as_offer(row) for row in conn.execute(query).mappings()]


def titles(conn: Connection, offer_ids: list[str]) -> dict[str, str]:
    """Offer id → title, of those that exist."""
    if not offer_ids:
        return {}
    return dict(conn.execute(select(offers.c.id, offers.c.title).where(offers.c.id.in_(offer_ids))).all())
