"""The participant's pages' pure parts: which offers are open to them, their place in words, their
sessions split and said in UK time, and their forms turned into the feedback API's requests."""

from __future__ import annotations

from datetime import UTC, datetime

from services.console import forms
from services.console.pages.participant import (
    answer_title,
    current_enrolment,
    figure,
    latest_per_offer,
    open_to,
    place_text,
    split_sessions,
    when,
)
from services.console.pages.participant_answers import (
    FEEDBACK_REFUSALS,
    NEEDS,
    NEEDS_ANCHORS,
    NEEDS_CHOICES,
    NEEDS_FIELDS,
    feedback_request,
    needs_request,
    nested_fields,
    outcome_request,
    refusal,
    unchosen_anonymity,
)
from services.console.upstream import TOKEN_SECONDS, kept_tokens
from shared.contracts.vocabulary import Need, WithdrawalReason


def test_the_catalogue_shows_published_offers_in_start_order_and_a_pcn_teams_offer_only_to_its_pcn():
    offers = [
        {"id": "b", "title": "B", "status": "published", "offer_type": "coaching", "starts_on": "2027-03-01"},
        {"id": "a", "title": "A", "status": "published", "offer_type": "regional_programme", "starts_on": "2027-01-04"},
        {"id": "s", "title": "S", "status": "started", "offer_type": "regional_programme", "starts_on": "2026-01-04"},
        {"id": "t", "title": "T", "status": "published", "offer_type": "pcn_team", "pcn_code": "U10001"},
        {"id": "u", "title": "U", "status": "published", "offer_type": "pcn_team", "pcn_code": "U10002"},
    ]
    assert [o["id"] for o in open_to(offers, "U10001")] == ["t", "a", "b"]
    assert [o["id"] for o in open_to(offers, None)] == ["a", "b"]
    assert [o["id"] for o in open_to(offers, "U10001", holding=["a"])] == ["t", "b"]  # already in it


def test_a_place_is_said_in_words_with_the_waiting_list_position_and_why_it_ended():
    assert place_text(None) == "Not enrolled"
    assert place_text({"status": "confirmed"}) == "You have a place"
    assert place_text({"status": "waitlisted", "waitlist_position": 3}) == "Number 3 on the waiting list"
    assert place_text({"status": "completed"}) == "Completed"
    assert place_text({"status": "withdrawn", "withdrawal_reason": None}) == "Withdrawn"
    assert (
        place_text({"status": "withdrawn", "withdrawal_reason": WithdrawalReason.OFFER_CANCELLED.value})
        == "Withdrawn: the programme was cancelled"
    )
    for reason in WithdrawalReason.values():  # every reason of the vocabulary has its words
        assert place_text({"status": "withdrawn", "withdrawal_reason": reason}).startswith("Withdrawn: ")


def test_the_answer_to_enrolling_is_a_place_or_a_position_on_the_waiting_list():
    assert answer_title({"status": "confirmed", "waitlist_position": None}) == "You have a place"
    assert answer_title({"status": "waitlisted", "waitlist_position": 3}) == "You are number 3 on the waiting list"


def test_the_enrolment_that_matters_is_the_active_one_else_the_latest():
    enrolments = [
        {"id": "1", "offer_id": "o", "status": "withdrawn", "updated_at": "2026-11-02T10:00:00Z"},
        {"id": "2", "offer_id": "o", "status": "waitlisted", "updated_at": "2026-11-01T10:00:00Z"},
        {"id": "3", "offer_id": "p", "status": "withdrawn", "updated_at": "2026-10-01T10:00:00Z"},
        {"id": "4", "offer_id": "p", "status": "withdrawn", "updated_at": "2026-10-05T10:00:00Z"},
    ]
    assert current_enrolment(enrolments, "o")["id"] == "2"
    assert current_enrolment(enrolments, "p")["id"] == "4"
    assert current_enrolment(enrolments, "q") is None
    assert [e["id"] for e in latest_per_offer(enrolments)] == ["2", "4"]


def test_a_sessions_time_is_said_in_uk_time_in_the_nhs_style():
    summer = {"starts_at": "2027-06-01T09:00:00+00:00", "ends_at": "2027-06-01T11:30:00+00:00"}
    assert when(summer) == "Tuesday 1 June 2027, 10am to 12:30pm"
    winter = {"starts_at": "2027-01-05T12:15:00Z", "ends_at": "2027-01-05T13:00:00Z"}
    assert when(winter) == "Tuesday 5 January 2027, 12:15pm to 1pm"


