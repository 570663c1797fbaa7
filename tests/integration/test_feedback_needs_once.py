"""The needs survey's write path on both databases: one voice per person per round (an offer,
where a repeat replaces the answer in co-design, or else a quarter of their region, where it is
refused), kept by keyed markers that link no one to an answer; a PCN
named only if it is the person's own, as enrolment registered them; erasure forgets the
markers and the registration."""

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from services.feedback.domain.needs import needs_round
from services.feedback.store import tables as store
from shared.clock import utcnow
from shared.contracts import enrolment
from tests.integration.test_feedback_api import RATINGS
from tests.integration.test_feedback_handlers import NOW, world  # noqa: F401 (world: the shared fixture)

NEEDS = "/v1/needs-surveys/responses"


@pytest.fixture
def as_(make_token):
    def headers(person, region="Y56", **extra):
        return {"Authorization": "Bearer " + make_token("participant", region, person)} | extra

    return headers


def answer(world, headers, **body):
    return world.client.post(NEEDS, json={"ratings": RATINGS} | body, headers=headers)


def refused(world, send, status: int, rule: str, field: str | None = None) -> dict:
    """Send an answer and check it is refused as `rule` (naming `field`) and writes nothing."""
    before = world.counts()
    response = send()
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json" and response.json["rule"] == rule
    if field is not None:
        assert [e["field"] for e in response.json["errors"]] == [field]
    assert world.counts() == before
    return response.json


def test_a_members_repeat_for_an_offer_replaces_their_answer_in_co_design_and_counts_once_in_the_figures(world, as_):
    world.offer("o1")
    world.member("o1", "p1")
    first = answer(world, as_("p1"), offer_id="o1")
    second = answer(world, as_("p1"), offer_id="o1", ratings=dict(RATINGS, leadership=1), other_needs="More time")
    assert (first.status_code, first.json["replaced"], second.status_code, second.json["replaced"]) == (
        201,
        False,
        201,
        True,
    )
    assert len(world.rows(store.needs_responses)) == 1 and world.rows(store.needs_responses)[0]["other_needs"] is None
    events = [json.loads(e["value"]) for e in world.rows(world.runtime.db.tables.outbox)]
    assert [e["ratings"]["leadership"] for e in events] == [RATINGS["leadership"], 1]
    assert events[0]["response_id"] == events[1]["response_id"] and "p1" not in events[0]["response_id"]
    assert len(world.rows(store.needs_voices)) == 1 and "p1" not in json.dumps(dict(world.rows(store.needs_voices)[0]))
    stats = store.aggregate_stats.c
    counted = world.rows(
        store.aggregate_stats, stats.family == "needs", stats.scope == "region", stats.measure == "leadership"
    )
    assert [(row["count"], row["total"]) for row in counted] == [
        (1, RATINGS["leadership"])
    ]  # the region's figures keep the first


def test_without_an_offer_a_person_answers_once_a_quarter_for_their_region_and_once_more_per_offer(world, as_):
    world.offer("o1")
    world.member("o1", "p1")
    assert answer(world, as_("p1")).status_code == 201
    refused(world, lambda: answer(world, as_("p1")), 409, "needs_already_answered")
    assert answer(world, as_("p1"), offer_id="o1").status_code == 201  # another round
    assert answer(world, as_("p2")).status_code == 201  # another person
    quarter = needs_round("Y56", None, utcnow().astimezone(ZoneInfo("Europe/London")).date())
    assert sorted(row["round"] for row in world.rows(store.needs_answered)) == ["offer/o1", quarter, quarter]


def test_many_simultaneous_answers_of_one_person_count_once(world, as_):
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = Counter(pool.map(lambda _: answer(world, as_("p1")).status_code, range(8)))
    assert statuses == {201: 1, 409: 7}
    assert len(world.rows(store.needs_responses)) == 1 and len(world.rows(store.needs_answered)) == 1


