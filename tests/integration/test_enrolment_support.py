"""Shared arrangements of the enrolment tests (no tests here): a running enrolment service with
the sample ODS files imported, tokens, and HTTP shortcuts for registering people and offers.

The sample files (services/enrolment/data/sample) hold two PCNs in each of the seven regions
with two practices each, and a closed PCN that no practice belongs to.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.enrolment.store import attendance
from services.enrolment.store.tables import metadata
from services.enrolment.usecases.reference import import_files
from shared.clock import utcnow
from tests.harness import RunningService, service_environment

SAMPLE = Path(__file__).resolve().parents[2] / "services" / "enrolment" / "data" / "sample"
EPCN_CSV = (SAMPLE / "epcn.csv").read_text()
PRACTICE_MAP_CSV = (SAMPLE / "gp-reg-pat-prac-map.csv").read_text()
LONDON, SOUTH_WEST = "Y56", "Y58"
CAMDEN, LEWISHAM, EXETER = "U10001", "U10002", "U20002"  # two London PCNs, one South West
CAMDEN_PRACTICE = "F83011"


def start_enrolment(
    database_url: str, kafka_bootstrap: str, topic_prefix: str, public_key, **settings: str
) -> RunningService:
    """The enrolment service with the sample reference data; `settings` are extra environment variables."""
    service = RunningService(
        "enrolment", {**service_environment(database_url, kafka_bootstrap, topic_prefix, public_key), **settings}
    )
    with service.runtime.db.transaction() as conn:
        import_files(conn, EPCN_CSV, PRACTICE_MAP_CSV)
    return service


@pytest.fixture
def enrolment(databases, kafka_bootstrap, topic_prefix, signing_keys):
    """The enrolment service on each database, with reference data and no worker."""
    service = start_enrolment(databases.new("enrolment"), kafka_bootstrap, topic_prefix, signing_keys[1])
    yield service
    service.stop()


@pytest.fixture
def as_role(make_token):
    """Authorization headers: as_role() is London's administrator; as_role("participant", LONDON, id)."""

    def headers(role: str = "regional_admin", region: str | None = LONDON, subject: str | None = None) -> dict:
        return {"Authorization": "Bearer " + make_token(role, region, subject)}

    return headers


def register(client, headers: dict, *, pcn: str = CAMDEN, n: int = 0, role: str = "gp", **extra) -> str:
    body = {
        "name": f"Test Person {n}",
        "email": f"person{n}.{pcn.lower()}@example.invalid",
        "role": role,
        "pcn_code": pcn,
        "leadership_experience": "none",
        **extra,
    }
    response = client.post("/v1/participants", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json["id"]


def offer_body(**changes) -> dict:
    return {
        "offer_type": "action_learning_set",
        "title": "Action learning set",
        "capacity": 8,
        "basis": "project",
        "starts_on": "2027-01-04",
        "ends_on": "2027-06-28",
        "planned_sessions": 6,
        **changes,
    }


def create_offer(client, headers: dict, *, publish: bool = True, **changes) -> str:
    response = client.post("/v1/offers", json=offer_body(**changes), headers=headers)
    assert response.status_code == 201, response.json
    if publish:
        assert client.post(f"/v1/offers/{response.json['id']}/publish", headers=headers).status_code == 200
    return response.json["id"]


def enrol(client, headers: dict, offer_id: str, participant_id: str):
    return client.post(f"/v1/offers/{offer_id}/enrolments", json={"participant_id": participant_id}, headers=headers)


def row_counts(service: RunningService) -> dict[str, int]:
    """How many rows every table holds: a refused request must leave all of them as they were."""
    with service.runtime.db.read() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in metadata.tables.items()
        }


def outbox_types(service: RunningService) -> list[str]:
    outbox = service.runtime.db.tables.outbox
    with service.runtime.db.read() as conn:
        return list(conn.execute(select(outbox.c.event_type).order_by(outbox.c.id)).scalars())


def hold_session(service: RunningService, offer_id: str, *, days_ago: int = 1) -> str:
    """A session of the offer that was held, put in enrolment's projection as scheduling's
    session.scheduled event would put it (tests/integration/test_enrolment_completion.py sends
    the real events): an offer completes only once it has held a session."""
    session_id = str(uuid.uuid4())
    with service.runtime.db.transaction() as conn:
        attendance.save_session(conn, session_id, offer_id, utcnow() - timedelta(days=days_ago), "scheduled", 0)
    return session_id
