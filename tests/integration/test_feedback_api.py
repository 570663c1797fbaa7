"""Feedback's HTTP endpoints on both databases: answers, refusals that write nothing, figures
by role with small-number suppression, comments that stay in their region."""

from datetime import timedelta

import pytest

from services.feedback.store import tables as store
from shared.contracts import enrolment
from tests.integration.test_feedback_handlers import NOW, FeedbackWorld, world  # noqa: F401 (world: the shared fixture)

ANSWER = {"overall": 4, "usefulness": 5, "will_apply": 3, "recommend": "good"}
RATINGS = {
    "leadership": 5,
    "collaboration": 4,
    "dealing_with_conflict": 2,
    "innovation": 3,
    "teamwork": 4,
    "strategy": 1,
    "engagement": 2,
}
SCORES = {"confidence": 3, "isolation": 6, "trust_in_group": 4, "sense_of_direction": 2}


def held(world, session_id, offer_id, attendees, region="Y56", offer_type="action_learning_set", ends_at=None):
    ends_at = ends_at or NOW - timedelta(days=1)
    world.offer(offer_id, region, offer_type)
    world.session(session_id, offer_id, region, ends_at)
    for person in attendees:
        world.attend(session_id, offer_id, person, region, ends_at)


def answer(world, as_, session_id, person, region="Y56", **changes):
    return world.client.post(
        f"/v1/sessions/{session_id}/feedback", json=ANSWER | changes, headers=as_("participant", region, person)
    )


def outbox_values(world) -> str:
    return " ".join(row["value"] for row in world.rows(world.runtime.db.tables.outbox))


# --- session feedback -------------------------------------------------------------------


def test_an_attendee_gives_named_feedback_which_counts_in_every_scope_of_its_region(world, as_):
    held(world, "s1", "o1", [f"p{i}" for i in range(1, 11)])
    response = answer(world, as_, "s1", "p1", comment="Very useful")
    assert response.status_code == 201 and response.json == {"session_id": "s1", "anonymous": False}
    [row] = world.rows(store.feedback_responses)
    assert row["participant_id"] == "p1" and row["given_on"] is not None
    for person in ("p2", "p3", "p4", "p5"):
        assert answer(world, as_, "s1", person).status_code == 201
    admin = as_("regional_admin", "Y56")
    for query in (
        "scope=session&id=s1",
        "scope=offer&id=o1",
        "scope=region",
        "scope=offer_type&offer_type=action_learning_set",
    ):
        figures = world.client.get(f"/v1/aggregates?{query}", headers=admin).json
        assert figures["respondents"] == 5 and figures["attendees"] == 10 and figures["response_rate"] == 0.5, query
        assert figures["measures"]["overall"]["mean"] == 4
    events = outbox_values(world)
    assert "org.convene.feedback.feedback.submitted.v1" not in {
        r["event_type"] for r in world.rows(world.runtime.db.tables.outbox)
    }
    assert "p1" not in events and "Very useful" not in events


def test_feedback_on_a_session_recorded_after_it_happened_counts_its_window_from_the_recording(world, as_):
    ended = NOW - timedelta(days=20)  # longer ago than the 14-day window
    world.offer("o1")
    world.session("late", "o1", ends_at=ended, recorded_at=NOW - timedelta(hours=1))
    world.session("on-time", "o1", ends_at=ended, recorded_at=ended - timedelta(days=7))
    for session_id in ("late", "on-time"):
        world.attend(session_id, "o1", "p1", ends_at=ended)
    before = world.counts()
    closed = answer(world, as_, "on-time", "p1")
    assert (closed.status_code, closed.json["rule"]) == (422, "feedback_window_closed")
    assert world.counts() == before
    assert answer(world, as_, "late", "p1").status_code == 201


def test_anonymous_feedback_leaves_nothing_that_links_it_to_the_person(world, as_):
    held(world, "s1", "o1", ["p1"])
    response = answer(world, as_, "s1", "p1", anonymous=True, comment="Candid remark")
    assert response.status_code == 201 and set(response.json) == {"session_id", "anonymous"}
    [row] = world.rows(store.feedback_responses)
    assert row["participant_id"] is None and row["given_on"] is None and row["anonymous"] is True
    [marker] = world.rows(store.feedback_responded)
    assert set(marker) == {"marker"} and "p1" not in marker["marker"]
    assert world.counts()["idempotency_keys"] == 0
    assert row["id"] not in outbox_values(world) and "p1" not in outbox_values(world)


