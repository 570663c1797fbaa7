"""The demo's history clock: inside `as_of` the use cases' clock and new events' times are the
moment given; outside it, and in other threads, the wall clock."""

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.clock import as_of, utcnow
from shared.envelope import Envelope

PAST = datetime(2026, 2, 10, 9, 30, tzinfo=UTC)


def test_as_of_sets_the_clock_and_events_for_the_block_only():
    with as_of(PAST):
        assert utcnow() == PAST
        assert Envelope(type="t", source="s", data={}).time == PAST
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)


def test_as_of_nests_and_is_given_in_utc():
    later = datetime(2026, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    with as_of(PAST):
        with as_of(later):
            assert utcnow() == later and utcnow().tzinfo == UTC
        assert utcnow() == PAST


def test_as_of_holds_in_its_own_thread_only():
    seen = []
    with as_of(PAST):
        thread = threading.Thread(target=lambda: seen.append(utcnow()))
        thread.start()
        thread.join()
    assert seen[0] != PAST


def test_as_of_needs_a_timezone():
    with pytest.raises(ValueError), as_of(datetime(2026, 2, 10)):
        pass
