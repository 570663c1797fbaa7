"""Scheduling under test for the integration tests: its real app and handlers on a real
database (SQLite and PostgreSQL), with enrolment's and feedback's events handed straight to
its handlers. Fixtures and helpers only; the tests are in the other test_scheduling_* files.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from services.scheduling.domain.recurrence import LONDON, Slot
from services.scheduling.handlers import SUBSCRIPTIONS
from services.scheduling.store import sessions as session_store
from services.scheduling.usecases.sessions import new_session
from shared.clock import utcnow
from shared.contracts import enrolment
from shared.envelope import Envelope
from tests.harness import RunningService, service_environment


class Scheduling:
    def __init__(self, service: RunningService, make_token):
        self.service = service
        self.client = service.client
        self.db = service.runtime.db
        self._make_token = make_token
        self.offers: dict[str, dict] = {}

    # --- events from the other services ---------------------------------------------------

    def deliver(self, event_type, data: dict) -> Envelope:
        """Hand one event to the handler the live consumer would run, in its own transaction
        (an event type scheduling does not subscribe to is ignored, as the consumer does)."""
        envelope = Envelope(type=event_type.type, source=event_type.source, data=event_type.validate(data))
        for subscription in SUBSCRIPTIONS:
            if event_type.type in subscription.handlers:
                with self.db.transaction() as conn:
                    subscription.handlers[event_type.type](envelope, self.service.runtime.unit(conn))
        return envelope

    def publish_offer(
        self,
        *,
        region="Y56",
        offer_type="regional_programme",
        title="Cohort A",
        capacity=20,
        session_allowance=None,
        event=enrolment.OFFER_PUBLISHED,
        status="published",
    ) -> str:
        offer = {
            "offer_id": str(uuid.uuid4()),
            "region": region,
            "offer_type": offer_type,
            "title": title,
            "capacity": capacity,
            "status": status,
            "session_allowance": session_allowance,
        }
        self.deliver(event, offer)
        self.offers[offer["offer_id"]] = offer
        return offer["offer_id"]

    def offer_event(self, offer_id: str, event, status: str) -> None:
        self.offers[offer_id]["status"] = status
        self.deliver(event, self.offers[offer_id])

    def enrolment(self, event, offer_id: str, participant_id: str, status: str, at: datetime | None = None) -> Envelope:
        return self.deliver(event, self.enrolment_data(offer_id, participant_id, status, at))

    def enrolment_data(self, offer_id: str, participant_id: str, status: str, at: datetime | None = None) -> dict:
        """What enrolment says of a participant's place on a known offer."""
        offer = self.offers[offer_id]
        return {
            "enrolment_id": f"e-{offer_id[:8]}-{participant_id}",
            "offer_id": offer_id,
            "participant_id": participant_id,
            "region": offer["region"],
            "offer_type": offer["offer_type"],
            "role": "clinical_director",
            "status": status,
            "changed_at": (at or utcnow()).isoformat(),
        }

    def confirm(self, offer_id: str, *participant_ids: str, at: datetime | None = None) -> None:
        for participant_id in participant_ids:
            self.enrolment(enrolment.ENROLMENT_CONFIRMED, offer_id, participant_id, "confirmed", at)

    def withdraw(self, offer_id: str, participant_id: str, at: datetime | None = None) -> None:
        self.enrolment(enrolment.ENROLMENT_WITHDRAWN, offer_id, participant_id, "withdrawn", at)

    # --- HTTP -----------------------------------------------------------------------------------

    def headers(self, role="regional_admin", region="Y56", subject=None, **extra) -> dict:
        return {"Authorization": "Bearer " + self._make_token(role, region, subject), **extra}

    def add_facilitator(
        self, kind="facilitator", monthly_capacity=20, region="Y56", skills=("action_learning",)
    ) -> str:
        body = {"kind": kind, "monthly_capacity": monthly_capacity, "skills": list(skills)}
        response = self.client.post("/v1/facilitators", json=body, headers=self.headers(region=region))
        assert response.status_code == 201, response.json
        return response.json["id"]

    def schedule(self, offer_id: str, body: dict, region="Y56"):
        return self.client.post(f"/v1/offers/{offer_id}/sessions", json=body, headers=self.headers(region=region))

    def past_session(self, offer_id: str, starts_at: datetime, *, facilitator_id=None, minutes=90) -> str:
        """A session that has already begun: written straight to the store, since the API
        only schedules sessions in the future."""
        offer = self.offers[offer_id]
        slot = Slot(starts_at, starts_at + timedelta(minutes=minutes))
        row = new_session({**offer}, slot, {"facilitator_id": facilitator_id}, kind="group")
        with self.db.transaction() as conn:
            session_store.add_sessions(conn, [row])
        return row["id"]

    # --- the database -----------------------------------------------------------------------------

    def count(self, table) -> int:
        with self.db.read() as conn:
            return conn.execute(select(func.count()).select_from(table)).scalar_one()

    def counts(self) -> dict:
        """Rows of every table: what a refused request must leave exactly as it was."""
        return {table.name: self.count(table) for table in self.db.metadata.sorted_tables}


def local(days: int, hour: int = 10, minute: int = 0) -> str:
    """A Europe/London wall-clock time `days` from today, as the API takes it."""
    day = datetime.now(LONDON).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute).isoformat(timespec="minutes")


def local_on(day: date, hour: int = 10) -> str:
    return datetime(day.year, day.month, day.day, hour).isoformat(timespec="minutes")


def first_weekday_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


@pytest.fixture
def scheduling(databases, kafka_bootstrap, topic_prefix, signing_keys, make_token):
    service = RunningService(
        "scheduling", service_environment(databases.new("scheduling"), kafka_bootstrap, topic_prefix, signing_keys[1])
    )
    yield Scheduling(service, make_token)
    service.stop()