@pytest.mark.parametrize(
    "case, status, rule",
    [
        ("twice", 409, "feedback_already_given"),
        ("twice_anonymously", 409, "feedback_already_given"),
        ("out_of_range", 422, "invalid_request"),
        ("not_a_whole_number", 422, "invalid_request"),
        ("after_the_window", 422, "feedback_window_closed"),
        ("before_the_session_ends", 422, "session_not_held"),
        ("comment_too_long", 422, "invalid_request"),
        ("not_an_attendee", 422, "not_an_attendee"),
        ("unknown_session", 404, "session_not_found"),
        ("mass_assignment", 422, "invalid_request"),
    ],
)
def test_bad_feedback_is_a_problem_and_writes_nothing(world, as_, case, status, rule):
    held(world, "s1", "o1", ["p1", "p2"])
    held(world, "old", "o2", ["p1"], ends_at=NOW - timedelta(days=15))
    held(world, "future", "o3", ["p1"], ends_at=NOW + timedelta(days=1))
    assert answer(world, as_, "s1", "p2").status_code == 201
    before = world.counts()
    session, person, changes = {
        "twice": ("s1", "p2", {}),
        "twice_anonymously": ("s1", "p2", {"anonymous": True}),
        "out_of_range": ("s1", "p1", {"overall": 6}),
        "not_a_whole_number": ("s1", "p1", {"usefulness": 4.5}),
        "after_the_window": ("old", "p1", {}),
        "before_the_session_ends": ("future", "p1", {}),
        "comment_too_long": ("s1", "p1", {"comment": "x" * 2001}),
        "not_an_attendee": ("s1", "p9", {}),
        "unknown_session": ("nope", "p1", {}),
        "mass_assignment": ("s1", "p1", {"participant_id": "p2"}),
    }[case]
    response = answer(world, as_, session, person, **changes)
    assert (response.status_code, response.mimetype, response.json["rule"]) == (
        status,
        "application/problem+json",
        rule,
    )
    assert world.counts() == before


def test_the_feedback_window_is_a_setting(databases, kafka_bootstrap, signing_keys, as_):
    world = FeedbackWorld(databases.new("feedback"), kafka_bootstrap, signing_keys[1], FEEDBACK_WINDOW_DAYS="2")
    try:
        held(world, "s1", "o1", ["p1"], ends_at=NOW - timedelta(days=3))
        assert answer(world, as_, "s1", "p1").json["rule"] == "feedback_window_closed"
    finally:
        world.service.stop()


def test_only_participants_give_feedback(world, as_):
    held(world, "s1", "o1", ["p1"])
    response = world.client.post("/v1/sessions/s1/feedback", json=ANSWER, headers=as_("regional_admin", "Y56"))
    assert response.status_code == 403


# --- figures by role ----------------------------------------------------------------------


def test_four_respondents_are_withheld_from_every_role_their_own_regions_admin_included(world, as_):
    held(world, "s1", "o1", ["a1", "a2", "a3", "a4", "a5", "a6"], region="Y60")
    for person in ("a1", "a2", "a3", "a4"):
        assert answer(world, as_, "s1", person, region="Y60").status_code == 201
    for headers in (as_("regional_admin", "Y60"), as_("national"), as_("service")):
        for query in (
            "scope=session&id=s1",
            "scope=offer&id=o1",
            "scope=region&region=Y60",
            "scope=national",
            "scope=offer_type&offer_type=action_learning_set",
        ):
            figures = world.client.get(f"/v1/aggregates?{query}", headers=headers).json
            assert figures["suppressed"] and figures["reason"] == "small_numbers", query
            assert figures["respondents"] is None and figures["attendees"] is None and figures["measures"] == {}, query
    assert (
        world.client.get("/v1/aggregates?scope=session&id=s1", headers=as_("regional_admin", "Y56")).status_code == 404
    )
    assert (
        world.client.get("/v1/aggregates?scope=region&region=Y60", headers=as_("regional_admin", "Y56")).status_code
        == 404
    )


def test_the_national_total_minus_the_shown_regions_does_not_reveal_a_small_region(world, as_):
    held(world, "s1", "o1", [f"a{i}" for i in range(4)], region="Y60")
    held(world, "s2", "o2", [f"b{i}" for i in range(6)], region="Y56")
    held(world, "s3", "o3", [f"c{i}" for i in range(9)], region="Y61")
    for session, region, people in (("s1", "Y60", 4), ("s2", "Y56", 6), ("s3", "Y61", 9)):
        for i in range(people):
            assert (
                answer(world, as_, session, f"{'abc'['s1 s2 s3'.split().index(session)]}{i}", region=region).status_code
                == 201
            )
    summary = world.client.get("/v1/national/summary", headers=as_("national")).json
    regions = {r["region"]: r for r in summary["regions"]}
    assert regions["Y60"]["suppressed"] and regions["Y56"]["suppressed"]  # Y56 covers Y60
    assert {regions["Y60"]["reason"], regions["Y56"]["reason"]} == {"small_numbers"}  # never which one is small
    assert regions["Y61"]["respondents"] == 10 and summary["national"]["respondents"] == 20  # 9 and 19, rounded
    shown = sum(r["respondents"] for r in regions.values() if not r["suppressed"])
    assert summary["national"]["respondents"] - shown == 10  # 4 + 6 together, and only to the nearest five
    own = world.client.get("/v1/national/summary", headers=as_("regional_admin", "Y56")).json
    assert own == summary  # the region's own admin reads the very same figures


