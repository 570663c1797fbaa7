"""Do needs differ between PCNs and regions (GET /v1/insight/differences), on both databases: a
real difference and none, the test's effect size in words, PCNs grouped by needs with the offer
types that meet them, and small PCNs and regions withheld as the needs ranking withholds them."""

import pytest

from tests.integration.test_feedback_handlers import FeedbackWorld

BASE = {
    "leadership": 2,
    "collaboration": 2,
    "dealing_with_conflict": 2,
    "innovation": 2,
    "teamwork": 2,
    "strategy": 2,
    "engagement": 2,
}
LEADERS = BASE | {"leadership": 5, "strategy": 4}
TEAMS = BASE | {"teamwork": 5, "dealing_with_conflict": 4}


@pytest.fixture
def world(databases, kafka_bootstrap, signing_keys):
    running = FeedbackWorld(databases.new("feedback"), kafka_bootstrap, signing_keys[1], RATE_LIMIT_PER_MINUTE="0")
    yield running
    running.service.stop()


@pytest.fixture
def answer(world, as_):
    people = iter(range(10_000))

    def answering(region, pcn, ratings, n):
        """n people of a PCN of a region answer the needs survey with these ratings."""
        for _ in range(n):
            person = f"p{next(people)}"
            world.registered(person, region, pcn)
            body = {"ratings": ratings, "pcn_code": pcn}
            response = world.client.post(
                "/v1/needs-surveys/responses", json=body, headers=as_("participant", region, person)
            )
            assert response.status_code == 201, response.json

    return answering


def get(world, headers, query=""):
    response = world.client.get(f"/v1/insight/differences{query}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_a_real_difference_between_regions_and_pcns_is_clear_large_and_grouped_with_its_offers(world, as_, answer):
    answer("Y56", "U10001", LEADERS, 8)
    answer("Y56", "U10002", LEADERS, 7)
    answer("Y60", "U20001", TEAMS, 8)
    answer("Y60", "U20002", TEAMS, 6)
    body = get(world, as_("national"))
    regions = body["regions"]
    assert regions["rows"] == ["Y56", "Y60"] and regions["significant"] and regions["p_value"] < 0.001
    assert regions["effect_size"] == "large" and "differ between regions" in regions["sentence"]
    ranking = world.client.get("/v1/needs/ranking", headers=as_("national")).json["chi_square"]
    assert {k: regions[k] for k in ranking} == ranking  # the ranking's own test, word for word
    assert body["pcns"]["significant"] and set(body["pcns"]["rows"]) == {"U10001", "U10002", "U20001", "U20002"}
    groups = body["groups"]
    assert [[p["pcn_code"] for p in g["pcns"]] for g in groups] == [["U10001", "U10002"], ["U20001", "U20002"]]
    assert {p["region"] for p in groups[0]["pcns"]} == {"Y56"}
    assert groups[0]["distinctive_needs"] == ["leadership", "strategy"]
    assert groups[0]["offer_types"] == ["coaching", "regional_programme", "action_learning_set"]
    assert groups[1]["distinctive_needs"] == ["dealing_with_conflict", "teamwork"]
    assert groups[1]["offer_types"] == ["pcn_team", "coaching"]
    assert groups[0]["profile"]["leadership"] == 1.0 and groups[0]["profile"]["teamwork"] == 0.0
    assert body["joint_needs"] == [] and body["joint_offer_types"] == []


def test_no_difference_between_regions_reads_as_none(world, as_, answer):
    both = BASE | {"innovation": 5, "leadership": 4}
    for region, pcn in (("Y56", "U10001"), ("Y56", "U10002"), ("Y60", "U20001"), ("Y60", "U20002")):
        answer(region, pcn, both, 6)
    body = get(world, as_("service"))
    assert not body["regions"]["significant"] and body["regions"]["effect_size"] == "negligible"
    assert body["regions"]["sentence"].startswith("No clear difference")
    assert not body["pcns"]["significant"] and body["pcns"]["cramers_v"] == 0
    assert len(body["groups"]) == 1 and body["groups"][0]["distinctive_needs"] == []
    assert body["joint_needs"] == ["innovation", "leadership"]
    assert body["joint_offer_types"] == ["action_learning_set", "regional_programme", "coaching"]


def test_small_pcns_and_regions_are_withheld_as_the_needs_ranking_withholds_them(world, as_, answer):
    answer("Y56", "U10001", LEADERS, 8)
    answer("Y56", "U10002", LEADERS, 7)
    answer("Y56", "U10003", TEAMS, 3)  # fewer than 5: withheld, and one more as its cover
    answer("Y60", "U20001", TEAMS, 8)
    answer("Y60", "U20002", TEAMS, 6)
    answer("Y61", "U30001", TEAMS, 2)  # a region of 2, and another region its cover
    answer("Y62", "U40001", TEAMS, 6)
    national = get(world, as_("national"))
    grouped = {p["pcn_code"] for g in national["groups"] for p in g["pcns"]}
    assert "U10003" not in grouped and "U30001" not in grouped
    assert set(national["pcns"]["rows"]) == grouped
    assert "Y61" not in national["regions"]["rows"]
    ranking = world.client.get("/v1/needs/ranking", headers=as_("national")).json
    shown_regions = {r["region"] for r in ranking["regions"] if not r["suppressed"]}
    assert set(national["regions"]["rows"]) == shown_regions
    assert {p["region"] for g in national["groups"] for p in g["pcns"]} <= shown_regions
    for region in ("Y56", "Y60", "Y61", "Y62"):
        own = get(world, as_("regional_admin", region))
        assert own["regions"] is None and own["region"] == region
        pcns = world.client.get("/v1/needs/ranking", headers=as_("regional_admin", region)).json["pcns"]
        shown = {p["pcn_code"] for p in pcns if not p["suppressed"]}
        assert {p["pcn_code"] for g in own["groups"] for p in g["pcns"]} == shown
        assert {p["pcn_code"] for g in national["groups"] for p in g["pcns"] if p["region"] == region} == shown
        assert get(world, as_("national"), f"?region={region}")["groups"] == own["groups"]


def test_a_regional_administrator_reads_only_their_own_region(world, as_, answer):
    answer("Y56", "U10001", LEADERS, 6)
    other = world.client.get("/v1/insight/differences?region=Y60", headers=as_("regional_admin", "Y56"))
    assert other.status_code == 404
    bad = world.client.get("/v1/insight/differences?region=nowhere", headers=as_("national"))
    assert bad.status_code == 422
    assert world.client.get("/v1/insight/differences", headers=as_("participant", "Y56", "p1")).status_code == 403
