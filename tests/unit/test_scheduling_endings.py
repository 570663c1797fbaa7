"""An offer that ended, scheduling's part: completed or cancelled, it meets no more, so its
sessions that have not begun are cancelled with a higher SEQUENCE, and those that began stay."""

from datetime import UTC, datetime, timedelta

import pytest

from services.scheduling.domain.sessions import Session, SessionStatus, cancel_upcoming, offer_has_ended

NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)


def session(session_id: str, hours_from_now: float, *, status=SessionStatus.SCHEDULED, sequence=0) -> Session:
    starts = NOW + timedelta(hours=hours_from_now)
    return Session(session_id, starts, starts + timedelta(hours=1), sequence=sequence, status=status)


@pytest.mark.parametrize(
    "status, ended",
    [("completed", True), ("cancelled", True), ("published", False), ("started", False), ("draft", False)],
)
def test_only_a_completed_or_cancelled_offer_has_ended(status, ended):
    assert offer_has_ended(status) is ended


def test_an_ended_offers_sessions_not_yet_begun_are_cancelled_in_start_order_each_with_a_higher_sequence():
    later, sooner = session("later", 48, sequence=2), session("sooner", 1)
    cancelled = cancel_upcoming([later, sooner], now=NOW)
    assert [(s.id, s.status, s.sequence) for s in cancelled] == [("sooner", "cancelled", 1), ("later", "cancelled", 3)]


def test_sessions_that_began_or_were_cancelled_already_are_left_as_they_are():
    held, running = session("held", -30), session("running", -0.5)
    gone = session("gone", 5, status=SessionStatus.CANCELLED, sequence=1)
    assert cancel_upcoming([held, running, gone], now=NOW) == []


def test_the_moment_of_ending_must_be_an_aware_instant():
    with pytest.raises(ValueError):
        cancel_upcoming([session("s", 2)], now=NOW.replace(tzinfo=None))
