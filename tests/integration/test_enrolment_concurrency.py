"""Capacity is never exceeded under concurrency: 200 simultaneous enrolments into an 8-place
action learning set, over HTTP against gunicorn with four worker processes, on SQLite and on
PostgreSQL alike; the places taken and waitlist length the offer's row keeps end equal to its rows."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import select

from services.enrolment.demo import acting
from services.enrolment.store import offers as offer_store
from services.enrolment.store.tables import enrolments
from services.enrolment.usecases import participants
from tests.harness import eventually, service_environment
from tests.integration.test_enrolment_support import CAMDEN, LONDON, create_offer, start_enrolment
from tests.processes import Process, WebProcess

REQUESTS = 200


class PatientWebProcess(WebProcess):
    """A WebProcess that waits for /healthz however slowly the workers boot on a busy machine
    (WebProcess.start gives each probe one second and fails on a read timeout)."""

    def start(self, timeout: float = 90) -> "PatientWebProcess":
        Process.start(self)
        eventually(self._healthy, timeout=timeout, interval=0.3, message="gunicorn to answer /healthz")
        return self

    def _healthy(self) -> bool:
        assert self.running(), self.log()[-3000:]
        try:
            return requests.get(self.base_url + "/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            return False


def test_two_hundred_concurrent_enrolments_fill_eight_places_and_a_gapless_waitlist(
    databases, kafka_bootstrap, topic_prefix, signing_keys, make_token, tmp_path
):
    url = databases.new("enrolment")
    arranged = start_enrolment(url, kafka_bootstrap, topic_prefix, signing_keys[1])  # schema and reference data
    offer_id = create_offer(
        arranged.client, {"Authorization": "Bearer " + make_token("regional_admin", LONDON)}, capacity=8
    )
    with acting(arranged.runtime) as actor:
        people = [
            participants.register(
                actor.admin(LONDON),
                {
                    "name": f"Test Person {n}",
                    "email": f"p{n}@example.invalid",
                    "role": "gp",
                    "pcn_code": CAMDEN,
                    "practice_code": None,
                    "leadership_experience": "none",
                },
            )["id"]
            for n in range(REQUESTS)
        ]
    tokens = {person: "Bearer " + make_token("participant", LONDON, person) for person in people}
    web = PatientWebProcess(
        "enrolment", service_environment(url, kafka_bootstrap, topic_prefix, signing_keys[1]), tmp_path, workers=4
    ).start()

    def enrol(person):
        return requests.post(
            f"{web.base_url}/v1/offers/{offer_id}/enrolments",
            json={"participant_id": person},
            headers={"Authorization": tokens[person]},
            timeout=120,
        )

    try:
        with ThreadPoolExecutor(max_workers=50) as pool:
            answers = list(pool.map(enrol, people))
    finally:
        web.stop()

    assert Counter(a.status_code for a in answers) == {201: REQUESTS}, web.log()[-2000:]
    assert Counter(a.json()["status"] for a in answers) == {"confirmed": 8, "waitlisted": 192}
    assert sorted(a.json()["waitlist_position"] for a in answers if a.json()["status"] == "waitlisted") == list(
        range(1, 193)
    )
    with arranged.runtime.db.read() as conn:
        stored = conn.execute(
            select(enrolments.c.participant_id, enrolments.c.status, enrolments.c.waitlist_position).where(
                enrolments.c.offer_id == offer_id
            )
        ).all()
        counted = offer_store.offer(conn, offer_id)
        miscounted = offer_store.miscounted(conn)
    assert sorted(row.participant_id for row in stored) == sorted(people)  # one row each: no duplicates
    assert Counter(row.status for row in stored) == {"confirmed": 8, "waitlisted": 192}
    assert sorted(row.waitlist_position for row in stored if row.status == "waitlisted") == list(range(1, 193))
    # The counts the offer's row keeps moved with every one of the 200 concurrent admissions.
    assert (counted["places_taken"], counted["waitlist_length"], miscounted) == (8, 192, [])
    arranged.stop()