def test_nothing_stored_or_sent_links_a_needs_answer_to_its_person(world, as_):
    world.registered("p1", "Y56", "U10001")
    response = answer(
        world, as_("p1", **{"Idempotency-Key": "needs-1"}), pcn_code="U10001", other_needs="Time to think"
    )
    assert response.status_code == 201 and response.json == {
        "region": "Y56",
        "pcn_code": "U10001",
        "offer_id": None,
        "replaced": False,
    }
    [row] = world.rows(store.needs_responses)
    [marker] = world.rows(store.needs_answered)
    assert set(marker) == {"marker", "round"} and "p1" not in marker["marker"] + marker["round"]
    assert row["id"] not in json.dumps(dict(marker))
    counts = world.counts()
    assert counts["idempotency_keys"] == 0  # the key is not remembered: the table would say who sent what
    assert world.rows(world.runtime.db.tables.audit) == []  # nor audited: who answered when, beside the event's time
    assert world.rows(world.runtime.db.tables.outbox) == []  # a region's answer is not published at all
    # A retry under the same key is not replayed from a remembered answer: the round says it was kept.
    refused(
        world,
        lambda: answer(
            world, as_("p1", **{"Idempotency-Key": "needs-1"}), pcn_code="U10001", other_needs="Time to think"
        ),
        409,
        "needs_already_answered",
    )


def test_a_cohorts_answer_is_published_for_co_design_without_its_pcn(world, as_):
    world.offer("o1")
    world.member("o1", "p1")
    world.registered("p1", "Y56", "U10001")
    assert answer(world, as_("p1"), offer_id="o1", pcn_code="U10001").status_code == 201
    [event] = world.rows(world.runtime.db.tables.outbox)
    data = json.loads(event["value"])
    assert event["event_type"] == "org.convene.feedback.needs.reported.v1" and data["offer_id"] == "o1"
    assert data["pcn_code"] is None and data["ratings"] == RATINGS and "p1" not in event["value"]


def test_a_needs_answer_names_only_the_pcn_its_person_is_registered_with(world, as_):
    world.registered("p1", "Y56", "U10001")
    for pcn in ("U10002", "U20002", "U99999"):  # another of the region's, another region's, none that exists
        refused(world, lambda: answer(world, as_("p1"), pcn_code=pcn), 422, "not_your_pcn", "pcn_code")
    refused(world, lambda: answer(world, as_("p1", region="Y58"), pcn_code="U10001"), 422, "not_your_pcn", "pcn_code")
    refused(world, lambda: answer(world, as_("p9"), pcn_code="U10001"), 422, "pcn_not_known_yet", "pcn_code")
    assert answer(world, as_("p1"), pcn_code="U10001").status_code == 201
    assert [(r["region"], r["pcn_code"]) for r in world.rows(store.needs_responses)] == [("Y56", "U10001")]
    assert answer(world, as_("p9")).status_code == 201  # without a PCN: the region's figures only


def test_a_registration_is_projected_once_however_often_it_arrives(world):
    world.registered("p1", "Y56", "U10001")
    world.registered("p1", "Y56", "U10001")
    assert [tuple(r.values()) for r in world.rows(store.participants)] == [("p1", "Y56", "U10001")]


def test_erasure_forgets_every_needs_marker_of_the_person_and_only_theirs(world, as_):
    world.offer("o1")
    for person in ("p1", "p2"):
        world.registered(person)
        world.member("o1", person)
        assert answer(world, as_(person)).status_code == 201
        assert answer(world, as_(person), offer_id="o1").status_code == 201
    world.deliver(enrolment.PARTICIPANT_ERASED, {"participant_id": "p1", "region": "Y56", "erased_at": NOW.isoformat()})
    assert len(world.rows(store.needs_answered)) == 2 and len(world.rows(store.needs_responses)) == 4
    assert len(world.rows(store.needs_voices)) == 1  # p2's voice secret: p1's went with the erasure
    assert [r["participant_id"] for r in world.rows(store.participants)] == ["p2"]
    refused(world, lambda: answer(world, as_("p2")), 409, "needs_already_answered")


def test_a_needs_answer_remembered_under_an_idempotency_key_by_an_earlier_release_loses_its_free_text_on_erasure(
    world, as_
):
    assert answer(world, as_("p1"), other_needs="Ada Byron-Nolan needs time").status_code == 201
    [row] = world.rows(store.needs_responses)
    remembered = {
        "subject": "p1",
        "key": "n1",
        "fingerprint": "0" * 64,
        "status": 201,
        "body": json.dumps({"id": row["id"], "region": "Y56", "pcn_code": None}),
        "created_at": utcnow(),
    }
    with world.runtime.db.transaction() as conn:
        conn.execute(insert(world.runtime.db.tables.idempotency).values(**remembered))
    world.deliver(enrolment.PARTICIPANT_ERASED, {"participant_id": "p1", "region": "Y56", "erased_at": NOW.isoformat()})
    assert [r["other_needs"] for r in world.rows(store.needs_responses)] == [None]
    assert world.rows(world.runtime.db.tables.idempotency) == []
