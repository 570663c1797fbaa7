"""Reading your own writes across services (docs/consistency.md), over the real broker on both
databases: a session scheduled in scheduling at once after its offer was published in
enrolment, sending back enrolment's Convene-Consistency token, is created every time, never a
false 404; without the token scheduling answers at once, as before; a token whose events never
arrive is answered 503 not_yet_consistent with Retry-After once the bounded wait is over."""

import time
from pathlib import Path

import pytest

from services.enrolment.usecases.reference import import_files
from shared.consistency import HEADER
from tests.harness import RunningService, eventually, service_environment

SAMPLE = Path(__file__).resolve().parents[2] / "services" / "enrolment" / "data" / "sample"
REGION, PCN = "Y56", "U10001"  # a London PCN of enrolment's sample ODS files
SHORT_WAIT = 1.5  # CONSISTENCY_WAIT_SECONDS of the scheduling whose worker never runs


def running(name: str, databases, kafka_bootstrap, topic_prefix, signing_keys, **settings) -> RunningService:
    environ = service_environment(databases.new(name), kafka_bootstrap, topic_prefix, signing_keys[1])
    return RunningService(name, {**environ, **settings})


def with_sample_pcns(enrolment: RunningService) -> RunningService:
    with enrolment.runtime.db.transaction() as conn:
        import_files(conn, (SAMPLE / "epcn.csv").read_text(), (SAMPLE / "gp-reg-pat-prac-map.csv").read_text())
    return enrolment


@pytest.fixture
def admin(make_token):
    return {"Authorization": "Bearer " + make_token("regional_admin", REGION)}


@pytest.fixture
def stack(databases, kafka_bootstrap, topic_prefix, signing_keys):
    enrolment = with_sample_pcns(running("enrolment", databases, kafka_bootstrap, topic_prefix, signing_keys))
    scheduling = running("scheduling", databases, kafka_bootstrap, topic_prefix, signing_keys)
    for service in (enrolment, scheduling):
        service.start_worker()
    yield enrolment, scheduling
    for service in (enrolment, scheduling):
        service.stop()


@pytest.fixture
def stalled(databases, kafka_bootstrap, topic_prefix, signing_keys):
    """Enrolment with its worker; scheduling without one, so it never applies enrolment's events."""
    enrolment = with_sample_pcns(running("enrolment", databases, kafka_bootstrap, topic_prefix, signing_keys))
    scheduling = running(
        "scheduling",
        databases,
        kafka_bootstrap,
        topic_prefix,
        signing_keys,
        CONSISTENCY_WAIT_SECONDS=str(SHORT_WAIT),
    )
    enrolment.start_worker()
    yield enrolment, scheduling
    enrolment.stop()
    scheduling.stop()


def published_offer(enrolment: RunningService, headers: dict, title: str):
    """An action learning set created and published: the publish answer, with its token."""
    body = {
        "offer_type": "action_learning_set",
        "title": title,
        "capacity": 8,
        "basis": "project",
        "starts_on": "2027-01-04",
        "ends_on": "2027-12-20",
        "planned_sessions": 6,
    }
    created = enrolment.client.post("/v1/offers", json=body, headers=headers)
    assert created.status_code == 201, created.json
    published = enrolment.client.post(f"/v1/offers/{created.json['id']}/publish", headers=headers)
    assert published.status_code == 200, published.json
    return created.json["id"], published


def schedule(scheduling: RunningService, headers: dict, offer_id: str):
    body = {"starts_at": "2027-02-02T10:00", "duration_minutes": 120}
    return scheduling.client.post(f"/v1/offers/{offer_id}/sessions", json=body, headers=headers)


def test_a_session_scheduled_at_once_after_its_offer_is_published_with_the_token_is_created_every_time(stack, admin):
    enrolment, scheduling = stack
    warm_up, _ = published_offer(enrolment, admin, "Warm-up set")
    eventually(
        lambda: schedule(scheduling, admin, warm_up).status_code == 201,
        message="scheduling's consumer to join its group and apply a first offer",
    )

    for attempt in range(5):
        offer_id, published = published_offer(enrolment, admin, f"Set {attempt}")
        token = published.headers[HEADER]

        scheduled = schedule(scheduling, {**admin, HEADER: token}, offer_id)

        assert scheduled.status_code == 201, (attempt, scheduled.json)
        assert scheduled.json["offer_id"] == offer_id


def test_without_a_token_scheduling_answers_at_once_as_before_and_with_one_it_waits_boundedly_then_503(stalled, admin):
    enrolment, scheduling = stalled
    offer_id, published = published_offer(enrolment, admin, "Set never seen")
    token = published.headers[HEADER]

    started = time.monotonic()
    without = schedule(scheduling, admin, offer_id)
    assert (without.status_code, without.json["rule"]) == (404, "offer_not_found")
    assert time.monotonic() - started < SHORT_WAIT

    started = time.monotonic()
    waited = schedule(scheduling, {**admin, HEADER: token}, offer_id)
    elapsed = time.monotonic() - started

    assert waited.status_code == 503, waited.json
    assert waited.mimetype == "application/problem+json"
    assert waited.json["rule"] == "not_yet_consistent"
    assert waited.json["errors"] == [{"field": HEADER, "message": "not yet applied here"}]
    assert waited.headers["Retry-After"] == "1"
    assert SHORT_WAIT <= elapsed < SHORT_WAIT + 2


def test_a_token_naming_only_events_the_service_does_not_consume_is_satisfied_at_once(stalled, admin):
    enrolment, scheduling = stalled
    person = {
        "name": "Test Person",
        "email": "person@example.invalid",
        "role": "clinical_director",
        "pcn_code": PCN,
        "leadership_experience": "practice",
    }
    registered = enrolment.client.post("/v1/participants", json=person, headers=admin)
    assert registered.status_code == 201, registered.json
    token = registered.headers[HEADER]  # participant.registered: feedback consumes it, scheduling does not

    started = time.monotonic()
    listed = scheduling.client.get("/v1/facilitators", headers={**admin, HEADER: token})

    assert listed.status_code == 200, listed.json
    assert time.monotonic() - started < SHORT_WAIT


def test_a_value_that_is_not_a_token_is_refused_400_naming_the_header_and_a_read_has_no_token(stalled, admin):
    enrolment, scheduling = stalled

    refused = scheduling.client.get("/v1/facilitators", headers={**admin, HEADER: "not-a-token"})

    assert refused.status_code == 400
    assert refused.json["rule"] == "invalid_consistency_token"
    assert refused.json["errors"] == [{"field": HEADER, "message": "not a version 1 token"}]
    assert HEADER not in enrolment.client.get("/v1/offers", headers=admin).headers
