"""Feedback's programme rules end to end over the real broker, on both databases, through the
three services' APIs: a cohort member who answers the needs survey twice counts once in
scheduling's co-design (feedback's needs.reported carries the member's stable pseudonym); an
"after" outcome measure on an offer that has not run is refused, and taken once a share of its
planned sessions has been held (scheduling's session events, enrolment's planned sessions)."""

import pytest
from sqlalchemy import select

from services.enrolment.usecases.reference import import_files
from services.scheduling.store.tables import needs as scheduling_needs
from tests.e2e.test_erasure import PCN, REGION, SAMPLE, future_local, held_yesterday, ok
from tests.harness import RunningService, eventually, service_environment

OTHERS = {"leadership": 1, "collaboration": 1, "dealing_with_conflict": 1, "innovation": 1, "engagement": 1}
MOST = OTHERS | {"strategy": 4, "teamwork": 3}  # what the rest of the cohort answers
FIRST = OTHERS | {"strategy": 1, "teamwork": 5}  # the member's first answer ...
LATEST = OTHERS | {"strategy": 5, "teamwork": 1}  # ... and the one that replaces it
SCORES = {"confidence": 3, "isolation": 5, "trust_in_group": 4, "sense_of_direction": 3}


@pytest.fixture
def stack(databases, kafka_bootstrap, topic_prefix, signing_keys):
    running = {
        name: RunningService(
            name, service_environment(databases.new(name), kafka_bootstrap, topic_prefix, signing_keys[1])
        )
        for name in ("enrolment", "scheduling", "feedback")
    }
    with running["enrolment"].runtime.db.transaction() as conn:
        import_files(conn, (SAMPLE / "epcn.csv").read_text(), (SAMPLE / "gp-reg-pat-prac-map.csv").read_text())
    for service in running.values():
        service.start_worker()
    yield running
    for service in running.values():
        service.stop()


def cohort(stack, admin, size: int) -> tuple[str, list[str]]:
    """A published regional programme of two planned sessions, two of them scheduled ahead,
    with `size` members confirmed."""
    enrolment = stack["enrolment"]
    offer = {
        "offer_type": "regional_programme",
        "title": "Cohort A",
        "capacity": 10,
        "starts_on": "2027-01-04",
        "ends_on": "2027-06-28",
        "planned_sessions": 2,
    }
    offer_id = ok(enrolment.client.post("/v1/offers", json=offer, headers=admin))["id"]
    ok(enrolment.client.post(f"/v1/offers/{offer_id}/publish", headers=admin))
    people = []
    for n in range(size):
        person = {
            "name": f"Member {n}",
            "email": f"member{n}@example.invalid",
            "role": "gp",
            "pcn_code": PCN,
            "leadership_experience": "practice",
        }
        people.append(ok(enrolment.client.post("/v1/participants", json=person, headers=admin))["id"])
        assert (
            ok(
                enrolment.client.post(
                    f"/v1/offers/{offer_id}/enrolments", json={"participant_id": people[-1]}, headers=admin
                )
            )["status"]
            == "confirmed"
        )
    scheduling = stack["scheduling"]
    eventually(
        lambda: scheduling.client.get(f"/v1/offers/{offer_id}/roster", headers=admin).status_code == 200,
        timeout=60,
        message="scheduling to learn the offer",
    )
    for days in (10, 24):
        ok(
            scheduling.client.post(
                f"/v1/offers/{offer_id}/sessions",
                json={"starts_at": future_local(days), "duration_minutes": 90},
                headers=admin,
            )
        )
    return offer_id, people


def test_a_member_answering_twice_counts_once_in_co_design_and_an_after_waits_until_the_offer_has_run(
    stack, make_token
):
    _enrolment, scheduling, feedback = stack["enrolment"], stack["scheduling"], stack["feedback"]
    admin = {"Authorization": "Bearer " + make_token("regional_admin", REGION)}
    offer_id, people = cohort(stack, admin, 5)
    as_ = {person: {"Authorization": "Bearer " + make_token("participant", REGION, person)} for person in people}
    twice, *rest = people

    def answer(person, ratings):
        return feedback.client.post(
            "/v1/needs-surveys/responses", json={"ratings": ratings, "offer_id": offer_id}, headers=as_[person]
        )

    eventually(lambda: answer(twice, FIRST).status_code == 201, timeout=60, message="feedback to learn the membership")
    second = answer(twice, LATEST)
    assert second.status_code == 201 and second.json["replaced"] is True
    for person in rest[:3]:
        eventually(
            lambda: answer(person, MOST).status_code == 201, timeout=60, message="feedback to learn the membership"
        )

    def projected() -> list:
        with scheduling.runtime.db.read() as conn:
            return sorted(
                conn.execute(
                    select(scheduling_needs.c.ratings).where(scheduling_needs.c.offer_id == offer_id)
                ).scalars(),
                key=lambda r: (r["strategy"], r["teamwork"]),
            )

    # Five answers from four members: scheduling holds four, the member's latest among them.
    eventually(
        lambda: projected() == [MOST, MOST, MOST, LATEST], timeout=60, message="scheduling to project the needs answers"
    )
    early = scheduling.client.post(f"/v1/offers/{offer_id}/sessions/co-design", json={}, headers=admin)
    assert (early.status_code, early.json["rule"]) == (422, "too_few_needs_answers")

    eventually(lambda: answer(rest[3], MOST).status_code == 201, timeout=60, message="feedback to learn the membership")
    eventually(lambda: len(projected()) == 5, timeout=60, message="scheduling to project the fifth member's answer")
    designed = ok(scheduling.client.post(f"/v1/offers/{offer_id}/sessions/co-design", json={}, headers=admin))
    scores = {n["need"]: (n["score"], n["responses"]) for n in designed["ranking"]}
    # The latest answer once: strategy (4*4 + 5)/5, teamwork (4*3 + 1)/5. Counted twice, or the
    # first kept, strategy would not lead.
    assert scores["strategy"] == (4.2, 5) and scores["teamwork"] == (2.6, 5)
    assert [s["topic"] for s in designed["sessions"]] == ["Strategy", "Teamwork"]

    # "After" needs the offer to have run: two planned, none held yet (both are still to come).
    me = as_[twice]
    ok(
        feedback.client.post(
            "/v1/outcome-measures", json={"offer_id": offer_id, "phase": "before", "scores": SCORES}, headers=me
        )
    )

    def after():
        return feedback.client.post(
            "/v1/outcome-measures",
            json={"offer_id": offer_id, "phase": "after", "scores": SCORES | {"confidence": 6}},
            headers=me,
        )

    refused = after()
    assert (refused.status_code, refused.json["rule"], refused.json["errors"][0]["field"]) == (
        409,
        "offer_not_run_yet",
        "phase",
    )
    assert "2 planned sessions" in refused.json["detail"] and "0 so far" in refused.json["detail"]
    held_yesterday(scheduling, offer_id)  # one of two held: half, the default share
    accepted = eventually(
        lambda: (r := after()).status_code == 201 and r, timeout=60, message="feedback to learn the session held"
    )
    assert accepted.json["paired"] is True
