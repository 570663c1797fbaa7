"""The sessions pages' pure parts: the schedule form as the API's request, a clash as a field's
message, attendance in one form, feedback's figures as shown, sessions grouped by London day."""

from datetime import date

from services.console.pages.facilitation import facilitator_request
from services.console.pages.sessions import (
    attendance_request,
    by_day,
    describe,
    figures_view,
    session_errors,
    session_request,
    window,
)

FORM = {"starts_at[day]": "4", "starts_at[month]": "3", "starts_at[year]": "2027", "start_time": "9:30"}


def test_one_session_is_a_london_wall_clock_start_with_its_duration_place_and_facilitator():
    form = FORM | {"duration_minutes": "120", "facilitator_id": "f-1", "venue": " Leeds, Room 2 ", "video_link": ""}
    assert session_request(form) == {
        "starts_at": "2027-03-04T09:30",
        "duration_minutes": 120,
        "facilitator_id": "f-1",
        "venue": "Leeds, Room 2",
    }


def test_a_number_of_sessions_makes_a_weekly_series_and_a_past_session_says_it_already_happened():
    series = session_request(FORM | {"duration_minutes": "90", "count": "6", "interval": "2"})
    assert series["repeat"] == {"count": 6, "cadence": "weekly", "interval": 2}
    held = session_request(FORM | {"duration_minutes": "90", "already_held": "yes"})
    assert held["already_held"] is True and "repeat" not in held


def test_what_is_not_a_number_or_a_date_goes_to_the_api_as_typed_and_empty_fields_are_left_out():
    body = session_request(
        {
            "starts_at[day]": "31",
            "starts_at[month]": "2",
            "starts_at[year]": "2027",
            "start_time": "10:00",
            "duration_minutes": "two hours",
        }
    )
    assert body == {"starts_at": "2027-2-31T10:00", "duration_minutes": "two hours"}
    assert session_request({}) == {}


def test_a_clash_of_the_chosen_facilitator_shows_next_to_the_facilitator_and_anyone_elses_next_to_the_date():
    problem = {
        "rule": "clash",
        "status": 409,
        "person_id": "f-1",
        "errors": [{"field": "starts_at", "message": "Person f-1 ..."}],
    }
    errors = session_errors(problem, "f-1")
    assert list(errors.by_field) == ["facilitator_id"]
    assert "already leads a session at that time" in errors.by_field["facilitator_id"]
    assert errors.summary[0]["href"] == "#facilitator_id"
    member = session_errors(problem | {"person_id": "p-7"}, "f-1")
    assert list(member.by_field) == ["starts_at"] and member.summary[0]["href"] == "#starts_at-day"
    assert "p-7" not in member.by_field["starts_at"]


def test_a_series_fields_problem_shows_next_to_its_field():
    problem = {
        "rule": "invalid_request",
        "errors": [
            {"field": "repeat.count", "message": "Must be greater than or equal to 1 and less than or equal to 52."}
        ],
    }
    errors = session_errors(problem, None)
    assert errors.by_field["count"].startswith("Number of sessions")


def test_attendance_is_one_mark_per_expected_person_chosen_in_the_form():
    form = {"attendance-p-1": "present", "attendance-p-2": "apologies", "attendance-p-3": "", "attendance-x": "present"}
    assert attendance_request(form, ["p-1", "p-2", "p-3"]) == {
        "records": [
            {"participant_id": "p-1", "attendance": "present"},
            {"participant_id": "p-2", "attendance": "apologies"},
        ]
    }


def test_feedback_figures_are_shown_as_given_and_a_withheld_one_reads_fewer_than_5():
    assert figures_view({"suppressed": True, "respondents": None}) == {
        "respondents": "fewer than 5",
        "response_rate": "fewer than 5",
        "measures": [],
    }
    shown = figures_view(
        {
            "suppressed": False,
            "respondents": 5,
            "response_rate": 0.625,
            "measures": {"overall_rating": {"count": 5, "mean": 4.2}},
        }
    )
    assert shown == {
        "respondents": "5",
        "response_rate": "62%",
        "measures": [{"name": "Overall rating", "mean": "4.2", "count": "5"}],
    }


def _session(sid, starts, ends):
    return describe({"id": sid, "starts_at": starts, "ends_at": ends, "status": "scheduled"})


def test_sessions_are_grouped_by_their_london_day_in_start_order():
    late = _session("b", "2027-07-01T23:30:00+00:00", "2027-07-02T00:30:00+00:00")  # 00:30 on 2 July in London
    early = _session("a", "2027-07-01T08:00:00+00:00", "2027-07-01T09:00:00+00:00")
    next_day = _session("c", "2027-07-02T09:00:00+00:00", "2027-07-02T10:00:00+00:00")
    grouped = by_day([next_day, late, early])
    assert [(day, [s["id"] for s in items]) for day, items in grouped] == [
        ("Thursday 1 July 2027", ["a"]),
        ("Friday 2 July 2027", ["b", "c"]),
    ]
    assert late["times"] == "12:30am to 1:30am" and early["place"] == "Place not set"


def test_a_window_of_days_runs_from_london_midnight_to_london_midnight_across_a_clock_change():
    assert window(0, 7, today=date(2027, 3, 25)) == {
        "from": "2027-03-25T00:00:00+00:00",
        "to": "2027-04-01T00:00:00+01:00",
    }


def test_a_facilitators_skills_are_typed_with_commas_and_sent_in_the_apis_words():
    assert facilitator_request({"kind": "coach", "monthly_capacity": "6", "skills": "Action learning, coaching,"}) == {
        "kind": "coach",
        "monthly_capacity": 6,
        "skills": ["action_learning", "coaching"],
    }