def test_figures_need_a_valid_scope_filter_and_period(world, as_):
    national = as_("national")
    assert world.client.get("/v1/aggregates?scope=region", headers=national).json["errors"][0]["field"] == "region"
    assert (
        world.client.get("/v1/aggregates?scope=session&id=x&period=2025-03", headers=national).json["rule"]
        == "period_not_available"
    )
    assert world.client.get("/v1/aggregates?scope=national&period=2025-13", headers=national).status_code == 422
    assert world.client.get("/v1/aggregates?scope=national", headers=as_("participant", "Y56", "p1")).status_code == 403


def test_a_month_period_counts_the_sessions_held_that_month(world, as_):
    people = [f"p{i}" for i in range(6)]
    held(world, "s1", "o1", people)
    for person in people:
        answer(world, as_, "s1", person)
    month = (NOW - timedelta(days=1)).strftime("%Y-%m")
    admin = as_("regional_admin", "Y56")
    assert (
        world.client.get(f"/v1/aggregates?scope=region&period={month}", headers=admin).json["respondents"] == 5
    )  # 6, rounded
    assert world.client.get("/v1/aggregates?scope=region&period=2020-01", headers=admin).json["suppressed"]


# --- comments -------------------------------------------------------------------------------


def test_comments_are_seen_only_by_the_admin_of_the_sessions_region(world, as_):
    held(world, "s1", "o1", [f"p{i}" for i in range(1, 11)])
    answer(world, as_, "s1", "p1", comment="Named remark")
    answer(world, as_, "s1", "p2", comment="Anonymous remark", anonymous=True)
    for person in ("p3", "p4", "p5"):
        answer(world, as_, "s1", person)
    page = world.client.get("/v1/sessions/s1/comments", headers=as_("regional_admin", "Y56")).json
    assert page["total"] == 2
    by_text = {item["comment"]: item for item in page["items"]}
    assert by_text["Named remark"]["participant_id"] == "p1" and by_text["Anonymous remark"]["participant_id"] is None
    assert world.client.get("/v1/sessions/s1/comments", headers=as_("regional_admin", "Y60")).status_code == 404
    assert world.client.get("/v1/sessions/s1/comments", headers=as_("national")).status_code == 403


def test_comments_wait_until_five_have_answered_and_anonymous_ones_until_five_attendees_are_unnamed(world, as_):
    admin = as_("regional_admin", "Y56")
    # Six attended and five answered, two of them by name: the anonymous author is one of four.
    held(world, "small", "o2", [f"s{i}" for i in range(6)])
    answer(world, as_, "small", "s0", comment="Named one")
    answer(world, as_, "small", "s1")
    answer(world, as_, "small", "s2", comment="Anonymous one", anonymous=True)
    answer(world, as_, "small", "s3", anonymous=True)
    answer(world, as_, "small", "s4", anonymous=True)
    page = world.client.get("/v1/sessions/small/comments", headers=admin).json
    assert [item["comment"] for item in page["items"]] == ["Named one"] and page["total"] == 1
    # A session only one person answered keeps its comment back.
    held(world, "few", "o1", [f"f{i}" for i in range(8)])
    answer(world, as_, "few", "f0", comment="Early named remark")
    assert world.client.get("/v1/sessions/few/comments", headers=admin).json == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }


# --- needs ------------------------------------------------------------------------------------


def test_a_needs_survey_counts_for_the_region_and_pcn_and_publishes_ratings_only(world, as_):
    world.registered("p1", "Y56", "U12345")
    body = {"ratings": RATINGS, "pcn_code": "U12345", "other_needs": "Managing estates"}
    response = world.client.post("/v1/needs-surveys/responses", json=body, headers=as_("participant", "Y56", "p1"))
    assert response.status_code == 201 and response.json["region"] == "Y56"
    ranking = world.client.get("/v1/needs/ranking", headers=as_("regional_admin", "Y56")).json
    assert ranking["regions"][0]["suppressed"] and ranking["regions"][0]["ranking"] == []  # one answer
    assert ranking["pcns"][0]["pcn_code"] == "U12345" and ranking["pcns"][0]["respondents"] is None
    assert "Managing estates" not in outbox_values(world)
    others = world.client.get("/v1/needs/other-needs", headers=as_("regional_admin", "Y56")).json
    assert others["items"] == []  # free text waits until five of the region have answered


