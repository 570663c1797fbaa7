"""Queries on what feedback knows from other services' events: sessions, offers, members,
attendance."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import Connection, delete, func, insert, select, update

from services.feedback.domain.outcomes import OfferProgress
from services.feedback.domain.sessions import SessionInfo
from services.feedback.store.tables import attendance, members, offers, sessions
from shared.clock import as_utc
from shared.contracts.vocabulary import OfferType

UK = ZoneInfo("Europe/London")  # months are UK calendar months
_WITH_OFFER_TYPE = select(sessions, offers.c.offer_type).select_from(
    sessions.outerjoin(offers, offers.c.offer_id == sessions.c.offer_id)
)


def session_info(row) -> SessionInfo:
    """What the domain needs of a session row; `ends_at` in UK time so months are UK months."""
    return SessionInfo(
        row["session_id"],
        row["offer_id"],
        row["offer_type"],
        row["region"],
        as_utc(row["ends_at"]).astimezone(UK),
        row["status"] == "cancelled",
        as_utc(row["recorded_at"]),
    )


def session_row(conn: Connection, session_id: str):
    """The session joined with its offer's type (None while the offer is unknown), as a row."""
    return conn.execute(_WITH_OFFER_TYPE.where(sessions.c.session_id == session_id)).mappings().first()


def session(conn: Connection, session_id: str) -> SessionInfo | None:
    """The session as the domain sees it, None if feedback has not heard of it."""
    row = session_row(conn, session_id)
    return None if row is None else session_info(row)


def all_sessions(conn: Connection) -> dict[str, SessionInfo]:
    return {row["session_id"]: session_info(row) for row in conn.execute(_WITH_OFFER_TYPE).mappings()}


def present_counts(conn: Connection) -> list:
    """(session_id, attendees present) of every session."""
    query = (
        select(attendance.c.session_id, func.count().label("present"))
        .where(attendance.c.present.is_(True))
        .group_by(attendance.c.session_id)
    )
    return conn.execute(query).all()


def save_session(conn: Connection, session: dict) -> None:
    """Insert or update a session; an older `sequence` than the stored one is ignored."""
    known = conn.execute(select(sessions.c.sequence).where(sessions.c.session_id == session["session_id"])).first()
    if known is None:
        conn.execute(insert(sessions).values(**session))
    elif known.sequence <= session["sequence"]:
        conn.execute(update(sessions).where(sessions.c.session_id == session["session_id"]).values(**session))


def save_offer(conn: Connection, offer: dict) -> bool:
    """Insert or update an offer; True when feedback had not known it."""
    if conn.execute(select(offers.c.offer_id).where(offers.c.offer_id == offer["offer_id"])).first():
        conn.execute(update(offers).where(offers.c.offer_id == offer["offer_id"]).values(**offer))
        return False
    conn.execute(insert(offers).values(**offer))
    return True


def offer_row(conn: Connection, offer_id: str):
    return conn.execute(select(offers).where(offers.c.offer_id == offer_id)).mappings().first()


def offer_progress(conn: Connection, offer: dict, participant_id: str, now) -> OfferProgress:
    """How far the offer has run (domain.outcomes.has_run): a group offer's sessions held are
    those that ended and were not cancelled; a coaching offer's, those the person was present at."""
    query = select(sessions.c.ends_at).where(sessions.c.offer_id == offer["offer_id"], sessions.c.status != "cancelled")
    if offer["offer_type"] == OfferType.COACHING.value:
        query = query.join(attendance, attendance.c.session_id == sessions.c.session_id).where(
            attendance.c.participant_id == participant_id, attendance.c.present.is_(True)
        )
    # Compared in Python, as instants: SQLite keeps times as text.
    held = sum(1 for ends_at in conn.execute(query).scalars() if as_utc(ends_at) <= now)
    return OfferProgress(offer["status"], offer.get("planned_sessions"), held)


def save_member(conn: Connection, offer_id: str, participant_id: str, status: str) -> None:
    where = (members.c.offer_id == offer_id) & (members.c.participant_id == participant_id)
    if conn.execute(update(members).where(where).values(status=status)).rowcount == 0:
        conn.execute(insert(members).values(offer_id=offer_id, participant_id=participant_id, status=status))


def member_status(conn: Connection, offer_id: str, participant_id: str) -> str | None:
    """The membership, locked on PostgreSQL so one person's answers for an offer queue."""
    where = (members.c.offer_id == offer_id) & (members.c.participant_id == participant_id)
    return conn.execute(select(members.c.status).where(where).with_for_update()).scalar()


def save_attendance(
    conn: Connection, session_id: str, participant_id: str, present: bool, recorded_at
) -> tuple[bool, bool] | None:
    """Record attendance (the latest record wins); (was present, is present), or None if stale."""
    where = (attendance.c.session_id == session_id) & (attendance.c.participant_id == participant_id)
    known = conn.execute(select(attendance).where(where).with_for_update()).first()
    if known is None:
        conn.execute(
            insert(attendance).values(
                session_id=session_id, participant_id=participant_id, present=present, recorded_at=recorded_at
            )
        )
        return False, present
    if as_utc(known.recorded_at) > recorded_at:
        return None
    conn.execute(update(attendance).where(where).values(present=present, recorded_at=recorded_at))
    return known.present, present


def was_present(conn: Connection, session_id: str, participant_id: str) -> bool:
    where = (
        (attendance.c.session_id == session_id)
        & (attendance.c.participant_id == participant_id)
        & attendance.c.present.is_(True)
    )
    return conn.execute(select(attendance.c.session_id).where(where)).first() is not None


def present_by_session(conn: Connection, offer_id: str) -> list[tuple[SessionInfo, int]]:
    """(session, attendees present) of an offer's sessions: to file them once its type is known."""
    query = (
        select(sessions, offers.c.offer_type, func.count().label("present"))
        .join(attendance, attendance.c.session_id == sessions.c.session_id)
        .join(offers, offers.c.offer_id == sessions.c.offer_id)
        .where(sessions.c.offer_id == offer_id, attendance.c.present.is_(True))
        .group_by(*sessions.c, offers.c.offer_type)
    )
    return [(session_info(row), row["present"]) for row in conn.execute(query).mappings()]


def attended_sessions(conn: Connection, participant_id: str) -> list[str]:
    return list(
        conn.execute(select(attendance.c.session_id).where(attendance.c.participant_id == participant_id)).scalars()
    )


def forget_participant(conn: Connection, participant_id: str) -> None:
    conn.execute(delete(attendance).where(attendance.c.participant_id == participant_id))
    conn.execute(delete(members).where(members.c.participant_id == participant_id))
