"""Queries over offers. Reads give rows (the API shows them with the places taken and waitlist
length they keep); `as_offer` and `columns` translate between a row and the domain's Offer, which
writes take."""

from datetime import datetime

from sqlalchemy import Connection, bindparam, func, insert, or_, select, update

from services.enrolment.domain.offers import Offer
from services.enrolment.store import page
from services.enrolment.store.tables import enrolments, offers

# Statements of the enrolment hot path are built once: building one costs more than running it.
_BY_ID = select(offers).where(offers.c.id == bindparam("offer_id"))
_LOCKED = _BY_ID.with_for_update()


def offer(conn: Connection, offer_id: str, *, lock: bool = False):
    """The offer's own row, with its places taken and waitlist length; `lock` holds it until the
    transaction ends (PostgreSQL: FOR UPDATE; SQLite's write transactions are serialised
    already), and with it those counts: every write of enrolments moves them under this lock."""
    return conn.execute(_LOCKED if lock else _BY_ID, {"offer_id": offer_id}).mappings().first()


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
    query = select(offers)
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
    conn.execute(
        insert(offers).values(
            id=offer.id, **columns(offer), version=1, created_at=now, updated_at=now, places_taken=0, waitlist_length=0
        )
    )


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


def _counted(status: str):
    return (
        select(func.count())
        .where(enrolments.c.offer_id == offers.c.id, enrolments.c.status == status)
        .scalar_subquery()
    )


def miscounted(conn: Connection) -> list[dict]:
    """Offers whose stored places taken or waitlist length differ from their enrolments' rows:
    [{id, places_taken, counted_places, waitlist_length, counted_waitlist}]; empty when in step."""
    counted = select(
        offers.c.id,
        offers.c.places_taken,
        _counted("confirmed").label("counted_places"),
        offers.c.waitlist_length,
        _counted("waitlisted").label("counted_waitlist"),
    ).subquery()
    query = (
        select(counted)
        .where(
            or_(
                counted.c.places_taken != counted.c.counted_places,
                counted.c.waitlist_length != counted.c.counted_waitlist,
            )
        )
        .order_by(counted.c.id)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def recount(conn: Connection) -> int:
    """Set every offer's stored counts from its enrolments' rows (what the migration that added
    them did): for data written straight into the tables, and to repair what `miscounted` finds.
    Returns the offers it changed."""
    counted = {"places_taken": _counted("confirmed"), "waitlist_length": _counted("waitlisted")}
    stale = or_(*(offers.c[name] != count for name, count in counted.items()))
    return conn.execute(update(offers).where(stale).values(**counted)).rowcount
