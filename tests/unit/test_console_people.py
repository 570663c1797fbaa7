"""The pure parts of the console's people and records pages: a search or audit page's query from
the address, paging links, the registration request from the form, erasure markers, audit times and
actions in words, and an ODS import's report and refusal in a person's words. No I/O."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from services.console.pages.participants import (
    is_erased,
    page_offset,
    pagination,
    participant_request,
    search_query,
)
from services.console.pages.records import (
    action_words,
    audit_query,
    audit_service,
    change_lines,
    decoded,
    import_errors,
    import_summary,
    problem_rows,
    when,
)

REGIONS = {"Y56": "London", "Y58": "South West"}


def test_a_search_sends_only_the_filters_chosen_and_never_asks_for_the_erased():
    assert search_query(MultiDict(), "Y56") == {"limit": 20, "offset": 0, "erased": "false"}
    chosen = MultiDict({"email": "  Priya.Shah@example.nhs.uk ", "pcn": "U10001", "role": "nurse", "page": "3"})
    assert search_query(chosen, "Y56") == {
        "limit": 20,
        "offset": 40,
        "erased": "false",
        "email": "Priya.Shah@example.nhs.uk",
        "pcn": "U10001",
        "role": "nurse",
    }
    assert "role" not in search_query(MultiDict({"role": "surgeon"}), "Y56")  # not a job role: no filter


@pytest.mark.parametrize(("page", "offset"), [(None, 0), ("1", 0), ("2", 20), ("0", 0), ("-2", 0), ("x", 0)])
def test_a_page_number_in_an_address_is_an_offset_and_anything_else_is_the_first_page(page, offset):
    assert page_offset(page) == offset


def test_paging_links_go_back_and_on_only_where_there_are_pages():
    def link(number):
        return f"/participants?page={number}"

    assert pagination(15, 0, 20, link) == {}
    assert pagination(45, 0, 20, link) == {"next": {"href": "/participants?page=2", "labelText": "2 of 3"}}
    assert pagination(45, 20, 20, link) == {
        "previous": {"href": "/participants?page=1", "labelText": "1 of 3"},
        "next": {"href": "/participants?page=3", "labelText": "3 of 3"},
    }
    assert pagination(45, 40, 20, link) == {"previous": {"href": "/participants?page=2", "labelText": "2 of 3"}}


def test_the_registration_request_trims_leaves_out_what_is_empty_and_sends_no_practice_as_none():
    form = MultiDict(
        {
            "name": " Priya Shah ",
            "email": "priya.shah@example.nhs.uk",
            "role": "nurse",
            "pcn_code": "U10001",
            "practice_code": " f83012 ",
            "leadership_experience": "",
            "idempotency_key": "k",
            "csrf_token": "t",
        }
    )
    assert participant_request(form) == {
        "name": "Priya Shah",
        "email": "priya.shah@example.nhs.uk",
        "role": "nurse",
        "pcn_code": "U10001",
        "practice_code": "F83012",
    }
    assert participant_request(MultiDict({"practice_code": "  "})) == {"practice_code": None}


def test_an_erased_participant_is_known_by_the_markers_erasure_leaves():
    assert is_erased({"id": "p1", "name": "(erased)", "email": "erased-p1@erased.invalid"})
    assert not is_erased({"id": "p1", "name": "Priya Shah", "email": "priya.shah@example.nhs.uk"})
    assert not is_erased({"id": "p1", "email": "erased-p2@erased.invalid"})


def test_an_audit_page_asks_for_the_filters_chosen_and_its_from_date_from_midnight_in_england():
    args = MultiDict(
        {"record_id": " abc ", "subject": "", "since[day]": "4", "since[month]": "7", "since[year]": "2027"}
    )
    assert audit_query(args) == {"limit": 25, "offset": 0, "record_id": "abc", "since": "2027-07-04T00:00:00+01:00"}
    winter = MultiDict({"since[day]": "4", "since[month]": "1", "since[year]": "2027", "page": "2"})
    assert audit_query(winter) == {"limit": 25, "offset": 25, "since": "2027-01-04T00:00:00+00:00"}
    wrong = MultiDict({"since[day]": "31", "since[month]": "2", "since[year]": "2027"})
    assert audit_query(wrong)["since"] == "2027-2-31"  # as typed: the API names what is wrong with it


def test_the_audit_trail_is_enrolments_unless_another_service_is_chosen():
    assert audit_service(MultiDict()) == "enrolment"
    assert audit_service(MultiDict({"service": "feedback"})) == "feedback"
    assert audit_service(MultiDict({"service": "elsewhere"})) == "enrolment"


def test_audit_times_are_englands_and_actions_are_in_words_or_as_called():
    assert when("2026-11-29T20:45:03.123456+00:00") == "29 November 2026 at 8:45pm"
    assert when("2027-07-04T09:05:00Z") == "4 July 2027 at 10:05am"  # British Summer Time
    assert action_words({"action": "DELETE", "route": "/v1/participants/<participant_id>"}) == (
        "Erased a participant's personal data"
    )
    assert action_words({"action": "GET", "route": "/v1/needs/ranking"}) == "GET /v1/needs/ranking"


def test_an_ods_file_is_read_as_utf8_with_or_without_its_mark_or_as_windows_1252():
    assert decoded("\ufeffU10001,CAMDEN".encode()) == "U10001,CAMDEN"
    assert decoded("ST MARY’S".encode("cp1252")) == "ST MARY’S"


def _change(kind, change, *differences, code="U10001", name="CAMDEN PCN"):
    return {
        "kind": kind,
        "code": code,
        "name": name,
        "change": change,
        "differences": [{"field": f, "before": b, "after": a} for f, b, a in differences],
    }


def test_each_change_of_an_import_is_said_in_words():
    added = _change("pcn", "added", ("name", None, "HACKNEY PCN"), ("region", None, "Y56"))
    assert change_lines(added, REGIONS) == ["New PCN in London (Y56)"]
    closed_new = _change("pcn", "added", ("region", None, "Y99"), ("closed_on", None, "2025-03-31"))
    assert change_lines(closed_new, REGIONS) == ["New PCN in Y99, closed on 31 March 2025"]
    changed = _change(
        "pcn",
        "changed",
        ("name", "CAMDEN CENTRAL PCN", "CAMDEN PCN"),
        ("region", "Y56", "Y58"),
        ("closed_on", None, "2027-03-31"),
        ("sub_icb_code", "93C", "93D"),
    )
    assert change_lines(changed, REGIONS) == [
        "Renamed from CAMDEN CENTRAL PCN to CAMDEN PCN",
        "Moved from London (Y56) to South West (Y58)",
        "Closed on 31 March 2027",
        "Sub-ICB code changed from 93C to 93D",
    ]
    assert change_lines(_change("pcn", "changed", ("closed_on", "2025-03-31", None))) == [
        "Reopened (was closed on 31 March 2025)"
    ]
    assert change_lines(_change("practice", "added", ("pcn_code", None, "U10004"))) == ["New practice in PCN U10004"]
    assert change_lines(_change("practice", "changed", ("pcn_code", "U10001", "U10002"))) == [
        "Moved from PCN U10001 to PCN U10002"
    ]


def test_an_imports_report_is_counted_in_words():
    report = {"pcns": {"created": 1, "updated": 2, "unchanged": 9}, "practices": {"created": 0, "updated": 1}}
    assert import_summary(report) == ["1 PCN added", "2 PCNs changed", "1 practice changed"]
    assert import_summary({"pcns": {"created": 0, "updated": 0}, "practices": {}}) == ["No changes"]


def test_a_refused_import_names_each_row_and_the_first_of_each_file_by_its_input():
    problem = {
        "detail": "3 rows would move a PCN or practice between your region and another; nothing was imported.",
        "errors": [
            {"field": "epcn_csv", "line": 1, "message": "another_region: the PCN is in region Y56"},
            {"field": "practice_map_csv", "line": 2, "message": "another_region: the practice is in a PCN of Y56"},
            {"field": "practice_map_csv", "line": 3, "message": "another_region: the practice is in a PCN of Y56"},
        ],
    }
    assert [(row["file"], row["line"]) for row in problem_rows(problem)] == [
        ("ePCN file", 1),
        ("Practice mapping file", 2),
        ("Practice mapping file", 3),
    ]
    errors = import_errors(problem)
    assert errors.by_field == {
        "epcn_csv": "ePCN file, line 1: another_region: the PCN is in region Y56",
        "practice_map_csv": "Practice mapping file, line 2: another_region: the practice is in a PCN of Y56",
    }
    assert [item.get("href") for item in errors.summary] == ["#epcn_csv", "#practice_map_csv", None]
    assert errors.summary[-1]["text"].startswith("3 rows would move")


def test_a_refusal_that_names_no_row_is_shown_in_the_summary():
    errors = import_errors({"title": "Forbidden", "detail": "You may not import reference data."})
    assert errors.summary == [{"text": "You may not import reference data."}]