@pytest.mark.parametrize(
    "body, field",
    [
        ({"ratings": {k: v for k, v in RATINGS.items() if k != "teamwork"}}, "ratings.teamwork"),
        ({"ratings": RATINGS, "pcn_code": "X1"}, "pcn_code"),
        ({"ratings": {**RATINGS, "leadership": 0}}, "ratings"),
    ],
)
def test_a_bad_needs_survey_names_the_field_and_writes_nothing(world, as_, body, field):
    before = world.counts()
    response = world.client.post("/v1/needs-surveys/responses", json=body, headers=as_("participant", "Y56", "p1"))
    assert response.status_code == 422 and any(e["field"].startswith(field) for e in response.json["errors"])
    assert world.counts() == before


def test_the_national_needs_ranking_is_suppressed_per_region_and_tests_whether_regions_differ(world, as_):
    leaders, builders = dict(RATINGS, leadership=5, teamwork=1), dict(RATINGS, leadership=1, teamwork=5)
    answers = [("Y56", leaders)] * 9 + [("Y60", builders)] * 9 + [("Y62", leaders)] * 6 + [("Y61", leaders)] * 2
    for i, (region, ratings) in enumerate(answers):
        world.client.post(
            "/v1/needs-surveys/responses", json={"ratings": ratings}, headers=as_("participant", region, f"p{i}")
        )
    ranking = world.client.get("/v1/needs/ranking", headers=as_("national")).json
    regions = {r["region"]: r for r in ranking["regions"]}
    assert regions["Y61"]["suppressed"] and regions["Y61"]["ranking"] == []
    assert regions["Y62"]["suppressed"]  # else national minus the rest reveals Y61
    assert {regions["Y61"]["reason"], regions["Y62"]["reason"]} == {"small_numbers"}
    assert regions["Y56"]["ranking"][0]["need"] == "leadership" and regions["Y60"]["ranking"][0]["need"] == "teamwork"
    assert ranking["national"]["respondents"] == 25  # 26, rounded
    assert ranking["chi_square"]["rows"] == ["Y56", "Y60"] and ranking["chi_square"]["p_value"] < 0.05


# --- outcomes ---------------------------------------------------------------------------------


def test_outcome_measures_before_and_after_give_a_change_per_offer_type_and_region(world, as_):
    world.offer("o1", event=enrolment.OFFER_COMPLETED, status="completed")
    world.member("o1", "p1")
    me = as_("participant", "Y56", "p1")
    first = world.client.post(
        "/v1/outcome-measures", json={"offer_id": "o1", "phase": "before", "scores": SCORES}, headers=me
    )
    assert first.status_code == 201 and first.json["paired"] is False
    after = dict(SCORES, confidence=6, isolation=2)
    assert (
        world.client.post(
            "/v1/outcome-measures", json={"offer_id": "o1", "phase": "after", "scores": after}, headers=me
        ).json["paired"]
        is True
    )
    again = world.client.post(
        "/v1/outcome-measures", json={"offer_id": "o1", "phase": "after", "scores": after}, headers=me
    )
    assert again.status_code == 409 and again.json["rule"] == "outcome_already_given"
    admin = as_("regional_admin", "Y56")
    assert all(
        c["suppressed"] for c in world.client.get("/v1/outcomes/changes", headers=admin).json["cells"]
    )  # one pair
    for person in ("p2", "p3", "p4", "p5"):
        world.member("o1", person)
        for phase, scores in (("before", SCORES), ("after", after)):
            world.client.post(
                "/v1/outcome-measures",
                json={"offer_id": "o1", "phase": phase, "scores": scores},
                headers=as_("participant", "Y56", person),
            )
    cells = world.client.get("/v1/outcomes/changes", headers=admin).json["cells"]
    assert {c["region"] for c in cells} == {"Y56"}
    [cell] = [c for c in cells if c["offer_type"] == "action_learning_set"]
    changes = {m["measure"]: m for m in cell["measures"]}
    assert cell["pairs"] == 5 and changes["confidence"]["change"] == 3 and changes["isolation"]["improvement"] == 4
    national = world.client.get("/v1/outcomes/changes", headers=as_("national")).json["cells"]
    assert [c for c in national if c["region"] == "Y56"] == cells  # the same published figures


def test_outcome_measures_are_only_for_members_of_a_known_offer(world, as_):
    world.offer("o1")
    before = world.counts()
    for offer_id in ("o1", "unknown"):
        response = world.client.post(
            "/v1/outcome-measures",
            json={"offer_id": offer_id, "phase": "before", "scores": SCORES},
            headers=as_("participant", "Y56", "p1"),
        )
        assert response.status_code == 404
    response = world.client.post(
        "/v1/outcome-measures",
        json={"offer_id": "o1", "phase": "during", "scores": SCORES},
        headers=as_("participant", "Y56", "p1"),
    )
    assert response.status_code == 422
    assert world.counts() == before
