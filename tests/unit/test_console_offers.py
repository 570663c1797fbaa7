"""The offer and enrolment pages' pure parts: forms → the API's requests, what an offer's status lets
the administrator do, a roster grouped for the page (the waiting list in order, promotions seen), and
the services' refusals in the administrator's words. No I/O."""

from werkzeug.datastructures import MultiDict

from services.console.pages.enrolments import (
    ENROL_FIELDS,
    TEAM_FIELDS,
    holding,
    holding_hint,
    local_day,
    matching,
    promoted_with,
    refusal,
    roster_groups,
    team_request,
    was_promoted,
)
from services.console.pages.offers import actions_for, news_panel, offer_changes, offer_form, transition_refusal

OFFER = {
    "id": "o1",
    "region": "Y56",
    "offer_type": "action_learning_set",
    "title": "Set",
    "capacity": 8,
    "status": "published",
    "starts_on": "2027-01-04",
    "ends_on": "2027-06-28",
    "planned_sessions": 6,
    "basis": "project",
    "session_allowance": None,
    "pcn_code": None,
}


def _entry(eid, pid, status, requested="2026-11-29T10:00:00+00:00", updated=None, position=None, reason=None):
    return {
        "id": eid,
        "participant_id": pid,
        "status": status,
        "waitlist_position": position,
        "withdrawal_reason": reason,
        "requested_at": requested,
        "updated_at": updated or requested,
        "role": "clinical_director",
        "pcn_code": "U10001",
    }


# --- The offer's own forms and actions ----------------------------------------------------------


def test_the_edit_form_is_filled_from_the_offer_with_dates_as_day_month_and_year():
    assert offer_form(OFFER) == {
        "title": "Set",
        "capacity": "8",
        "planned_sessions": "6",
        "starts_on[day]": "4",
        "starts_on[month]": "1",
        "starts_on[year]": "2027",
        "ends_on[day]": "28",
        "ends_on[month]": "6",
        "ends_on[year]": "2027",
        "basis": "project",
    }


def test_an_edit_sends_every_field_it_shows_as_the_api_takes_them():
    form = MultiDict(offer_form(OFFER) | {"title": "  Spring set  ", "capacity": "7"})
    assert offer_changes(form, "action_learning_set") == {
        "title": "Spring set",
        "capacity": 7,
        "starts_on": "2027-01-04",
        "ends_on": "2027-06-28",
        "planned_sessions": 6,
        "basis": "project",
    }


def test_an_edit_sends_a_field_left_empty_as_null_so_the_api_asks_for_it_and_what_is_no_number_as_typed():
    form = MultiDict({"title": " ", "capacity": "eight", "planned_sessions": "", "session_allowance": "6"})
    assert offer_changes(form, "coaching") == {
        "title": None,
        "capacity": "eight",
        "starts_on": None,
        "ends_on": None,
        "planned_sessions": None,
        "session_allowance": 6,
    }


def test_a_field_of_another_offer_type_is_never_sent():
    form = MultiDict({"title": "Programme", "basis": "project", "session_allowance": "3"})
    assert set(offer_changes(form, "regional_programme")) == {
        "title",
        "capacity",
        "starts_on",
        "ends_on",
        "planned_sessions",
    }


def test_each_status_offers_only_the_changes_enrolment_allows_from_it():
    def can(status, offer_type="action_learning_set", role="regional_admin"):
        return actions_for(OFFER | {"status": status, "offer_type": offer_type}, role)

    assert can("draft") == {"edit": True, "actions": ["publish", "cancel"], "enrol": False, "team": False}
    assert can("published") == {"edit": True, "actions": ["start", "cancel"], "enrol": True, "team": False}
    assert can("started") == {"edit": False, "actions": ["complete", "cancel"], "enrol": False, "team": False}
    assert can("started", "regional_programme")["enrol"] is True  # not a closed group: still takes members
    assert can("published", "pcn_team")["team"] is True
    assert can("completed") == can("cancelled") == {"edit": False, "actions": [], "enrol": False, "team": False}
    assert can("published", role="national")["enrol"] is False  # the national team enrols nobody


def test_only_the_offers_manager_changes_it_and_a_region_enrols_its_people_in_a_national_offer():
    national = OFFER | {"region": "national", "offer_type": "regional_programme"}
    regional = OFFER | {"region": "Y56", "offer_type": "regional_programme"}
    assert actions_for(national, "national") == {
        "edit": True,
        "actions": ["start", "cancel"],
        "enrol": False,
        "team": False,
    }
    assert actions_for(national, "regional_admin") == {"edit": False, "actions": [], "enrol": True, "team": False}
    assert actions_for(regional, "national") == {"edit": False, "actions": [], "enrol": False, "team": False}
    assert actions_for(regional, "regional_admin")["actions"] == ["start", "cancel"]


