"""Which needs are emerging (GET /v1/insight/needs), on both databases: needs answers given in
different quarters (the service's clock set to a day in each), ranked per quarter, each need's
trend tested, small quarters withheld with a cover, each role reading what it may, and bad
filters refused."""

from datetime import UTC, datetime

import pytest

from services.feedback.domain.needs import NEEDS
from services.feedback.rebuild import rebuild
from services.feedback.store import tables as store
from services.feedback.usecases import answers as answering
from shared.contracts import enrolment
from tests.integration.test_feedback_handlers import NOW
from tests.integration.test_feedback_insight import world  # noqa: F401 (the shared fixture)

DAYS = {"2026-Q1": datetime(2026, 2, 16, 12, tzinfo=UTC), "2026-Q2": datetime(2026, 5, 18, 12, tzinfo=UTC)}
DAYS["2026-Q3"] = datetime(2026, 8, 17, 12, tzinfo=UTC)
QUARTERS = list(DAYS)
NEEDS_URL = "/v1/needs-surveys/responses"


class Answering:
    """People answering the needs survey for their region, on a day of the quarter named."""

    def __init__(self, world, as_, monkeypatch):
        self.world, self.as_, self.monkeypatch, self.person = world, as_, monkeypatch, 0

    def quarter(self, quarter, region, n, high=()):
        """n fresh people of the region answer: each need in `high` ({need: how many}) rated 5 by
        that many and 2 by the rest; every other need 3."""
        self.monkeypatch.setattr(answering, "utcnow", lambda: DAYS[quarter])
        for i in range(n):
            self.person += 1
            ratings = {need: 3 for need in NEEDS} | {need: 5 if i < k else 2 for need, k in dict(high).items()}
            response = self.world.client.post(
                NEEDS_URL, json={"ratings": ratings}, headers=self.as_("participant", region, f"p{self.person}")
            )
            assert response.status_code == 201, response.json


