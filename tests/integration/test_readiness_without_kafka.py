"""A Kafka outage does not take the web processes out of service: a real gunicorn process of
enrolment whose broker address does not answer stays ready, takes writes, and keeps their events
in the outbox; the broker's absence shows only in /healthz/details and in the metrics."""

from __future__ import annotations

import requests
from sqlalchemy import select

from services.enrolment.store import metadata
from services.registry import declaration
from shared import migrate
from shared.db import Database
from tests.harness import service_environment
from tests.integration.test_enrolment_support import offer_body
from tests.processes import WebProcess, free_port


def test_with_the_broker_away_the_web_process_stays_ready_and_writes_wait_in_the_outbox(
    tmp_path, topic_prefix, signing_keys, make_token
):
    url = f"sqlite:///{tmp_path / 'enrolment.db'}"
    db = Database(url, metadata)
    migrate.upgrade(declaration("enrolment"), db)
    silent_broker = f"127.0.0.1:{free_port()}"  # a broker address where nothing answers
    environ = {
        **service_environment(url, silent_broker, topic_prefix, signing_keys[1]),
        "CONVENE_DATA_DIR": str(tmp_path),
    }
    web = WebProcess("enrolment", environ, tmp_path, workers=2).start()
    try:
        ready = requests.get(web.base_url + "/readyz", timeout=10)
        assert (ready.status_code, ready.json()["checks"]) == (200, {"database": True})

        headers = {"Authorization": "Bearer " + make_token("regional_admin", "Y56", "admin-a")}
        created = requests.post(web.base_url + "/v1/offers", json=offer_body(), headers=headers, timeout=10)
        assert created.status_code == 201, created.text
        published = requests.post(
            f"{web.base_url}/v1/offers/{created.json()['id']}/publish", headers=headers, timeout=10
        )
        assert published.status_code == 200, published.text
        assert _unpublished_event_types(db) == ["org.convene.enrolment.offer.published.v1"]

        assert requests.get(web.base_url + "/readyz", timeout=10).status_code == 200
        details = requests.get(web.base_url + "/healthz/details", timeout=10)
        assert details.status_code == 200
        assert (details.json()["status"], details.json()["checks"]) == ("degraded", {"database": True, "kafka": False})
        assert details.json()["outbox"]["backlog"] == 1 and details.json()["outbox"]["oldest_age_seconds"] >= 0
        scraped = requests.get(web.base_url + "/metrics", timeout=10).text
        assert 'convene_kafka_reachable{service="enrolment"} 0.0' in scraped
        assert 'convene_outbox_backlog{service="enrolment"} 1.0' in scraped
    finally:
        web.stop()
        db.dispose()


def _unpublished_event_types(db: Database) -> list[str]:
    outbox = db.tables.outbox
    with db.read() as conn:
        return [row.event_type for row in conn.execute(select(outbox).where(outbox.c.published_at.is_(None)))]
