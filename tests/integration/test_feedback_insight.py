"""What have we learned so far (GET /v1/insight/learned), on both databases: session feedback by
quarter with 95 % intervals, what went well and what remains, small cells withheld as the rest
of feedback withholds them, and bad filters refused."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from services.feedback.domain.aggregates import month_of
from services.feedback.domain.insight import quarter_of
from tests.integration.test_feedback_handlers import NOW, FeedbackWorld

OLD, NEW = NOW - timedelta(days=130), NOW - timedelta(days=10)  # always two different quarters
UK = ZoneInfo("Europe/London")


def quarter(moment) -> str:
    return quarter_of(month_of(moment.astimezone(UK).date()))


@pytest.fixture
def world(databases, kafka_bootstrap, signing_keys):
    running = FeedbackWorld(
        databases.new("feedback"),
        kafka_bootstrap,
        signing_keys[1],
        FEEDBACK_WINDOW_DAYS="200",
        RATE_LIMIT_PER_MINUTE="0",
    )
    yield running
    running.service.stop()


class Seeder:
    def __init__(self, world, as_):
        self.world, self.as_, self.person = world, as_, 0

    def session(self, region, offer_type, ends_at, answers):
        """A held session of a fresh offer, each answer {measure: value} given by one attendee."""
        offer_id = f"{region}-{offer_type}-{len(answers)}-{self.person}"
        session_id = f"s-{offer_id}"
        self.world.offer(offer_id, region, offer_type)
        self.world.session(session_id, offer_id, region, ends_at)
        for answer in answers:
            self.person += 1
            person = f"p{self.person}"
            self.world.attend(session_id, offer_id, person, region, ends_at)
            response = self.world.client.post(
                f"/v1/sessions/{session_id}/feedback",
                json=answer | {"anonymous": self.person % 2 == 0},
                headers=self.as_("participant", region, person),
            )
            assert response.status_code == 201, response.json


def answers(overall, usefulness, will_apply, recommend, n):
    """n answers cycling through the values given for each measure."""
    return [
        {
            "overall": overall[i % len(overall)],
            "usefulness": usefulness[i % len(usefulness)],
            "will_apply": will_apply[i % len(will_apply)],
            "recommend": recommend[i % len(recommend)],
        }
        for i in range(n)
    ]


HIGH = answers((5, 5, 4), (5, 4, 5), (5, 4), ("very_good", "very_good", "good"), 15)
LOW = answers((2, 1, 2), (2, 3, 1), (2, 2, 3), ("poor", "poor", "neither"), 15)
MIDDLE = answers((3, 4, 3), (3, 4, 4), (3, 4), ("good", "neither", "poor"), 15)
ALIKE = answers((3, 4, 5, 2, 4), (4, 3, 5, 3, 4), (4, 5, 3, 4, 2), ("good", "very_good", "poor", "good", "neither"), 15)


def learned(world, headers, **query):
    response = world.client.get("/v1/insight/learned", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def _quarter(row, q):
    [found] = [c for c in row["quarters"] if c["quarter"] == q]
    return found


def test_a_clear_difference_is_named_with_a_sentence_and_every_quarter_has_its_intervals(world, as_):
    seed = Seeder(world, as_)
    for moment in (OLD, NEW):
        seed.session("Y56", "coaching", moment, HIGH)
        seed.session("Y58", "action_learning_set", moment, LOW)
        seed.session("Y60", "regional_programme", moment, MIDDLE)
    body = learned(world, as_("national"))
    assert body["quarters"] == [quarter(OLD), quarter(NEW)]
    national = _quarter(body["national"], quarter(NEW))
    assert national["suppressed"] is False and national["respondents"] == 45
    overall = national["measures"]["overall"]
    assert overall["count"] == 45 and overall["low"] < overall["mean"] < overall["high"]
    recommend = national["measures"]["recommend"]
    assert recommend["mean"] is None and recommend["low"] <= recommend["positive_share"] <= recommend["high"]
    y56 = _quarter(next(r for r in body["regions"] if r["region"] == "Y56"), quarter(OLD))
    assert y56["respondents"] == 15 and y56["measures"]["overall"]["mean"] == pytest.approx(4.67)
    assert 1 <= y56["measures"]["overall"]["low"] < 4.67 < y56["measures"]["overall"]["high"] <= 5
    # The same figures as the monthly cells every other endpoint publishes.
    month = world.client.get(
        f"/v1/aggregates?scope=region&region=Y56&period={month_of(NEW.astimezone(UK).date())}",
        headers=as_("national"),
    ).json
    assert _quarter(next(r for r in body["regions"] if r["region"] == "Y56"), quarter(NEW))["measures"]["overall"][
        "mean"
    ] == pytest.approx(month["measures"]["overall"]["mean"])

    well = {(f["region"], f["offer_type"], f["measure"]) for f in body["went_well"]}
    remains = {(f["region"], f["offer_type"], f["measure"]) for f in body["remains"]}
    assert ("Y56", None, "overall") in well and (None, "coaching", "overall") in well
    assert ("Y58", None, "overall") in remains and (None, "action_learning_set", "recommend") in remains
    assert not well & remains and body["compared"] >= 20
    first = body["went_well"][0]
    assert first["adjusted_p"] < 0.05 and first["value"] > first["rest_of_nation"]
    assert "beyond what chance would explain; this went well." in first["sentence"]
    assert f"{quarter(OLD)} to {quarter(NEW)}" in first["sentence"]
    low = next(f for f in body["remains"] if (f["region"], f["measure"]) == ("Y58", "overall"))
    assert low["sentence"].startswith("South West (Y58): the overall rating was 1.67 against")
    assert "lower beyond what chance would explain; this remains to be attended to." in low["sentence"]


def test_a_regional_admin_sees_its_region_beside_the_national_figure_and_filters_narrow_the_view(world, as_):
    seed = Seeder(world, as_)
    for moment in (OLD, NEW):
        seed.session("Y56", "coaching", moment, HIGH)
        seed.session("Y58", "action_learning_set", moment, LOW)
    admin = learned(world, as_("regional_admin", "Y56"))
    assert [r["region"] for r in admin["regions"]] == ["Y56"] and admin["national"]["region"] is None
    assert ("Y56", None, "overall") in {(f["region"], f["offer_type"], f["measure"]) for f in admin["went_well"]}
    assert all(f["region"] in ("Y56", None) for f in admin["went_well"] + admin["remains"])
    national = learned(world, as_("national"))
    by_region = {r["region"]: r for r in national["regions"]}
    assert admin["regions"][0] == by_region["Y56"] and admin["national"] == national["national"]
    other = world.client.get("/v1/insight/learned?region=Y58", headers=as_("regional_admin", "Y56"))
    assert other.status_code == 404
    narrowed = learned(world, as_("service"), region="Y58", offer_type="action_learning_set", **{"from": quarter(NEW)})
    assert narrowed["quarters"] == [quarter(NEW)] and narrowed["from"] == quarter(NEW)
    assert narrowed["national"]["offer_type"] == "action_learning_set"
    assert [r["region"] for r in narrowed["regions"]] == ["Y58"]
    assert _quarter(narrowed["regions"][0], quarter(NEW))["respondents"] == 15
    assert learned(world, as_("national"), to=quarter(OLD))["quarters"] == [quarter(OLD)]


def test_no_difference_finds_nothing_to_say(world, as_):
    seed = Seeder(world, as_)
    for moment in (OLD, NEW):
        for region, offer_type in (("Y56", "coaching"), ("Y58", "action_learning_set"), ("Y60", "coaching")):
            seed.session(region, offer_type, moment, ALIKE)
    body = learned(world, as_("national"))
    assert body["went_well"] == [] and body["remains"] == [] and body["compared"] > 0


def test_a_quarter_of_fewer_than_five_is_withheld_with_its_cover(world, as_):
    seed = Seeder(world, as_)
    seed.session("Y56", "coaching", NEW, HIGH)
    seed.session("Y58", "coaching", NEW, MIDDLE)
    seed.session("Y60", "coaching", NEW, LOW[:3])
    body = learned(world, as_("national"))
    cells = {r["region"]: _quarter(r, quarter(NEW)) for r in body["regions"] if r["quarters"]}
    withheld = {region for region, cell in cells.items() if cell["suppressed"]}
    assert "Y60" in withheld and len(withheld) >= 2  # a second one covers it: national - shown ≠ Y60
    small = cells["Y60"]
    assert small == {
        "quarter": quarter(NEW),
        "suppressed": True,
        "reason": "small_numbers",
        "respondents": None,
        "measures": {},
    }
    assert _quarter(body["national"], quarter(NEW))["respondents"] == 35
    assert all(f["region"] not in withheld for f in body["went_well"] + body["remains"])


@pytest.mark.parametrize(
    "query, field",
    [
        ("from=2026-Q5", "from"),
        ("to=2026-07", "to"),
        ("from=2026-Q3&to=2026-Q1", "to"),
        ("region=Z99", "region"),
        ("offer_type=lecture", "offer_type"),
        ("period=all", "period"),
    ],
)
def test_a_bad_filter_is_a_problem_naming_its_field(world, as_, query, field):
    response = world.client.get(f"/v1/insight/learned?{query}", headers=as_("national"))
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert field in [e["field"] for e in response.json["errors"]]


def test_with_no_answers_yet_there_is_nothing_to_show_and_nothing_to_say(world, as_):
    body = learned(world, as_("regional_admin", "Y56"))
    assert body["quarters"] == [] and body["went_well"] == [] and body["remains"] == [] and body["compared"] == 0
    assert body["national"] == {"region": None, "offer_type": None, "quarters": []}
    assert body["regions"] == [{"region": "Y56", "offer_type": None, "quarters": []}]


def test_outcome_changes_come_by_quarter_of_the_after_answer_with_intervals_and_small_cells_withheld(
    world, as_, monkeypatch
):
    from services.feedback.usecases import answers as answer_use_case

    def pairs(offer_id, region, changes, before_on, after_on):
        world.offer(offer_id, region, "coaching", status="completed")
        for i, change in enumerate(changes):
            person = f"{offer_id}-p{i}"
            world.member(offer_id, person, region, "coaching")
            for phase, moment, confidence in (("before", before_on, 3), ("after", after_on, 3 + change)):
                monkeypatch.setattr(answer_use_case, "utcnow", lambda moment=moment: moment)
                scores = {"confidence": confidence, "isolation": 4, "trust_in_group": 4, "sense_of_direction": 4}
                body = {"offer_id": offer_id, "phase": phase, "scores": scores}
                response = world.client.post(
                    "/v1/outcome-measures", json=body, headers=as_("participant", region, person)
                )
                assert response.status_code == 201, response.json

    pairs("o56", "Y56", [2, 2, 1, 3, 2, 2, 1, 3, 2, 2, 2, 2], OLD, NEW)  # 12 pairs, after in the newer quarter
    pairs("o58", "Y58", [1, 1, 2, 1, 2, 1, 1, 2, 1, 2] * 2, OLD, OLD)  # 20 pairs, both in the older quarter
    # 3 pairs: withheld, and so is Y56 (the smallest other coaching cell) in the outcome table, and
    # so in every quarter: Y56's only quarter would give its all-time figure away.
    pairs("o60", "Y60", [3, 3, 3], OLD, NEW)
    body = learned(world, as_("national"))
    national = {q["quarter"]: q for q in body["outcomes"]["national"]}
    assert set(national) == {quarter(OLD), quarter(NEW)}
    regions = {r["region"]: {q["quarter"]: q for q in r["quarters"]} for r in body["outcomes"]["regions"]}
    y56, y58 = regions["Y56"][quarter(NEW)], regions["Y58"][quarter(OLD)]
    assert y58["suppressed"] is False and y58["respondents"] == 20 and y56["suppressed"]
    assert national[quarter(OLD)]["respondents"] == 20
    confidence = y58["measures"]["confidence"]
    assert confidence["change"] == 1.4 and confidence["low"] < 1.4 < confidence["high"]
    assert y58["measures"]["isolation"] == {"change": 0.0, "low": None, "high": None}  # one bucket: spread unknown
    assert regions["Y60"][quarter(NEW)] == {
        "quarter": quarter(NEW),
        "suppressed": True,
        "reason": "small_numbers",
        "respondents": None,
        "measures": {},
    }
    changes = world.client.get("/v1/outcomes/changes", headers=as_("national")).json["cells"]
    assert next(c for c in changes if (c["region"], c["offer_type"]) == ("Y56", "coaching"))["suppressed"]
    admin = learned(world, as_("regional_admin", "Y58"))
    assert [r["region"] for r in admin["outcomes"]["regions"]] == ["Y58"]
    assert admin["outcomes"]["national"] == body["outcomes"]["national"]
    assert admin["outcomes"]["regions"][0]["quarters"] == [regions["Y58"][q] for q in sorted(regions["Y58"])]
    other_type = learned(world, as_("national"), offer_type="action_learning_set")["outcomes"]
    assert all(q["suppressed"] for q in other_type["national"])
