"""Rebuilding the running aggregates from the stored answers gives exactly what answering
built incrementally, on both databases."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from services.feedback.rebuild import rebuild
from services.feedback.store import tables as store
from tests.integration.test_feedback_api import RATINGS, SCORES
from tests.integration.test_feedback_handlers import NOW, FeedbackWorld


@pytest.fixture
def world(databases, kafka_bootstrap, signing_keys):
    running = FeedbackWorld(databases.new("feedback"), kafka_bootstrap, signing_keys[1])
    yield running
    running.service.stop()


def aggregates(world) -> dict:
    with world.runtime.db.read() as conn:
        return {
            table.name: sorted(tuple(row) for row in conn.execute(select(table)))
            for table in (store.aggregate_stats, store.attendee_counts, store.published_cells)
        }


def test_a_rebuild_from_the_answers_reproduces_the_incremental_aggregates(world, make_token):
    def as_(person, region):
        return {"Authorization": "Bearer " + make_token("participant", region, person)}

    for session, offer, region, offer_type, ended, people in (
        ("s1", "o1", "Y56", "coaching", NOW - timedelta(days=1), 7),
        ("s2", "o2", "Y60", "pcn_team", NOW - timedelta(days=10), 3),
    ):
        world.offer(offer, region, offer_type, status="completed")  # an "after" needs the offer to have run
        world.session(session, offer, region, ended)
        for i in range(people + 1):
            world.attend(session, offer, f"{session}-p{i}", region, ended)
        for i in range(people):
            answer = {
                "overall": 1 + i % 5,
                "usefulness": 5 - i % 5,
                "will_apply": 3,
                "recommend": ("good", "dont_know")[i % 2],
                "anonymous": i % 3 == 0,
            }
            assert (
                world.client.post(
                    f"/v1/sessions/{session}/feedback", json=answer, headers=as_(f"{session}-p{i}", region)
                ).status_code
                == 201
            )
    world.registered("n1", "Y56", "U12345")
    assert (
        world.client.post(
            "/v1/needs-surveys/responses", json={"ratings": RATINGS, "pcn_code": "U12345"}, headers=as_("n1", "Y56")
        ).status_code
        == 201
    )
    world.member("o1", "m1")
    for phase, scores in (("before", SCORES), ("after", dict(SCORES, confidence=6))):
        answered = world.client.post(
            "/v1/outcome-measures", json={"offer_id": "o1", "phase": phase, "scores": scores}, headers=as_("m1", "Y56")
        )
        assert answered.status_code == 201

    built = aggregates(world)
    assert len(built["aggregate_stats"]) > 0 and len(built["published_cells"]) > 0
    rebuild(world.runtime)
    assert aggregates(world) == built