def test_a_refused_transition_says_what_the_offer_is_now():
    already = {"rule": "invalid_transition", "from": "published", "to": "published", "detail": "..."}
    assert transition_refusal(already).summary == [{"text": "This offer is already published."}]
    ended = {"rule": "invalid_transition", "from": "completed", "to": "cancelled", "detail": "..."}
    assert transition_refusal(ended).summary == [{"text": "A completed offer cannot be cancelled."}]
    held = {"rule": "no_session_held", "detail": "An offer that has held no session cannot complete."}
    assert transition_refusal(held).summary == [{"text": "An offer that has held no session cannot complete."}]


def test_the_panel_after_a_change_says_what_it_did_and_a_started_closed_group_says_its_waiting_list_went():
    assert news_panel(["created"], OFFER, {}, [])["title"] == "Offer created"
    assert news_panel([{"done": "published"}], OFFER, {}, [])["title"] == "Offer published"
    assert "closed group" in news_panel([{"done": "started"}], OFFER, {}, [])["text"]
    open_programme = OFFER | {"offer_type": "regional_programme"}
    assert "still takes new members" in news_panel([{"done": "started"}], open_programme, {}, [])["text"]
    assert news_panel([{"done": "team", "count": 3}], OFFER, {}, []) == {
        "title": "Team enrolled",
        "text": "3 people have a place.",
    }
    assert news_panel([], OFFER, {}, []) is None


def test_the_panel_after_a_withdrawal_names_who_took_the_place_from_the_waiting_list():
    at = "2026-11-30T09:00:00+00:00"
    entries = [
        _entry("e1", "p1", "withdrawn", updated=at, reason="withdrew"),
        _entry("e9", "p9", "confirmed", requested="2026-11-29T10:09:00+00:00", updated=at),
        _entry("e2", "p2", "confirmed"),
    ]
    people = {"p1": {"name": "Chloe Evans"}, "p9": {"name": "Isaac Reid"}}
    done = {"done": "withdrawn", "id": "e1", "participant_id": "p1", "updated_at": at}
    assert news_panel([done], OFFER, people, entries) == {
        "title": "Chloe Evans withdrawn",
        "text": "Isaac Reid was first on the waiting list and now has the place.",
    }
    nobody_waiting = [entries[0], entries[2]]
    assert news_panel([done], OFFER, people, nobody_waiting) == {"title": "Chloe Evans withdrawn", "text": None}


# --- The roster ------------------------------------------------------------------------------


def test_a_roster_is_grouped_into_places_the_waiting_list_in_order_and_those_who_left_latest_first():
    entries = [
        _entry("w2", "p4", "waitlisted", position=2),
        _entry("c1", "p1", "confirmed", requested="2026-11-29T10:00:00+00:00"),
        _entry("w1", "p3", "waitlisted", position=1),
        _entry("x1", "p5", "withdrawn", updated="2026-11-30T08:00:00+00:00", reason="offer_cancelled"),
        _entry("x2", "p6", "withdrawn", updated="2026-11-30T09:00:00+00:00", reason="withdrew"),
        _entry("d1", "p7", "completed"),
        _entry("c2", "p2", "confirmed", requested="2026-11-29T09:00:00+00:00", updated="2026-11-30T07:00:00+00:00"),
    ]
    people = {f"p{n}": {"id": f"p{n}", "name": f"Person {n}"} for n in range(1, 7)}
    groups = roster_groups(entries, people)
    assert [e["id"] for e in groups["members"]] == ["c2", "c1", "d1"]  # places by when they came, then completed
    assert [e["id"] for e in groups["waitlist"]] == ["w1", "w2"]
    assert [e["id"] for e in groups["ended"]] == ["x2", "x1"]
    assert [e["reason"] for e in groups["ended"]] == ["Withdrew", "Offer cancelled"]
    assert groups["places_taken"] == 2
    assert [e["promoted"] for e in groups["members"]] == [True, False, False]
    assert groups["members"][2]["name"] == "Name not available"  # p7 was not answered
    assert groups["members"][0]["job_role"] == "Clinical director"
    assert groups["members"][0]["changed_on"] == "2026-11-30"


def test_a_place_changed_after_it_was_taken_was_a_promotion_and_the_withdrawal_that_freed_it_is_found_by_its_instant():
    at = "2026-11-30T09:00:00+00:00"
    promoted = _entry("e9", "p9", "confirmed", updated=at)
    earlier = _entry("e8", "p8", "confirmed", updated="2026-11-30T08:00:00+00:00")
    withdrawn = _entry("e1", "p1", "withdrawn", updated=at)
    assert was_promoted(promoted) and not was_promoted(_entry("e2", "p2", "confirmed"))
    assert not was_promoted(_entry("e3", "p3", "waitlisted", updated=at, position=1))  # moved up, still waiting
    assert promoted_with([promoted, earlier, withdrawn], withdrawn) == [promoted]


