"""An "after" outcome measure needs the offer to have run, on both databases: feedback learns
the offer's status and planned sessions from enrolment's events and its sessions from
scheduling's, and refuses an early "after" naming the rule, writing nothing."""

from datetime import timedelta

import pytest

from services.feedback.store import tables as store
from shared.contracts import enrolment, scheduling
from tests.integration.test_feedback_handlers import NOW, world  # noqa: F401 (world: the shared fixture)

SCORES = {"confidence": 3, "isolation": 5, "trust_in_group": 4, "sense_of_direction": 2}


@pytest.fixture
def me(make_token):
    return {"Authorization": "Bearer " + make_token("participant", "Y56", "p1")}


def give(world, me, phase, offer_id="o1"):
    return world.client.post(
        "/v1/outcome-measures", json={"offer_id": offer_id, "phase": phase, "scores": SCORES}, headers=me
    )


def test_an_after_is_refused_until_half_the_planned_sessions_are_held_and_the_refusal_writes_nothing(world, me):
    world.offer("o1", status="started", planned_sessions=4)
    world.member("o1", "p1")
    assert [r["planned_sessions"] for r in world.rows(store.offers)] == [4]
    assert give(world, me, "before").status_code == 201
    world.session("s1", "o1", ends_at=NOW - timedelta(days=7))
    world.session("s2", "o1", ends_at=NOW - timedelta(days=1))
    cancelled = {
        "session_id": "s2",
        "offer_id": "o1",
        "region": "Y56",
        "kind": "group",
        "sequence": 1,
        "status": "cancelled",
    }
    world.deliver(
        scheduling.SESSION_CANCELLED,
        cancelled
        | {
            "starts_at": (NOW - timedelta(days=1, hours=2)).isoformat(),
            "ends_at": (NOW - timedelta(days=1)).isoformat(),
        },
    )
    world.session("s3", "o1", ends_at=NOW + timedelta(days=7))  # not held yet
    before = world.counts()
    refused = give(world, me, "after")
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    assert refused.json["rule"] == "offer_not_run_yet" and [e["field"] for e in refused.json["errors"]] == ["phase"]
    assert "1 so far" in refused.json["detail"] and world.counts() == before
    world.session("s4", "o1", ends_at=NOW - timedelta(days=2))
    accepted = give(world, me, "after")
    assert accepted.status_code == 201 and accepted.json["paired"] is True


def test_an_after_is_taken_once_enrolment_completes_the_offer_whatever_was_held(world, me):
    world.offer("o1", status="started", planned_sessions=6)
    world.member("o1", "p1")
    assert give(world, me, "after").json["rule"] == "offer_not_run_yet"
    world.offer("o1", event=enrolment.OFFER_COMPLETED, status="completed", planned_sessions=6)
    assert give(world, me, "after").status_code == 201


def test_the_share_is_a_setting(databases, kafka_bootstrap, signing_keys, make_token, me):
    from tests.integration.test_feedback_handlers import FeedbackWorld

    strict = FeedbackWorld(databases.new("feedback"), kafka_bootstrap, signing_keys[1], OUTCOME_AFTER_MIN_SHARE="1")
    try:
        strict.offer("o1", status="started", planned_sessions=2)
        strict.member("o1", "p1")
        strict.session("s1", "o1")
        assert give(strict, me, "after").status_code == 409
        strict.session("s2", "o1", ends_at=NOW - timedelta(hours=5))
        assert give(strict, me, "after").status_code == 201
    finally:
        strict.service.stop()
