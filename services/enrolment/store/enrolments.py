"""Queries over enrolments: places, waitlists, rosters."""

from sqlalchemy import Connection, bindparam, case, insert, select, update

from services.enrolment.domain.enrolments import Enrolment
from services.enrolment.store import page
from services.enrolment.store.tables import ACTIVE, enrolments, offers, participants, pcns

# An enrolment with what events and access checks need: the offer's region and type, the
# participant's role, PCN and region.
DETAILED = (
    select(
        enrolments,
        offers.c.region.label("offer_region"),
        participants.c.role,
        participants.c.pcn_code,
        pcns.c.region.label("participant_region"),
    )
    .join(offers, offers.c.id == enrolments.c.offer_id)
    .join(participants, participants.c.id == enrolments.c.participant_id)
    .join(pcns, pcns.c.code == participants.c.pcn_code)
)
# Roster order: members first, then the waitlist by position, then those who left.
_ROSTER_ORDER = case({"confirmed": 0, "completed": 1, "waitlisted": 2}, value=enrolments.c.status, else_=3)


_OF_OFFER = enrolments.c.offer_id == bindparam("offer_id")
_HOLDERS = select(enrolments.c.participant_id).where(
    _OF_OFFER, enrolments.c.participant_id.in_(bindparam("ids", expanding=True)), enrolments.c.status.in_(ACTIVE)
)
_INSERT = insert(enrolments)
# An offer's row keeps its places taken and waitlist length (tables.offers); each write below
# moves them in the same transaction, and its callers hold the offer's lock (usecases), so the
# counts an admission reads under that lock are exact.
_MOVE_COUNTS = (
    update(offers)
    .where(offers.c.id == bindparam("_offer_id"))
    .values(
        places_taken=offers.c.places_taken + bindparam("confirmed_moved"),
        waitlist_length=offers.c.waitlist_length + bindparam("waitlisted_moved"),
    )
)
_BY_ID = DETAILED.where(enrolments.c.id == bindparam("enrolment_id"))
_SAVE = (
    update(enrolments)
    .where(enrolments.c.id == bindparam("_id"))
    .values(
        status=bindparam("status"),
        waitlist_position=bindparam("waitlist_position"),
        withdrawal_reason=bindparam("withdrawal_reason"),
        updated_at=bindparam("updated_at"),
    )
)
_MEMBERS = DETAILED.where(_OF_OFFER, enrolments.c.status.in_(bindparam("statuses", expanding=True)))


def as_enrolment(row) -> Enrolment:
    """An enrolment row (of `members`, say) as withdrawal and promotion see it."""
    return Enrolment(row["id"], row["status"], row["waitlist_position"], row["withdrawal_reason"])


def holds_place(conn: Connection, offer_id: str, participant_id: str) -> bool:
    """Whether this participant already holds a place or a waitlist position in the offer."""
    return bool(holders(conn, offer_id, [participant_id]))


def holders(conn: Connection, offer_id: str, participant_ids: list[str]) -> set[str]:
    """Which of these participants already hold a place or a waitlist position in the offer."""
    return set(conn.execute(_HOLDERS, {"offer_id": offer_id, "ids": participant_ids}).scalars())


def _move_counts(conn: Connection, moves: list[tuple[str, str, int]]) -> None:
    """Move offers' stored counts by (offer id, status, +1 or -1); statuses other than confirmed
    and waitlisted count nowhere."""
    by_offer: dict[str, dict[str, int]] = {}
    for offer_id, status, step in moves:
        if status in ACTIVE:
            counts = by_offer.setdefault(offer_id, dict.fromkeys(ACTIVE, 0))
            counts[status] += step
    changed = [
        {"_offer_id": offer_id, "confirmed_moved": counts["confirmed"], "waitlisted_moved": counts["waitlisted"]}
        for offer_id, counts in by_offer.items()
        if any(counts.values())
    ]
    if changed:
        conn.execute(_MOVE_COUNTS, changed)


def insert_enrolments(conn: Connection, rows: list[dict]) -> None:
    """New enrolments, counted on their offers' rows."""
    conn.execute(_INSERT, rows)
    _move_counts(conn, [(row["offer_id"], row["status"], 1) for row in rows])


def enrolment(conn: Connection, enrolment_id: str):
    return conn.execute(_BY_ID, {"enrolment_id": enrolment_id}).mappings().first()


def members(conn: Connection, offer_id: str, statuses=ACTIVE) -> list:
    return conn.execute(_MEMBERS, {"offer_id": offer_id, "statuses": list(statuses)}).mappings().all()


def save_changes(conn: Connection, changes: list[dict], before: dict) -> None:
    """Write new status, waitlist position and withdrawal reason of several enrolments:
    [{id, status, waitlist_position, withdrawal_reason, updated_at}], and move their offers'
    counts from the rows as they were (`before`: id → row with offer_id and status, read under
    the offer's lock)."""
    if changes:
        conn.execute(_SAVE, [{**change, "_id": change["id"]} for change in changes])
        moves = []
        for change in changes:
            was = before[change["id"]]
            if was["status"] != change["status"]:
                moves += [(was["offer_id"], was["status"], -1), (was["offer_id"], change["status"], 1)]
        _move_counts(conn, moves)


def roster_page(
    conn: Connection, offer_id: str, *, participant_region: str | None, status: str | None, limit: int, offset: int
):
    query = DETAILED.where(enrolments.c.offer_id == offer_id)
    if participant_region is not None:
        query = query.where(pcns.c.region == participant_region)
    if status is not None:
        query = query.where(enrolments.c.status == status)
    return page(
        conn,
        query,
        _ROSTER_ORDER,
        enrolments.c.waitlist_position,
        enrolments.c.requested_at,
        enrolments.c.id,
        limit=limit,
        offset=offset,
    )


def offers_held(conn: Connection, participant_ids: list[str]) -> dict[str, set[str]]:
    """For each of these participants, the offers in which they hold a place or a waitlist position."""
    query = select(enrolments.c.participant_id, enrolments.c.offer_id).where(
        enrolments.c.participant_id.in_(participant_ids), enrolments.c.status.in_(ACTIVE)
    )
    held: dict[str, set[str]] = {participant_id: set() for participant_id in participant_ids}
    for participant_id, offer_id in conn.execute(query):
        held[participant_id].add(offer_id)
    return held


def active_of_participant(conn: Connection, participant_id: str) -> list:
    """The places and waitlist positions a participant holds, in offer order (the order in
    which an erasure locks the offers, like every other multi-offer writer)."""
    query = DETAILED.where(enrolments.c.participant_id == participant_id, enrolments.c.status.in_(ACTIVE)).order_by(
        enrolments.c.offer_id
    )
    return conn.execute(query).mappings().all()


def participant_page(conn: Connection, participant_id: str, *, limit: int, offset: int):
    query = DETAILED.where(enrolments.c.participant_id == participant_id)
    return page(conn, query, enrolments.c.requested_at, enrolments.c.id, limit=limit, offset=offset)