def test_a_day_is_said_in_england_whatever_the_utc_date():
    assert local_day("2026-06-30T23:30:00+00:00") == "2026-07-01"  # British Summer Time
    assert local_day("2026-12-31T23:30:00Z") == "2026-12-31"
    assert local_day(None) is None


# --- Finding and enrolling people ----------------------------------------------------------------


def test_people_are_found_by_every_word_typed_in_any_case_and_order_never_an_erased_one():
    people = [
        {"id": "1", "name": "Amira Khan", "email": "a@example.nhs.uk"},
        {"id": "2", "name": "Ben Khan", "email": "b@example.nhs.uk"},
        {"id": "3", "name": "(erased)", "email": "erased-3@erased.invalid"},
    ]
    assert [p["id"] for p in matching(people, "KHAN")] == ["1", "2"]
    assert [p["id"] for p in matching(people, "khan amira")] == ["1"]
    assert [p["id"] for p in matching(people, "")] == ["1", "2"]
    assert matching(people, "erased") == []


def test_who_already_holds_a_place_or_waits_is_said_beside_their_name():
    entries = [
        _entry("c", "p1", "confirmed"),
        _entry("w", "p2", "waitlisted", position=3),
        _entry("x", "p3", "withdrawn"),
    ]
    held = holding(entries)
    assert set(held) == {"p1", "p2"}
    assert holding_hint(held["p1"]) == "Already has a place"
    assert holding_hint(held["p2"]) == "Already on the waiting list (number 3)"
    assert holding_hint(held.get("p3")) is None


def test_an_enrolment_refused_by_a_rule_is_said_next_to_the_person_field_naming_them():
    problem = {
        "rule": "already_enrolled",
        "detail": "The participant already holds a place in this offer.",
        "errors": [{"field": "participant_id", "message": "The participant already holds a place in this offer."}],
    }
    errors = refusal(problem, ENROL_FIELDS, ["Amira Khan"])
    assert errors.by_field == {"participant_id": "Amira Khan already has a place or is on the waiting list."}
    assert errors.summary == [
        {"text": "Amira Khan already has a place or is on the waiting list.", "href": "#participant_id"}
    ]


def test_an_offer_not_open_is_said_in_the_summary_as_it_names_no_field_of_the_form():
    problem = {
        "rule": "offer_not_open",
        "errors": [{"field": "offer_id", "message": "A draft ... offer takes no new members."}],
    }
    errors = refusal(problem, ENROL_FIELDS, ["Amira Khan"])
    assert errors.by_field == {}
    assert errors.summary == [{"text": "This offer is not open for enrolment: publish it first, or it has closed."}]


def test_a_team_member_refused_is_named_by_their_place_in_the_team_and_a_team_that_does_not_fit_is_said_as_it_is():
    wrong = {"rule": "wrong_pcn", "errors": [{"field": "participant_ids[1]", "message": "..."}]}
    errors = refusal(wrong, TEAM_FIELDS, ["Amira Khan", "Ben Okafor"])
    assert errors.by_field == {
        "participant_ids": "Ben Okafor is not in this team's PCN: a PCN team offer takes only that PCN's people."
    }
    too_big = {
        "rule": "team_does_not_fit",
        "team_size": 3,
        "free_places": 2,
        "waitlist_length": 0,
        "errors": [{"field": "participant_ids", "message": "A team of 3 does not fit: 2 places are free."}],
    }
    assert refusal(too_big, TEAM_FIELDS, ["A", "B", "C"]).by_field == {
        "participant_ids": "A team of 3 does not fit: 2 places are free. A team gets its places all together or not "
        "at all, and only while nobody is waiting."
    }


def test_a_team_is_the_people_ticked_each_once_in_order():
    form = MultiDict(
        [("participant_ids", "p2"), ("participant_ids", "p1"), ("participant_ids", "p2"), ("participant_ids", " ")]
    )
    assert team_request(form) == {"participant_ids": ["p2", "p1"]}
    assert team_request(MultiDict()) == {"participant_ids": []}


def test_an_unknown_refusal_falls_back_to_the_services_words_next_to_its_field():
    problem = {
        "rule": "invalid_request",
        "errors": [{"field": "participant_id", "message": "Longer than maximum length 64."}],
    }
    errors = refusal(problem, ENROL_FIELDS, ["X"])
    assert errors.by_field == {"participant_id": "Person to enrol: longer than maximum length 64."}
    assert errors.summary[0]["href"] == "#participant_id"
    assert refusal({"detail": "Something odd."}, ENROL_FIELDS).summary == [{"text": "Something odd."}]
