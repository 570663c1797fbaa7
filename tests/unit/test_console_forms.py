"""A service's problem+json → the NHS.UK error summary (links to the fields) and messages next to them."""

from services.console.forms import from_problem
from services.console.pages.offers import ANCHORS, OFFER_FIELDS, offer_request

FIELDS = {"capacity": "Number of places", "title": "Title", "starts_on": "Start date"}


def test_a_field_left_empty_is_asked_for_in_the_nhs_uk_words():
    problem = {"errors": [{"field": "capacity", "message": "Field may not be null."}]}
    assert from_problem(problem, FIELDS).by_field == {"capacity": "Enter number of places."}


def test_each_named_field_gets_its_message_and_a_summary_link_to_it_in_the_services_order():
    problem = {
        "status": 422,
        "rule": "invalid_request",
        "errors": [
            {"field": "title", "message": "Missing data for required field."},
            {"field": "capacity", "message": "capacity must be a whole number from 1 to 8."},
        ],
    }
    errors = from_problem(problem, FIELDS)
    assert errors.by_field == {
        "title": "Enter title.",
        "capacity": "Number of places must be a whole number from 1 to 8.",
    }
    assert errors.summary == [
        {"text": "Enter title.", "href": "#title"},
        {"text": "Number of places must be a whole number from 1 to 8.", "href": "#capacity"},
    ]


def test_a_date_links_to_its_day_field_and_a_nested_field_counts_as_its_form_field():
    problem = {"errors": [{"field": "starts_on.0", "message": "Not a valid date"}]}
    errors = from_problem(problem, FIELDS, {"starts_on": "starts_on-day"})
    assert errors.by_field == {"starts_on": "Start date: not a valid date."}
    assert errors.summary == [{"text": "Start date: not a valid date.", "href": "#starts_on-day"}]


def test_a_problem_naming_no_field_of_the_form_is_shown_in_the_summary_without_a_link():
    errors = from_problem({"status": 409, "detail": "The offer has changed since you opened it"}, FIELDS)
    assert errors.by_field == {}
    assert errors.summary == [{"text": "The offer has changed since you opened it."}]
    assert bool(errors)
    unknown = from_problem({"errors": [{"field": "version", "message": "Stale."}]}, FIELDS)
    assert unknown.summary == [{"text": "Stale."}] and unknown.by_field == {}


def test_only_the_first_message_of_a_field_is_shown_next_to_it():
    problem = {"errors": [{"field": "title", "message": "Too long."}, {"field": "title", "message": "Blank."}]}
    assert from_problem(problem, FIELDS).by_field == {"title": "Title: too long."}


def test_the_create_form_becomes_the_apis_request_and_what_is_not_a_number_or_date_is_sent_as_typed():
    form = {
        "offer_type": "action_learning_set",
        "title": " Set A ",
        "capacity": "8",
        "starts_on[day]": "4",
        "starts_on[month]": "1",
        "starts_on[year]": "2027",
        "ends_on[day]": "31",
        "ends_on[month]": "2",
        "ends_on[year]": "2027",
        "planned_sessions": "six",
        "basis": "project",
        "session_allowance": "",
    }
    assert offer_request(form) == {
        "offer_type": "action_learning_set",
        "title": "Set A",
        "capacity": 8,
        "starts_on": "2027-01-04",
        "ends_on": "2027-2-31",
        "planned_sessions": "six",
        "basis": "project",
    }
    assert set(ANCHORS) <= set(OFFER_FIELDS)
