"""Unit tests for the scheduling domain: pure functions, no I/O."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.scheduling.domain.clashes import Booking, ensure_no_clash, find_clash
from services.scheduling.domain.coaching import (
    CoachingBooking,
    count_used_allowance,
    ensure_coach_capacity,
    ensure_monthly_capacity,
    ensure_within_allowance,
)
from services.scheduling.domain.codesign import NeedScore, assign_topics, rank_needs, topic_label
from services.scheduling.domain.continuity import (
    Attendance,
    AttendanceRecord,
    Membership,
    compute_continuity,
    expected_sessions,
    is_expected,
    jaccard,
)
from services.scheduling.domain.recurrence import (
    MonthlyNthWeekday,
    Slot,
    Weekly,
    ensure_in_future,
    expand_series,
    local_to_utc,
    nth_weekday_of_month,
    parse_cadence,
    utc_to_local,
)
from services.scheduling.domain.sessions import (
    HELD_WITHIN,
    Session,
    SessionStatus,
    cancel_following,
    cancel_session,
    ensure_attendance_open,
    ensure_schedulable,
    reschedule_following,
    reschedule_session,
)
from shared.errors import Conflict, NotFound, RuleViolation

UTC = UTC
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def slot(start, minutes=60):
    return Slot(start, start + timedelta(minutes=minutes))


# --- local time and DST ---------------------------------------------------------------------


def test_a_winter_wall_clock_time_is_the_same_in_utc():
    assert local_to_utc(datetime(2026, 1, 6, 10, 0)) == utc(2026, 1, 6, 10, 0)


def test_a_summer_wall_clock_time_is_an_hour_behind_in_utc():
    assert local_to_utc(datetime(2026, 6, 2, 10, 0)) == utc(2026, 6, 2, 9, 0)


def refusal(call, *args, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as err:
        call(*args, **kwargs)
    return err.value


def test_a_time_skipped_by_the_spring_clock_change_is_refused_naming_the_gap_not_moved():
    err = refusal(local_to_utc, datetime(2027, 3, 28, 1, 30))
    assert (err.rule, err.field) == ("nonexistent_local_time", "starts_at")
    assert err.extra == {
        "local_time": "2027-03-28T01:30",
        "gap": {"from": "2027-03-28T01:00", "to": "2027-03-28T02:00"},
    }
    assert "01:00 to 02:00 on 28 March 2027" in err.detail


def test_the_minutes_either_side_of_the_spring_gap_exist():
    assert local_to_utc(datetime(2027, 3, 28, 0, 59)) == utc(2027, 3, 28, 0, 59)
    assert local_to_utc(datetime(2027, 3, 28, 2, 0)) == utc(2027, 3, 28, 1, 0)
    assert refusal(local_to_utc, datetime(2027, 3, 28, 1, 0)).rule == "nonexistent_local_time"


def test_a_time_in_the_spring_gap_is_refused_even_with_an_offset():
    for offset in (timedelta(0), timedelta(hours=1)):
        wall_clock = datetime(2027, 3, 28, 1, 30, tzinfo=timezone(offset))
        assert refusal(local_to_utc, wall_clock).rule == "nonexistent_local_time"


def test_a_time_repeated_by_the_autumn_clock_change_asks_which_naming_both_offsets():
    err = refusal(local_to_utc, datetime(2026, 10, 25, 1, 30), field="new_start")
    assert (err.rule, err.field) == ("ambiguous_local_time", "new_start")
    assert err.extra == {"local_time": "2026-10-25T01:30", "offsets": ["+01:00", "+00:00"]}
    assert "2026-10-25T01:30+01:00" in err.detail and "2026-10-25T01:30+00:00" in err.detail


def test_an_offset_says_which_of_the_repeated_autumn_hour_is_meant():
    assert local_to_utc(datetime(2026, 10, 25, 1, 30, tzinfo=timezone(timedelta(hours=1)))) == utc(2026, 10, 25, 0, 30)
    assert local_to_utc(datetime(2026, 10, 25, 1, 30, tzinfo=UTC)) == utc(2026, 10, 25, 1, 30)


def test_an_offset_london_does_not_have_at_that_time_is_refused():
    err = refusal(local_to_utc, datetime(2026, 6, 2, 10, 0, tzinfo=UTC))
    assert (err.rule, err.field) == ("offset_not_london", "starts_at")
    assert err.extra["offsets"] == ["+01:00"]
    assert refusal(local_to_utc, datetime(2026, 1, 6, 10, 0, tzinfo=timezone(timedelta(hours=2)))).rule == (
        "offset_not_london"
    )


def test_a_time_with_london_s_own_offset_is_that_time():
    assert local_to_utc(datetime(2026, 6, 2, 10, 0, tzinfo=timezone(timedelta(hours=1)))) == utc(2026, 6, 2, 9, 0)
    assert local_to_utc(datetime(2026, 1, 6, 10, 0, tzinfo=UTC)) == utc(2026, 1, 6, 10, 0)


# --- series expansion -------------------------------------------------------------------------


def test_a_four_weekly_series_keeps_ten_oclock_local_across_the_march_clock_change():
    slots = expand_series(datetime(2026, 3, 10, 10, 0), 3, Weekly(4), 120)
    assert [s.starts_at for s in slots] == [
        utc(2026, 3, 10, 10, 0),
        utc(2026, 4, 7, 9, 0),
        utc(2026, 5, 5, 9, 0),
    ]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=120) for s in slots)


def test_a_weekly_series_keeps_ten_oclock_local_across_the_october_clock_change():
    slots = expand_series(datetime(2026, 10, 20, 10, 0), 2, Weekly(1), 60)
    assert [s.starts_at for s in slots] == [utc(2026, 10, 20, 9, 0), utc(2026, 10, 27, 10, 0)]


def test_series_slots_are_timezone_aware_utc_datetimes():
    (only,) = expand_series(datetime(2026, 2, 3, 14, 0), 1, Weekly(), 90)
    assert only.starts_at.utcoffset() == timedelta(0)
    assert only.ends_at == utc(2026, 2, 3, 15, 30)


def test_a_session_that_crosses_a_clock_change_lasts_its_duration_in_elapsed_minutes():
    (only,) = expand_series(datetime(2026, 10, 25, 0, 30), 1, Weekly(), 120)
    assert only.ends_at - only.starts_at == timedelta(minutes=120)
    assert utc_to_local(only.ends_at) == datetime(2026, 10, 25, 1, 30)


def test_the_first_tuesday_series_starts_next_month_when_this_months_has_passed():
    slots = expand_series(datetime(2026, 3, 10, 10, 0), 3, MonthlyNthWeekday(1, 1), 120)
    assert [utc_to_local(s.starts_at) for s in slots] == [
        datetime(2026, 4, 7, 10, 0),
        datetime(2026, 5, 5, 10, 0),
        datetime(2026, 6, 2, 10, 0),
    ]
    assert slots[0].starts_at == utc(2026, 4, 7, 9, 0)


def test_a_series_with_a_session_in_the_spring_gap_is_refused_naming_that_session():
    err = refusal(expand_series, datetime(2027, 3, 14, 1, 30), 4, Weekly(), 60)
    assert (err.rule, err.field) == ("nonexistent_local_time", "starts_at")
    assert err.extra["occurrence"] == 3
    assert err.extra["local_time"] == "2027-03-28T01:30"
    assert err.detail.startswith("Session 3 of the series, 2027-03-28 01:30,")


def test_a_series_with_a_session_in_the_repeated_autumn_hour_is_refused_naming_that_session():
    err = refusal(expand_series, datetime(2026, 10, 18, 1, 30), 2, Weekly(), 60)
    assert err.rule == "ambiguous_local_time"
    assert (err.extra["occurrence"], err.extra["offsets"]) == (2, ["+01:00", "+00:00"])


def test_a_series_offset_says_which_hour_its_first_session_is_and_the_rest_keep_local_time():
    start = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    slots = expand_series(start, 2, Weekly(), 60)
    assert [s.starts_at for s in slots] == [utc(2026, 10, 25, 1, 30), utc(2026, 11, 1, 1, 30)]


def test_one_session_in_the_gap_is_refused_without_naming_a_series_session():
    err = refusal(expand_series, datetime(2027, 3, 28, 1, 15), 1, Weekly(), 60)
    assert "occurrence" not in err.extra and err.rule == "nonexistent_local_time"


def test_a_monthly_series_starts_on_the_start_date_when_it_matches():
    slots = expand_series(datetime(2026, 3, 3, 10, 0), 1, MonthlyNthWeekday(1, 1), 60)
    assert slots[0].starts_at == utc(2026, 3, 3, 10, 0)


def test_a_last_friday_series_finds_the_last_friday_of_each_month_across_the_year_end():
    slots = expand_series(datetime(2026, 11, 1, 9, 30), 3, MonthlyNthWeekday(4, -1), 60)
    assert [utc_to_local(s.starts_at) for s in slots] == [
        datetime(2026, 11, 27, 9, 30),
        datetime(2026, 12, 25, 9, 30),
        datetime(2027, 1, 29, 9, 30),
    ]


def test_the_nth_weekday_of_a_month_is_found_for_each_ordinal():
    assert nth_weekday_of_month(2026, 3, 1, 1) == datetime(2026, 3, 3).date()
    assert nth_weekday_of_month(2026, 3, 1, 4) == datetime(2026, 3, 24).date()
    assert nth_weekday_of_month(2026, 3, 1, -1) == datetime(2026, 3, 31).date()
    assert nth_weekday_of_month(2026, 2, 6, -1) == datetime(2026, 2, 22).date()


def test_a_series_can_be_parsed_from_request_shaped_cadence_values():
    assert parse_cadence("weekly", interval=4) == Weekly(4)
    assert parse_cadence("weekly") == Weekly(1)
    assert parse_cadence("monthly_nth_weekday", weekday="TU", ordinal=1) == MonthlyNthWeekday(1, 1)
    last_friday = parse_cadence("monthly_nth_weekday", weekday="friday", ordinal=-1)
    assert last_friday == MonthlyNthWeekday(4, -1)


@pytest.mark.parametrize(
    "build",
    [
        lambda: parse_cadence("fortnightly"),
        lambda: parse_cadence("monthly_nth_weekday", weekday=1),
        lambda: parse_cadence("monthly_nth_weekday", weekday="someday", ordinal=1),
        lambda: MonthlyNthWeekday(1, 5),
        lambda: MonthlyNthWeekday(7, 1),
        lambda: Weekly(0),
    ],
)
def test_an_unknown_or_out_of_range_cadence_is_refused(build):
    with pytest.raises(RuleViolation) as err:
        build()
    assert err.value.rule == "invalid_cadence"
    assert err.value.field == "cadence"


@pytest.mark.parametrize("count", [0, 53, -1])
def test_a_series_has_between_one_and_fifty_two_sessions(count):
    with pytest.raises(RuleViolation) as err:
        expand_series(datetime(2026, 3, 10, 10, 0), count, Weekly(), 60)
    assert err.value.rule == "invalid_count"
    assert err.value.field == "count"


def test_a_series_of_fifty_two_sessions_is_allowed():
    assert len(expand_series(datetime(2026, 3, 10, 10, 0), 52, Weekly(), 60)) == 52


@pytest.mark.parametrize("minutes", [0, -30, 14, 481])
def test_a_session_lasts_between_a_quarter_hour_and_eight_hours(minutes):
    with pytest.raises(RuleViolation) as err:
        expand_series(datetime(2026, 3, 10, 10, 0), 1, Weekly(), minutes)
    assert err.value.rule == "invalid_duration"


def test_an_eight_hour_session_is_allowed():
    (only,) = expand_series(datetime(2026, 3, 10, 9, 0), 1, Weekly(), 480)
    assert only.ends_at - only.starts_at == timedelta(hours=8)


def test_a_series_starting_in_the_past_is_refused():
    with pytest.raises(RuleViolation) as err:
        expand_series(datetime(2025, 12, 1, 10, 0), 3, Weekly(), 60, now=NOW)
    assert err.value.rule == "session_in_past"
    assert err.value.field == "starts_at"


def test_a_session_starting_exactly_now_is_not_in_the_future():
    with pytest.raises(RuleViolation):
        ensure_in_future(NOW, NOW)
    ensure_in_future(NOW + timedelta(seconds=1), NOW)


# --- clash detection --------------------------------------------------------------------------


def booking(person, session, start, minutes=60, status=SessionStatus.SCHEDULED):
    return Booking(person, session, start, start + timedelta(minutes=minutes), status)


def test_an_overlapping_booking_of_one_of_the_people_is_a_clash():
    proposed = [slot(utc(2026, 2, 3, 10, 0), 120)]
    existing = [booking("p-2", "s-9", utc(2026, 2, 3, 11, 0))]
    clash = find_clash(proposed, ["coach-1", "p-2"], existing)
    assert (clash.person_id, clash.session_id, clash.proposed_index) == ("p-2", "s-9", 0)


def test_back_to_back_sessions_do_not_clash():
    proposed = [slot(utc(2026, 2, 3, 10, 0), 60)]
    existing = [
        booking("p-1", "before", utc(2026, 2, 3, 9, 0)),
        booking("p-1", "after", utc(2026, 2, 3, 11, 0)),
    ]
    assert find_clash(proposed, ["p-1"], existing) is None


def test_a_cancelled_session_never_clashes():
    proposed = [slot(utc(2026, 2, 3, 10, 0))]
    existing = [booking("p-1", "s-1", utc(2026, 2, 3, 10, 0), status="cancelled")]
    assert find_clash(proposed, ["p-1"], existing) is None


def test_bookings_of_people_outside_the_set_do_not_clash():
    proposed = [slot(utc(2026, 2, 3, 10, 0))]
    existing = [booking("someone-else", "s-1", utc(2026, 2, 3, 10, 0))]
    assert find_clash(proposed, ["p-1"], existing) is None


def test_the_session_being_moved_does_not_clash_with_itself():
    proposed = [slot(utc(2026, 2, 3, 10, 30))]
    existing = [booking("p-1", "s-1", utc(2026, 2, 3, 10, 0))]
    assert find_clash(proposed, ["p-1"], existing, ignore_session_ids=["s-1"]) is None


def test_an_existing_booking_wholly_inside_a_proposed_slot_is_a_clash():
    proposed = [slot(utc(2026, 2, 3, 9, 0), 480)]
    existing = [booking("p-1", "s-1", utc(2026, 2, 3, 12, 0), 15)]
    assert find_clash(proposed, ["p-1"], existing).session_id == "s-1"


def test_a_proposed_slot_wholly_inside_an_existing_booking_is_a_clash():
    proposed = [slot(utc(2026, 2, 3, 12, 0), 15)]
    existing = [booking("p-1", "s-1", utc(2026, 2, 3, 9, 0), 480)]
    assert find_clash(proposed, ["p-1"], existing).session_id == "s-1"


def test_the_first_clash_is_the_one_that_begins_earliest_whatever_the_input_order():
    series = expand_series(datetime(2026, 2, 3, 10, 0), 6, Weekly(), 60)
    existing = [
        booking("p-3", "late", series[4].starts_at),
        booking("p-1", "early", series[1].starts_at + timedelta(minutes=30)),
        booking("p-2", "also-early", series[1].starts_at + timedelta(minutes=45)),
    ]
    for ordering in (existing, list(reversed(existing))):
        clash = find_clash(series, ["p-1", "p-2", "p-3"], ordering)
        assert (clash.person_id, clash.session_id, clash.proposed_index) == ("p-1", "early", 1)


def test_clash_detection_stays_fast_on_large_lists():
    proposed = [slot(utc(2026, 1, 1) + timedelta(hours=2 * i)) for i in range(20_000)]
    existing = [booking(f"p-{i % 50}", f"s-{i}", utc(2026, 1, 1, 1) + timedelta(hours=2 * i)) for i in range(20_000)]
    people = [f"p-{i}" for i in range(50)]
    assert find_clash(proposed, people, existing) is None
    existing.append(booking("p-7", "needle", proposed[-1].starts_at + timedelta(minutes=59)))
    assert find_clash(proposed, people, existing).session_id == "needle"


def test_a_clash_is_raised_as_a_conflict_naming_the_person_and_the_other_session():
    proposed = [slot(utc(2026, 2, 3, 10, 0))]
    existing = [booking("coach-1", "s-9", utc(2026, 2, 3, 10, 30))]
    with pytest.raises(Conflict) as err:
        ensure_no_clash(proposed, ["coach-1"], existing)
    assert err.value.status == 409
    assert err.value.rule == "clash"
    assert "coach-1" in err.value.detail and "s-9" in err.value.detail
    assert err.value.extra == {"person_id": "coach-1", "session_id": "s-9"}


def test_no_clash_raises_nothing():
    ensure_no_clash([slot(utc(2026, 2, 3, 10, 0))], ["p-1"], [])


def test_a_coaching_booking_occupies_both_the_coach_and_the_coachee():
    cb = CoachingBooking("s-1", "o-1", "coach-1", "p-1", utc(2026, 2, 3, 10), utc(2026, 2, 3, 11))
    proposed = [slot(utc(2026, 2, 3, 10, 30))]
    assert find_clash(proposed, ["p-1"], cb.bookings()).person_id == "p-1"
    assert find_clash(proposed, ["coach-1"], cb.bookings()).person_id == "coach-1"


# --- coaching allowance and coach capacity ------------------------------------------------------


def coaching(session, start, *, offer="o-1", coach="coach-1", coachee="p-1", status="scheduled"):
    end = start + timedelta(hours=1)
    return CoachingBooking(session, offer, coach, coachee, start, end, status)


def test_used_allowance_counts_only_this_coachees_non_cancelled_sessions_in_this_offer():
    bookings = [
        coaching("a", utc(2026, 1, 5, 10)),
        coaching("b", utc(2026, 1, 12, 10), status="cancelled"),
        coaching("c", utc(2026, 1, 19, 10), offer="o-2"),
        coaching("d", utc(2026, 1, 26, 10), coachee="p-2"),
    ]
    assert count_used_allowance(bookings, offer_id="o-1", coachee_id="p-1") == 1


def test_booking_the_last_session_of_an_allowance_is_allowed():
    bookings = [coaching(str(i), utc(2026, 1, 5 + i, 10)) for i in range(5)]
    ensure_within_allowance(6, bookings, offer_id="o-1", coachee_id="p-1")


def test_booking_beyond_the_coaching_allowance_is_refused():
    bookings = [coaching(str(i), utc(2026, 1, 5 + i, 10)) for i in range(6)]
    with pytest.raises(RuleViolation) as err:
        ensure_within_allowance(6, bookings, offer_id="o-1", coachee_id="p-1")
    assert err.value.status == 422
    assert err.value.rule == "allowance_exceeded"


def test_a_cancelled_session_gives_its_place_in_the_allowance_back():
    bookings = [coaching(str(i), utc(2026, 1, 5 + i, 10)) for i in range(5)]
    bookings.append(coaching("x", utc(2026, 1, 20, 10), status="cancelled"))
    ensure_within_allowance(6, bookings, offer_id="o-1", coachee_id="p-1")


def test_a_coach_can_fill_their_monthly_capacity_but_not_exceed_it():
    bookings = [coaching("a", utc(2026, 2, 2, 10)), coaching("b", utc(2026, 2, 9, 10))]
    ensure_coach_capacity(3, bookings, coach_id="coach-1", starts_at=[utc(2026, 2, 16, 10)])
    with pytest.raises(Conflict) as err:
        ensure_coach_capacity(2, bookings, coach_id="coach-1", starts_at=[utc(2026, 2, 16, 10)])
    assert err.value.rule == "coach_capacity"
    assert err.value.extra["month"] == "2026-02"


def test_coach_capacity_counts_only_that_coachs_non_cancelled_sessions_in_that_month():
    bookings = [
        coaching("a", utc(2026, 1, 30, 10)),
        coaching("b", utc(2026, 2, 9, 10), coach="coach-2"),
        coaching("c", utc(2026, 2, 10, 10), status="cancelled"),
    ]
    ensure_coach_capacity(1, bookings, coach_id="coach-1", starts_at=[utc(2026, 2, 16, 10)])


def test_coach_capacity_months_are_london_calendar_months():
    # 23:30 UTC on 31 May is 00:30 BST on 1 June: a June session.
    bookings = [coaching("a", utc(2026, 5, 31, 23, 30))]
    ensure_coach_capacity(1, bookings, coach_id="coach-1", starts_at=[utc(2026, 5, 20, 10)])
    with pytest.raises(Conflict):
        ensure_coach_capacity(1, bookings, coach_id="coach-1", starts_at=[utc(2026, 6, 20, 10)])


def test_several_new_sessions_in_one_month_count_together_against_capacity():
    with pytest.raises(Conflict):
        ensure_coach_capacity(1, [], coach_id="coach-1", starts_at=[utc(2026, 3, 2, 10), utc(2026, 3, 9, 10)])


def test_a_coaching_session_moved_within_its_month_does_not_count_twice():
    bookings = [coaching("a", utc(2026, 2, 2, 10))]
    ensure_coach_capacity(1, bookings, coach_id="coach-1", starts_at=[utc(2026, 2, 5, 10)], ignore_session_ids=["a"])


# --- rescheduling and cancellation ------------------------------------------------------------


def make_series(start_local, count=4, cadence=Weekly(4), series_id="series-1"):
    return [
        Session(f"s-{i}", s.starts_at, s.ends_at, series_id=series_id)
        for i, s in enumerate(expand_series(start_local, count, cadence, 120))
    ]


def test_rescheduling_a_session_moves_it_and_increments_its_sequence():
    session = Session("s-1", utc(2026, 2, 3, 10), utc(2026, 2, 3, 12), sequence=2)
    moved = reschedule_session(session, datetime(2026, 6, 2, 14, 0), now=NOW)
    assert moved.starts_at == utc(2026, 6, 2, 13, 0)
    assert moved.ends_at == utc(2026, 6, 2, 15, 0)
    assert moved.sequence == 3
    assert session.sequence == 2


def test_rescheduling_can_change_the_duration():
    session = Session("s-1", utc(2026, 2, 3, 10), utc(2026, 2, 3, 12))
    moved = reschedule_session(session, datetime(2026, 2, 4, 10), now=NOW, duration_minutes=90)
    assert moved.ends_at - moved.starts_at == timedelta(minutes=90)


def test_rescheduling_with_an_invalid_duration_is_refused():
    session = Session("s-1", utc(2026, 2, 3, 10), utc(2026, 2, 3, 12))
    with pytest.raises(RuleViolation) as err:
        reschedule_session(session, datetime(2026, 2, 4, 10), now=NOW, duration_minutes=600)
    assert err.value.rule == "invalid_duration"


def test_a_cancelled_session_cannot_be_rescheduled():
    session = cancel_session(Session("s-1", utc(2026, 2, 3, 10), utc(2026, 2, 3, 12)))
    with pytest.raises(Conflict) as err:
        reschedule_session(session, datetime(2026, 2, 4, 10), now=NOW)
    assert err.value.rule == "session_cancelled"


def test_a_session_cannot_be_rescheduled_into_the_past():
    session = Session("s-1", utc(2026, 2, 3, 10), utc(2026, 2, 3, 12))
    with pytest.raises(RuleViolation) as err:
        reschedule_session(session, datetime(2025, 12, 1, 10), now=NOW)
    assert err.value.rule == "session_in_past"


def test_a_session_that_has_already_started_cannot_be_moved():
    session = Session("s-1", utc(2025, 12, 1, 10), utc(2025, 12, 1, 12))
    with pytest.raises(Conflict) as err:
        reschedule_session(session, datetime(2026, 2, 4, 10), now=NOW)
    assert err.value.rule == "session_already_started"


def test_cancelling_a_session_marks_it_cancelled_and_increments_its_sequence():
    session = Session("s-1", utc(2026, 2, 3, 10), utc(2026, 2, 3, 12), sequence=1)
    cancelled = cancel_session(session)
    assert cancelled.status == SessionStatus.CANCELLED
    assert cancelled.sequence == 2


def test_cancelling_a_cancelled_session_is_a_conflict():
    session = cancel_session(Session("s-1", utc(2026, 2, 3, 10), utc(2026, 2, 3, 12)))
    with pytest.raises(Conflict) as err:
        cancel_session(session)
    assert err.value.rule == "session_cancelled"


def test_moving_the_rest_of_a_series_keeps_the_new_local_time_across_the_clock_change():
    series = make_series(datetime(2026, 2, 10, 10, 0))  # 10 Feb, 10 Mar, 7 Apr, 5 May
    moved = reschedule_following(series, "s-1", datetime(2026, 3, 10, 11, 0), now=NOW)
    assert [s.id for s in moved] == ["s-1", "s-2", "s-3"]
    assert [utc_to_local(s.starts_at) for s in moved] == [
        datetime(2026, 3, 10, 11, 0),
        datetime(2026, 4, 7, 11, 0),
        datetime(2026, 5, 5, 11, 0),
    ]
    assert moved[1].starts_at == utc(2026, 4, 7, 10, 0)
    assert all(s.sequence == 1 for s in moved)
    assert all(s.ends_at - s.starts_at == timedelta(minutes=120) for s in moved)


def test_moving_the_rest_of_a_series_by_a_day_shifts_every_later_date_by_a_day():
    series = make_series(datetime(2026, 2, 10, 10, 0))
    moved = reschedule_following(series, "s-2", datetime(2026, 4, 8, 10, 0), now=NOW)
    assert [utc_to_local(s.starts_at) for s in moved] == [
        datetime(2026, 4, 8, 10, 0),
        datetime(2026, 5, 6, 10, 0),
    ]


def test_moving_the_rest_of_a_series_leaves_cancelled_and_other_series_sessions_alone():
    series = make_series(datetime(2026, 2, 10, 10, 0))
    series[2] = cancel_session(series[2])
    other = Session("x-1", utc(2026, 6, 1, 10), utc(2026, 6, 1, 11), series_id="series-2")
    moved = reschedule_following(series + [other], "s-1", datetime(2026, 3, 10, 12, 0), now=NOW)
    assert [s.id for s in moved] == ["s-1", "s-3"]


def test_moving_the_rest_of_a_series_from_a_cancelled_session_is_a_conflict():
    series = make_series(datetime(2026, 2, 10, 10, 0))
    series[1] = cancel_session(series[1])
    with pytest.raises(Conflict) as err:
        reschedule_following(series, "s-1", datetime(2026, 3, 10, 12, 0), now=NOW)
    assert err.value.rule == "session_cancelled"


def test_moving_the_rest_of_a_series_from_an_unknown_session_is_not_found():
    with pytest.raises(NotFound):
        reschedule_following(make_series(datetime(2026, 2, 10, 10)), "nope", datetime(2026, 3, 1), now=NOW)


def test_moving_the_rest_of_a_series_into_the_past_is_refused():
    series = make_series(datetime(2026, 2, 10, 10, 0))
    with pytest.raises(RuleViolation) as err:
        reschedule_following(series, "s-0", datetime(2025, 12, 1, 10, 0), now=NOW)
    assert err.value.rule == "session_in_past"


def test_moving_a_session_into_the_spring_gap_is_refused_not_moved():
    session = Session("s-1", utc(2027, 3, 20, 10), utc(2027, 3, 20, 12))
    err = refusal(reschedule_session, session, datetime(2027, 3, 28, 1, 30), now=NOW)
    assert (err.rule, err.field) == ("nonexistent_local_time", "starts_at")


def test_moving_a_session_into_the_repeated_hour_takes_the_offset_given():
    session = Session("s-1", utc(2026, 10, 20, 10), utc(2026, 10, 20, 12))
    assert refusal(reschedule_session, session, datetime(2026, 10, 25, 1, 30), now=NOW).rule == "ambiguous_local_time"
    moved = reschedule_session(session, datetime(2026, 10, 25, 1, 30, tzinfo=UTC), now=NOW)
    assert moved.starts_at == utc(2026, 10, 25, 1, 30)


def test_moving_the_rest_of_a_series_so_a_later_session_falls_in_the_gap_is_refused_naming_it():
    series = make_series(datetime(2027, 3, 13, 10, 0), count=3, cadence=Weekly(1))  # 13, 20, 27 March
    err = refusal(reschedule_following, series, "s-0", datetime(2027, 3, 14, 1, 30), now=NOW)
    assert err.rule == "nonexistent_local_time"
    assert (err.extra["occurrence"], err.extra["local_time"]) == (3, "2027-03-28T01:30")


def one_slot(start: datetime, minutes: int = 90) -> list[Slot]:
    return [slot(start, minutes)]


def test_a_session_to_come_must_start_in_the_future_unless_recorded_as_already_one_slot():
    assert refusal(ensure_schedulable, one_slot(NOW - timedelta(days=3)), NOW).rule == "session_in_past"
    ensure_schedulable(one_slot(NOW - timedelta(days=3)), NOW, already_held=True)
    ensure_schedulable(one_slot(NOW + timedelta(days=3)), NOW)


def test_a_session_recorded_as_already_held_must_have_ended():
    err = refusal(ensure_schedulable, one_slot(NOW - timedelta(minutes=30)), NOW, already_held=True)
    assert (err.rule, err.field) == ("session_not_over", "starts_at")
    assert refusal(ensure_schedulable, one_slot(NOW + timedelta(days=1)), NOW, already_held=True).rule == (
        "session_not_over"
    )
    ensure_schedulable(one_slot(NOW - timedelta(minutes=90)), NOW, already_held=True)  # ended exactly now


def test_a_series_recorded_as_already_held_names_its_first_session_not_over():
    series = [slot(NOW - timedelta(days=14)), slot(NOW - timedelta(days=7)), slot(NOW - timedelta(minutes=10))]
    err = refusal(ensure_schedulable, series, NOW, already_held=True)
    assert (err.rule, err.extra) == ("session_not_over", {"occurrence": 3})
    ensure_schedulable(series[:2], NOW, already_held=True)


def test_a_session_is_recorded_as_already_held_only_within_ninety_days_of_its_start():
    ensure_schedulable(one_slot(NOW - HELD_WITHIN), NOW, already_held=True)
    err = refusal(ensure_schedulable, one_slot(NOW - HELD_WITHIN - timedelta(minutes=1)), NOW, already_held=True)
    assert (err.rule, err.field) == ("held_too_long_ago", "starts_at")
    assert HELD_WITHIN == timedelta(days=90)


def test_attendance_opens_for_a_session_recorded_as_already_one_slot():
    ensure_schedulable(one_slot(NOW - timedelta(days=2)), NOW, already_held=True)
    ensure_attendance_open(Session("s-1", NOW - timedelta(days=2), NOW - timedelta(days=2, minutes=-90)), NOW)


# --- roster membership over time -----------------------------------------------------------------


STARTS = {
    "s-1": utc(2026, 1, 6, 10),
    "s-2": utc(2026, 2, 3, 10),
    "s-3": utc(2026, 3, 3, 10),
}


def test_a_member_who_withdraws_stays_on_past_sessions_and_leaves_later_ones():
    assert expected_sessions(STARTS, utc(2025, 12, 1), utc(2026, 2, 1)) == ["s-1"]


def test_a_member_who_withdraws_exactly_at_a_session_start_is_not_expected_there():
    assert expected_sessions(STARTS, utc(2025, 12, 1), utc(2026, 2, 3, 10)) == ["s-1"]


def test_a_member_who_joins_midway_is_expected_only_from_then_on():
    assert expected_sessions(STARTS, utc(2026, 2, 3, 10)) == ["s-2", "s-3"]


def test_a_current_member_is_expected_at_every_session_since_joining():
    assert expected_sessions(list(STARTS.items()), utc(2025, 1, 1)) == ["s-1", "s-2", "s-3"]
    assert is_expected(utc(2030, 1, 1), utc(2025, 1, 1), None)


# --- attendance and continuity -----------------------------------------------------------------


def test_attendance_values_are_strings():
    assert [a.value for a in Attendance] == ["present", "apologies", "absent"]
    assert Attendance("apologies") == "apologies"


def held(session_id, start, status=SessionStatus.SCHEDULED):
    return Session(session_id, start, start + timedelta(hours=2), series_id="g", status=status)


def present(session_id, *members):
    return [AttendanceRecord(session_id, m, Attendance.PRESENT) for m in members]


def test_continuity_of_a_group_with_one_member_withdrawing():
    now = utc(2026, 4, 1)
    sessions = [held("s-1", STARTS["s-1"]), held("s-2", STARTS["s-2"]), held("s-3", STARTS["s-3"])]
    members = [
        Membership("a", utc(2025, 12, 1)),
        Membership("b", utc(2025, 12, 1)),
        Membership("c", utc(2025, 12, 1)),
        Membership("d", utc(2025, 12, 1), left_at=utc(2026, 2, 1)),
    ]
    attendance = (
        present("s-1", "a", "b", "c", "d")
        + present("s-2", "a", "b")
        + [AttendanceRecord("s-2", "c", Attendance.APOLOGIES)]
        + present("s-3", "a", "b", "c")
    )
    report = compute_continuity(sessions, members, attendance, now=now)

    assert [(s.session_id, s.expected, s.present, s.present_share) for s in report.sessions] == [
        ("s-1", 4, 4, 1.0),
        ("s-2", 3, 2, 0.667),
        ("s-3", 3, 3, 1.0),
    ]
    assert report.sessions[1].apologies == 1
    rates = {m.member_id: (m.expected, m.present, m.attendance_rate) for m in report.members}
    assert rates == {"a": (3, 3, 1.0), "b": (3, 3, 1.0), "c": (3, 2, 0.667), "d": (1, 1, 1.0)}
    # {a,b,c,d} → {a,b}: 2/4; {a,b} → {a,b,c}: 2/3
    assert [(st.from_session_id, st.to_session_id, st.jaccard) for st in report.stability] == [
        ("s-1", "s-2", 0.5),
        ("s-2", "s-3", 0.667),
    ]
    assert report.mean_stability == 0.583
    assert report.attendance_rate == 0.9  # 9 present / 10 expected
    assert (report.members_ever, report.members_current, report.retention) == (4, 3, 0.75)


def test_cancelled_and_future_sessions_are_not_counted_as_held():
    now = utc(2026, 2, 15)
    sessions = [
        held("s-1", STARTS["s-1"]),
        held("s-2", STARTS["s-2"], status=SessionStatus.CANCELLED),
        held("s-3", STARTS["s-3"]),
    ]
    members = [Membership("a", utc(2025, 1, 1))]
    report = compute_continuity(sessions, members, present("s-1", "a"), now=now)
    assert [s.session_id for s in report.sessions] == ["s-1"]
    assert report.stability == []
    assert report.mean_stability == 0.0


def test_an_expected_member_without_a_record_counts_as_unrecorded_not_present():
    sessions = [held("s-1", STARTS["s-1"])]
    members = [Membership("a", utc(2025, 1, 1)), Membership("b", utc(2025, 1, 1))]
    report = compute_continuity(sessions, members, present("s-1", "a"), now=utc(2026, 4, 1))
    (row,) = report.sessions
    assert (row.present, row.unrecorded, row.present_share) == (1, 1, 0.5)


def test_attendance_of_someone_not_expected_is_ignored():
    sessions = [held("s-1", STARTS["s-1"])]
    members = [Membership("a", utc(2025, 1, 1)), Membership("late", utc(2026, 3, 1))]
    attendance = present("s-1", "a", "late", "guest")
    report = compute_continuity(sessions, members, attendance, now=utc(2026, 4, 1))
    assert report.sessions[0].present == 1
    assert report.sessions[0].present_share == 1.0


def test_a_member_who_rejoins_is_expected_in_both_membership_periods():
    sessions = [held(sid, start) for sid, start in STARTS.items()]
    members = [
        Membership("a", utc(2025, 1, 1), left_at=utc(2026, 1, 20)),
        Membership("a", utc(2026, 3, 1)),
    ]
    report = compute_continuity(sessions, members, [], now=utc(2026, 4, 1))
    assert report.members[0].expected == 2
    assert report.members_current == 1


def test_continuity_never_divides_by_zero():
    report = compute_continuity([], [], [], now=utc(2026, 4, 1))
    assert (report.attendance_rate, report.mean_stability, report.retention) == (0.0, 0.0, 0.0)
    quiet = compute_continuity([held("s-1", STARTS["s-1"]), held("s-2", STARTS["s-2"])], [], [], now=utc(2026, 4, 1))
    assert [s.present_share for s in quiet.sessions] == [0.0, 0.0]
    assert quiet.stability[0].jaccard == 0.0


def test_jaccard_similarity_compares_who_was_present():
    assert jaccard({"a", "b"}, {"a", "b"}) == 1.0
    assert jaccard({"a"}, {"b"}) == 0.0
    assert jaccard({"a", "b", "c"}, {"a", "b"}) == 0.667
    assert jaccard(set(), set()) == 0.0


def test_the_last_attendance_record_for_a_member_at_a_session_wins():
    sessions = [held("s-1", STARTS["s-1"])]
    records = [
        AttendanceRecord("s-1", "a", Attendance.ABSENT),
        AttendanceRecord("s-1", "a", "present"),
    ]
    members = [Membership("a", utc(2025, 1, 1))]
    report = compute_continuity(sessions, members, records, now=utc(2026, 4, 1))
    assert report.sessions[0].present == 1 and report.sessions[0].absent == 0


# --- co-design topics ---------------------------------------------------------------------------


def test_topics_are_assigned_in_rank_order_of_score():
    needs = [("strategy", 3), ("leadership", 9), ("teamwork", 5)]
    assert assign_topics(needs, 3) == ["leadership", "teamwork", "strategy"]


def test_topics_cycle_when_there_are_fewer_needs_than_sessions():
    needs = [("leadership", 9), ("dealing with conflict", 7)]
    assert assign_topics(needs, 5) == [
        "leadership",
        "dealing with conflict",
        "leadership",
        "dealing with conflict",
        "leadership",
    ]


def test_only_the_top_needs_are_used_when_there_are_more_needs_than_sessions():
    needs = [("innovation", 1), ("leadership", 9), ("engagement", 4)]
    assert assign_topics(needs, 2) == ["leadership", "engagement"]


def test_needs_with_equal_scores_keep_the_order_given():
    needs = [("collaboration", 5), ("engagement", 5)]
    assert assign_topics(needs, 2) == ["collaboration", "engagement"]


def test_a_need_named_twice_counts_once_at_its_best_score():
    needs = [("Teamwork", 2), ("strategy", 5), (" teamwork ", 8), ("", 10)]
    assert assign_topics(needs, 3) == ["Teamwork", "strategy", "Teamwork"]


def test_no_sessions_need_no_topics_and_no_needs_cannot_fill_sessions():
    assert assign_topics([], 0) == []
    with pytest.raises(RuleViolation) as err:
        assign_topics([], 3)
    assert err.value.rule == "no_development_needs"


# --- series across both clock changes ------------------------------------------------------------


def test_a_first_tuesday_series_over_a_year_keeps_its_local_time_across_both_clock_changes():
    slots = expand_series(datetime(2026, 1, 6, 10, 0), 12, MonthlyNthWeekday(1, 1), 120)
    assert {utc_to_local(s.starts_at).time() for s in slots} == {datetime(2026, 1, 1, 10).time()}
    utc_hours = [s.starts_at.hour for s in slots]
    # GMT Jan-Mar, BST Apr-Oct (the last Sundays of March and October are the 29th and 25th), GMT again.
    assert utc_hours == [10, 10, 10, 9, 9, 9, 9, 9, 9, 9, 10, 10]


def test_a_weekly_sunday_series_meets_at_its_local_time_on_the_days_the_clocks_change():
    spring = expand_series(datetime(2026, 3, 22, 10, 0), 2, Weekly(), 60)
    autumn = expand_series(datetime(2026, 10, 18, 10, 0), 2, Weekly(), 60)
    assert [s.starts_at for s in spring] == [utc(2026, 3, 22, 10), utc(2026, 3, 29, 9)]
    assert [s.starts_at for s in autumn] == [utc(2026, 10, 18, 9), utc(2026, 10, 25, 10)]


# --- cancelling the rest of a series, attendance window ----------------------------------------


def test_cancelling_the_rest_of_a_series_cancels_that_session_and_the_later_ones():
    series = make_series(datetime(2026, 2, 10, 10, 0))
    cancelled = cancel_following(series, "s-1", now=NOW)
    assert [(s.id, s.status, s.sequence) for s in cancelled] == [
        ("s-1", SessionStatus.CANCELLED, 1),
        ("s-2", SessionStatus.CANCELLED, 1),
        ("s-3", SessionStatus.CANCELLED, 1),
    ]


def test_cancelling_the_rest_of_a_series_skips_sessions_already_cancelled():
    series = make_series(datetime(2026, 2, 10, 10, 0))
    series[2] = cancel_session(series[2])
    assert [s.id for s in cancel_following(series, "s-1", now=NOW)] == ["s-1", "s-3"]


def test_a_session_that_has_begun_cannot_be_cancelled():
    session = Session("s-1", NOW - timedelta(minutes=5), NOW + timedelta(minutes=55))
    with pytest.raises(Conflict) as err:
        cancel_session(session, now=NOW)
    assert err.value.rule == "session_already_started"


def test_attendance_is_recorded_once_a_session_has_begun_and_not_for_a_cancelled_one():
    begun = Session("s-1", NOW - timedelta(minutes=5), NOW + timedelta(minutes=55))
    ensure_attendance_open(begun, NOW)
    with pytest.raises(Conflict) as err:
        ensure_attendance_open(Session("s-2", NOW + timedelta(hours=1), NOW + timedelta(hours=2)), NOW)
    assert err.value.rule == "session_not_started"
    with pytest.raises(Conflict) as err:
        ensure_attendance_open(cancel_session(begun), NOW)
    assert err.value.rule == "session_cancelled"


# --- a facilitator's monthly capacity ------------------------------------------------------------


def test_a_facilitator_can_lead_up_to_their_monthly_capacity_across_groups():
    led = [
        booking("f-1", "a", utc(2026, 2, 2, 10)),
        booking("f-1", "b", utc(2026, 2, 9, 10)),
        booking("f-2", "c", utc(2026, 2, 9, 10)),
    ]
    ensure_monthly_capacity(3, led, person_id="f-1", starts_at=[utc(2026, 2, 16, 10)])
    with pytest.raises(Conflict) as err:
        ensure_monthly_capacity(2, led, person_id="f-1", starts_at=[utc(2026, 2, 16, 10)])
    assert (err.value.rule, err.value.extra["person_id"], err.value.extra["booked"]) == (
        "facilitator_capacity",
        "f-1",
        2,
    )


# --- co-design: ranking a cohort's needs -----------------------------------------------------------


def test_needs_are_ranked_by_their_mean_rating_then_by_how_many_rated_them():
    answers = [{"strategy": 5, "teamwork": 4}, {"strategy": 3, "teamwork": 4, "innovation": 4}, {"engagement": 5}]
    assert rank_needs(answers) == [
        NeedScore("engagement", 5.0, 1),
        NeedScore("strategy", 4.0, 2),
        NeedScore("teamwork", 4.0, 2),
        NeedScore("innovation", 4.0, 1),
    ]


def test_no_answers_rank_no_needs():
    assert rank_needs([]) == []


def test_a_need_code_becomes_a_readable_topic():
    assert topic_label("dealing_with_conflict") == "Dealing with conflict"
    assert assign_topics([(n.need, n.score) for n in rank_needs([{"teamwork": 5, "strategy": 2}])], 1) == ["teamwork"]