def emerging(world, headers, **query):
    response = world.client.get("/v1/insight/needs", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def seed_two_rising_regions(people: Answering):
    """Y56's innovation rises (5, 10, 15 of 20), Y58's strategy does; leadership stays at 10."""
    for quarter, rising in zip(QUARTERS, (5, 10, 15)):
        people.quarter(quarter, "Y56", 20, {"innovation": rising, "strategy": 0, "leadership": 10})
        people.quarter(quarter, "Y58", 20, {"strategy": rising, "innovation": 0, "leadership": 10})


def test_each_answer_keeps_the_uk_quarter_it_was_given_in(world, as_, monkeypatch):
    people = Answering(world, as_, monkeypatch)
    people.quarter("2026-Q1", "Y56", 1)
    people.quarter("2026-Q3", "Y56", 1)
    # A minute after midnight on 1 April in the UK is still 31 March in UTC: the UK quarter counts.
    monkeypatch.setattr(answering, "utcnow", lambda: datetime(2026, 3, 31, 23, 1, tzinfo=UTC))
    headers = as_("participant", "Y56", "late")
    assert world.client.post(NEEDS_URL, json={"ratings": {n: 3 for n in NEEDS}}, headers=headers).status_code == 201
    assert sorted(row["quarter"] for row in world.rows(store.needs_responses)) == ["2026-Q1", "2026-Q2", "2026-Q3"]


def test_needs_rising_in_each_region_are_emerging_there_and_nationally(world, as_, monkeypatch):
    seed_two_rising_regions(Answering(world, as_, monkeypatch))
    body = emerging(world, as_("national"))
    assert (body["scope"], body["region"], body["quarters"]) == ("national", None, QUARTERS)
    assert [q["respondents"] for q in body["ranking"]] == [40, 40, 40]
    last = body["ranking"][-1]
    assert last["suppressed"] is False and last["reason"] is None
    innovation = next(n for n in last["needs"] if n["need"] == "innovation")
    assert (
        innovation["high_share"] == 0.38
        and innovation["rank"] == [n["need"] for n in last["needs"]].index("innovation") + 1
    )
    trends = {t["need"]: t for t in body["trends"]}
    # By hand: 5, 10, 15 of 40; p = 1/4, T = 10, Var(T) = 3/16 * 80 = 15, z = 2.58, p = 0.0098; Holm over 3 needs.
    assert trends["innovation"]["z"] == 2.58 and trends["innovation"]["p_value"] == pytest.approx(0.0098, abs=1e-4)
    assert trends["innovation"]["adjusted_p"] == pytest.approx(3 * 0.00982, abs=2e-4)
    assert trends["innovation"]["high_shares"] == [0.12, 0.25, 0.38]
    assert trends["leadership"]["direction"] == "steady" and trends["leadership"]["z"] == 0
    assert trends["teamwork"] == {
        "need": "teamwork",
        "direction": "steady",
        "high_shares": [0.0, 0.0, 0.0],
        "z": None,
        "p_value": None,
        "adjusted_p": None,
    }
    assert body["emerging"] == ["innovation", "strategy"]
    assert [t["need"] for t in body["trends"]][:2] == ["innovation", "strategy"]
    regions = {r["region"]: r for r in body["regions"]}
    assert regions["Y56"] == {"region": "Y56", "emerging": ["innovation"], "suppressed": False, "reason": None}
    assert regions["Y58"]["emerging"] == ["strategy"]
    assert regions["Y60"] == {"region": "Y60", "emerging": [], "suppressed": True, "reason": "small_numbers"}


def test_a_need_that_does_not_change_is_not_emerging(world, as_, monkeypatch):
    people = Answering(world, as_, monkeypatch)
    for quarter in QUARTERS:
        people.quarter(quarter, "Y56", 20, {"innovation": 10, "leadership": 9})
    body = emerging(world, as_("national"))
    assert body["emerging"] == [] and {t["direction"] for t in body["trends"]} == {"steady"}


def test_a_regional_admin_reads_its_own_region_and_the_national_team_may_narrow_to_one(world, as_, monkeypatch):
    seed_two_rising_regions(Answering(world, as_, monkeypatch))
    admin = emerging(world, as_("regional_admin", "Y58"))
    assert (admin["scope"], admin["region"], admin["regions"]) == ("region", "Y58", [])
    assert admin["emerging"] == ["strategy"] and [q["respondents"] for q in admin["ranking"]] == [20, 20, 20]
    assert emerging(world, as_("national"), region="Y58") == admin
    other = world.client.get("/v1/insight/needs?region=Y56", headers=as_("regional_admin", "Y58"))
    assert other.status_code == 404 and other.json["rule"] == "region_not_found"
    narrowed = emerging(world, as_("service"), **{"from": "2026-Q2", "to": "2026-Q3"})
    assert narrowed["quarters"] == ["2026-Q2", "2026-Q3"] and len(narrowed["ranking"]) == 2
    assert narrowed["trends"][0]["high_shares"] == [0.25, 0.38]


def test_a_quarter_of_fewer_than_five_is_withheld_with_its_cover(world, as_, monkeypatch):
    people = Answering(world, as_, monkeypatch)
    for quarter in QUARTERS:
        people.quarter(quarter, "Y56", 10, {"innovation": 5})
        people.quarter(quarter, "Y58", 10, {"innovation": 5})
    people.quarter("2026-Q3", "Y60", 3, {"innovation": 3})
    body = emerging(world, as_("national"))
    y60 = emerging(world, as_("regional_admin", "Y60"))
    assert y60["ranking"] == [
        {"quarter": q, "suppressed": True, "reason": "small_numbers", "respondents": None, "needs": []}
        for q in QUARTERS
    ]
    assert y60["trends"][0]["high_shares"] == [None, None, None] and y60["emerging"] == []
    shown = {}
    for region in ("Y56", "Y58"):
        ranking = emerging(world, as_("regional_admin", region))["ranking"]
        shown[region] = {q["quarter"]: q["respondents"] for q in ranking if not q["suppressed"]}
    national = {q["quarter"]: q["respondents"] for q in body["ranking"] if not q["suppressed"]}
    # National Q3 minus the shown regions' Q3 must not leave Y60's three: something else is withheld.
    if "2026-Q3" in national:
        assert not all("2026-Q3" in shown[r] for r in ("Y56", "Y58"))
    # Nor may a region's all-time figure (the ranking's) minus its shown quarters.
    ranking = world.client.get("/v1/needs/ranking", headers=as_("national")).json
    for region in ranking["regions"]:
        if not region["suppressed"] and region["region"] in shown:
            assert len(shown[region["region"]]) != len(QUARTERS) - 1


@pytest.mark.parametrize(
    "query, field",
    [("from=2026-Q5", "from"), ("to=2026-07", "to"), ("from=2026-Q3&to=2026-Q1", "to"), ("region=Z99", "region")],
)
def test_a_bad_filter_is_a_problem_naming_its_field(world, as_, query, field):
    response = world.client.get(f"/v1/insight/needs?{query}", headers=as_("national"))
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert [e["field"] for e in response.json["errors"]] == [field]


def test_a_rebuild_and_an_erasure_leave_the_emerging_needs_as_they_were(world, as_, monkeypatch):
    seed_two_rising_regions(Answering(world, as_, monkeypatch))
    before = emerging(world, as_("national"))
    world.deliver(enrolment.PARTICIPANT_ERASED, {"participant_id": "p1", "region": "Y56", "erased_at": NOW.isoformat()})
    rebuild(world.runtime)
    assert emerging(world, as_("national")) == before
    assert sorted({row["quarter"] for row in world.rows(store.needs_responses)}) == QUARTERS