def test_sessions_split_into_upcoming_soonest_first_and_past_latest_first_one_under_way_upcoming():
    now = datetime(2027, 3, 1, 12, tzinfo=UTC)
    sessions = [
        {"id": "old", "starts_at": "2027-02-01T10:00:00+00:00", "ends_at": "2027-02-01T12:00:00+00:00"},
        {"id": "recent", "starts_at": "2027-02-20T10:00:00+00:00", "ends_at": "2027-02-20T12:00:00+00:00"},
        {"id": "now", "starts_at": "2027-03-01T11:00:00+00:00", "ends_at": "2027-03-01T13:00:00+00:00"},
        {"id": "later", "starts_at": "2027-04-01T10:00:00+00:00", "ends_at": "2027-04-01T12:00:00+00:00"},
    ]
    upcoming, past = split_sessions(sessions, now)
    assert [s["id"] for s in upcoming] == ["now", "later"]
    assert [s["id"] for s in past] == ["recent", "old"]


def test_the_latest_few_consistency_tokens_are_kept_without_repeats_and_old_ones_dropped():
    now = 1_000.0
    assert kept_tokens([["a", now]], None, now) == [["a", now]]
    assert kept_tokens([["a", now], ["b", now]], "a", now + 1) == [["b", now], ["a", now + 1]]
    five = [[token, now] for token in "abcde"]
    assert [token for token, _ in kept_tokens(five, "f", now)] == list("bcdef")
    assert kept_tokens([["old", now - TOKEN_SECONDS], ["new", now - 1]], None, now) == [["new", now - 1]]


def test_the_feedback_form_becomes_the_apis_request_with_the_anonymous_choice_as_true_or_false():
    form = {
        "overall": "5",
        "usefulness": "4",
        "will_apply": "3",
        "recommend": "good",
        "comment": "  Useful.  ",
        "anonymous": "yes",
        "csrf_token": "x",
    }
    assert feedback_request(form) == {
        "overall": 5,
        "usefulness": 4,
        "will_apply": 3,
        "recommend": "good",
        "comment": "Useful.",
        "anonymous": True,
    }
    named = feedback_request({"overall": "2", "comment": " ", "anonymous": "no"})
    assert named == {"overall": 2, "comment": None, "anonymous": False}  # what is not chosen, the API names


def test_the_console_asks_for_the_anonymous_choice_rather_than_send_feedback_with_a_name_by_default():
    errors = unchosen_anonymity({"overall": "5"})
    assert errors.by_field == {"anonymous": "Choose whether to give your feedback anonymously or with your name."}
    assert errors.summary[0]["href"] == "#anonymous-1"
    assert not unchosen_anonymity({"anonymous": "no"})


def test_the_needs_survey_sends_the_ratings_chosen_the_programme_and_the_pcn_only_when_ticked():
    form = {need: "3" for need in Need.values()} | {"offer_id": "o-1", "other_needs": "", "pcn_code": "yes"}
    body = needs_request(form, "U10001")
    assert body == {
        "ratings": {need: 3 for need in Need.values()},
        "other_needs": None,
        "offer_id": "o-1",
        "pcn_code": "U10001",
    }
    regional = needs_request({"leadership": "5", "offer_id": "", "other_needs": "Digital"}, "U10001")
    assert regional == {"ratings": {"leadership": 5}, "other_needs": "Digital", "offer_id": None}
    assert set(NEEDS) == set(Need.values())


def test_the_outcome_form_sends_the_programme_the_phase_and_the_scores_chosen():
    form = {"offer_id": "o-1", "phase": "before", "confidence": "3", "isolation": "7", "trust_in_group": ""}
    assert outcome_request(form) == {"offer_id": "o-1", "phase": "before", "scores": {"confidence": 3, "isolation": 7}}


def test_a_problem_naming_a_nested_rating_is_shown_beside_that_ratings_radios():
    problem = {
        "status": 422,
        "rule": "validation_error",
        "errors": [{"field": "ratings.engagement", "message": "Missing data for required field."}],
    }
    errors = forms.from_problem(nested_fields(problem, NEEDS_CHOICES), NEEDS_FIELDS, NEEDS_ANCHORS)
    assert errors.by_field == {"engagement": "Engagement: choose a rating from 1 to 5."}
    assert errors.summary == [{"text": "Engagement: choose a rating from 1 to 5.", "href": "#engagement-1"}]
    other = {"errors": [{"field": "scores.isolation", "message": "Must be greater than or equal to 1."}]}
    assert nested_fields(other, NEEDS_CHOICES)["errors"] == [
        {"field": "isolation", "message": "Must be greater than or equal to 1."}
    ]


def test_a_refusal_about_the_persons_situation_is_a_sentence_and_a_fields_problem_is_not():
    assert refusal({"rule": "feedback_already_given"}, FEEDBACK_REFUSALS).startswith("You have already given")
    assert "recorded as attending" in refusal({"rule": "not_an_attendee"}, FEEDBACK_REFUSALS)
    assert "closed" in refusal({"rule": "feedback_window_closed"}, FEEDBACK_REFUSALS)
    assert refusal({"rule": "validation_error"}, FEEDBACK_REFUSALS) is None


def test_a_count_is_shown_as_the_api_gives_it_rounded_and_said_so():
    assert figure(0) == "0 (rounded to the nearest 5)"
    assert figure(5) == "5 (rounded to the nearest 5)"
    assert figure(None) == "Not shown"
