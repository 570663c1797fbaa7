"""Queries over enrolments: places, waitlists, rosters."""

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, case, func, insert, select, update

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


@dataclass(frozen=True)
class Tally:
    confirmed: int
    waitlisted: int
    holds_place: bool  # the participant asked about already holds a place or a waitlist position


_OF_OFFER = enrolments.c.offer_id == bindparam("offer_id")
_TALLY = (
    select(
        enrolments.c.status,
        func.count(),
        func.max(case((enrolments.c.participant_id == bindparam("participant_id"), 1), else_=0)),
    )
    .where(_OF_OFFER, enrolments.c.status.in_(ACTIVE))
    .group_by(enrolments.c.status)
)
_HOLDERS = select(enrolments.c.participant_id).where(
    _OF_OFFER, enrolments.c.participant_id.in_(bindparam("ids", expanding=True)), enrolments.c.status.in_(ACTIVE)
)
_INSERT = insert(enrolments)
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


def tally(conn: Connection, offer_id: str, participant_id: str | None = None) -> Tally:
    """Places taken and waitlist length of an offer, in one query (positions are kept 1..n)."""
    rows = conn.execute(_TALLY, {"offer_id": offer_id, "participant_id": participant_id}).all()
    counts = {status: count for status, count, _ in rows}
    return Tally(counts.get("confirmed", 0), counts.get("waitlisted", 0), any(held for _, _, held in rows))


def holders(conn: Connection, offer_id: str, participant_ids: list[str]) -> set[str]:
    """Which of these participants already hold a place or a waitlist position in the offer."""
    return set(conn.execute(_HOLDERS, {"offer_id": offer_id, "ids": participant_ids}).scalars())


def insert_enrolments(conn: Connection, rows: list[dict]) -> None:
    conn.execute(_INSERT, rows)


def enrolment(conn: Connection, enrolment_id: str):
    return conn.execute(_BY_ID, {"enrolment_id": enrolment_id}).mappings().first()


def members(conn: Connection, offer_id: str, statuses=ACTIVE) -> list:
    return conn.execute(_MEMBERS, {"offer_id": offer_id, "statuses": list(statuses)}).mappings().all()


def save_changes(conn: Connection, changes: list[dict]) -> None:
    """Write new status, waitlist position and withdrawal reason of several enrolments:
    [{id, status, waitlist_position, withdrawal_reason, updated_at}]."""
    if changes:
        conn.execute(_SAVE, [{**change, "_id": change["id"]} for change in changes])


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
