"""A participant's calendar subscription address on both databases: made by the participant
alone and shown once, read by calendar apps with no bearer token, revoked by a new one, by
DELETE and by erasure; only its hash is stored, and no audit row or log line holds the secret."""

from __future__ import annotations

import hashlib
import json
import logging

import requests
from icalendar import Calendar
from sqlalchemy import select

from services.scheduling.store.tables import calendar_feeds
from shared.clock import utcnow
from shared.contracts import enrolment
from shared.logs import redacted_path
from tests.harness import RunningService, eventually, service_environment
from tests.integration.test_scheduling_support import Scheduling, local, scheduling  # noqa: F401
from tests.processes import WebProcess

MEMBER = "p-feed"


def _feed_path(url: str) -> str:
    return "/v1/" + url.split("/v1/", 1)[1]


def _subscribe(scheduling: Scheduling, participant_id: str = MEMBER, subject: str = MEMBER):
    as_them = scheduling.headers("participant", subject=subject)
    return scheduling.client.post(f"/v1/participants/{participant_id}/calendar-feed", headers=as_them)


def _member_with_a_session(scheduling: Scheduling) -> str:
    offer_id = scheduling.publish_offer(title="Leading change together")
    scheduling.confirm(offer_id, MEMBER)
    response = scheduling.schedule(offer_id, {"starts_at": local(5), "duration_minutes": 90, "venue": "Room 4"})
    assert response.status_code == 201, response.json
    return response.json["id"]


def _events(body: bytes) -> dict:
    return {str(e["UID"]): e for e in Calendar.from_ical(body).walk("VEVENT")}


def test_a_calendar_app_reads_the_secret_address_without_a_token_and_sees_the_participants_sessions(
    scheduling: Scheduling,
):
    session_id = _member_with_a_session(scheduling)
    made = _subscribe(scheduling)
    assert made.status_code == 201, made.json
    url = made.json["url"]
    assert url.startswith("http://localhost/v1/calendar-feeds/") and url.endswith(".ics")
    secret = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(secret) == 43  # token_urlsafe(32)

    answer = scheduling.client.get(_feed_path(url))  # no Authorization header
    assert answer.status_code == 200
    assert answer.mimetype == "text/calendar"
    assert answer.headers["Cache-Control"].startswith("private")
    event = _events(answer.data)[f"{session_id}@convene"]
    assert str(event["SUMMARY"]).startswith("Leading change together") and str(event["LOCATION"]) == "Room 4"
    # The same document as the participant's own authenticated feed.
    own = scheduling.client.get(
        f"/v1/participants/{MEMBER}/calendar.ics", headers=scheduling.headers("participant", subject=MEMBER)
    )
    assert _events(own.data).keys() == _events(answer.data).keys()
    # A token sent along changes nothing: the address is the credential.
    with_token = scheduling.client.get(_feed_path(url), headers=scheduling.headers("participant", subject="p-other"))
    assert with_token.status_code == 200 and _events(with_token.data).keys() == _events(answer.data).keys()

    feeds = calendar_feeds
    with scheduling.db.read() as conn:
        rows = [dict(row) for row in conn.execute(select(feeds)).mappings()]
    assert [(r["participant_id"], r["secret_hash"]) for r in rows] == [
        (MEMBER, hashlib.sha256(secret.encode()).hexdigest())
    ]
    assert secret not in json.dumps(rows, default=str)


def test_a_new_address_revokes_the_old_and_delete_revokes_it_with_the_same_404_as_an_unknown_one(
    scheduling: Scheduling,
):
    _member_with_a_session(scheduling)
    first = _feed_path(_subscribe(scheduling).json["url"])
    second = _feed_path(_subscribe(scheduling).json["url"])
    assert first != second
    revoked = scheduling.client.get(first)
    assert revoked.status_code == 404 and revoked.json["rule"] == "calendar_feed_not_found"
    unknown = scheduling.client.get("/v1/calendar-feeds/" + "A" * 43 + ".ics")
    assert (unknown.status_code, unknown.json["rule"], unknown.json["detail"]) == (
        404,
        revoked.json["rule"],
        revoked.json["detail"],
    )
    assert scheduling.client.get(second).status_code == 200
    # Another method on the address is answered as on any route: 405 with Allow, no token asked for.
    wrong = scheduling.client.post(second)
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]

    as_member = scheduling.headers("participant", subject=MEMBER)
    assert scheduling.client.delete(f"/v1/participants/{MEMBER}/calendar-feed", headers=as_member).status_code == 204
    assert scheduling.client.get(second).status_code == 404
    # Revoking when there is nothing to revoke is no error.
    assert scheduling.client.delete(f"/v1/participants/{MEMBER}/calendar-feed", headers=as_member).status_code == 204


def test_no_one_else_makes_or_revokes_a_participants_address(scheduling: Scheduling):
    _member_with_a_session(scheduling)
    path = _feed_path(_subscribe(scheduling).json["url"])
    other = scheduling.headers("participant", subject="p-other")
    made = scheduling.client.post(f"/v1/participants/{MEMBER}/calendar-feed", headers=other)
    assert made.status_code == 404 and made.json["rule"] == "participant_not_found"
    revoked = scheduling.client.delete(f"/v1/participants/{MEMBER}/calendar-feed", headers=other)
    assert revoked.status_code == 404
    for role in ("regional_admin", "facilitator", "coach"):
        refused = scheduling.client.post(f"/v1/participants/{MEMBER}/calendar-feed", headers=scheduling.headers(role))
        assert refused.status_code == 403, role
    assert scheduling.client.get(path).status_code == 200, "the member's address still works"


def test_erasure_deletes_the_address(scheduling: Scheduling):
    _member_with_a_session(scheduling)
    path = _feed_path(_subscribe(scheduling).json["url"])
    scheduling.deliver(
        enrolment.PARTICIPANT_ERASED, {"participant_id": MEMBER, "region": "Y56", "erased_at": utcnow().isoformat()}
    )
    assert scheduling.client.get(path).status_code == 404
    assert scheduling.count(calendar_feeds) == 0
    # Their token may outlive the erasure: it makes no address again (the id would be back).
    again = _subscribe(scheduling)
    assert (again.status_code, again.json["rule"]) == (409, "participant_erased")
    assert scheduling.count(calendar_feeds) == 0


def test_the_secret_is_in_no_audit_row_and_no_log_line(scheduling: Scheduling, caplog):
    _member_with_a_session(scheduling)
    caplog.set_level(logging.DEBUG)
    url = _subscribe(scheduling).json["url"]
    secret = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert scheduling.client.get(_feed_path(url)).status_code == 200
    as_member = scheduling.headers("participant", subject=MEMBER)
    assert scheduling.client.delete(f"/v1/participants/{MEMBER}/calendar-feed", headers=as_member).status_code == 204
    assert scheduling.client.get(_feed_path(url)).status_code == 404

    audit = scheduling.db.tables.audit
    with scheduling.db.read() as conn:
        rows = [dict(row) for row in conn.execute(select(audit)).mappings()]
    feed_rows = [r for r in rows if "calendar-feed" in r["route"]]
    assert [(r["action"], r["route"], r["record_id"]) for r in feed_rows] == [
        ("POST", "/v1/participants/<participant_id>/calendar-feed", MEMBER),
        ("DELETE", "/v1/participants/<participant_id>/calendar-feed", MEMBER),
    ]
    assert secret not in json.dumps(rows, default=str)
    assert secret not in caplog.text
    # What gunicorn's access line and the trace's url.path hold of such a path.
    assert redacted_path(_feed_path(url)) == "/v1/calendar-feeds/[redacted]"
    assert redacted_path(f"/v1/participants/{MEMBER}/calendar.ics") == f"/v1/participants/{MEMBER}/calendar.ics"


def test_a_web_process_logs_a_subscription_address_without_its_secret(
    tmp_path, kafka_bootstrap, topic_prefix, signing_keys
):
    settings = service_environment(
        f"sqlite:///{tmp_path / 'scheduling.db'}", kafka_bootstrap, topic_prefix, signing_keys[1]
    )
    RunningService("scheduling", settings).stop()  # its tables, made once
    web = WebProcess("scheduling", {**settings, "CONVENE_DATA_DIR": str(tmp_path)}, tmp_path, workers=1).start()
    secret = "Zq" * 21 + "x"
    try:
        answered = requests.get(
            f"{web.base_url}/v1/calendar-feeds/{secret}.ics", headers={"X-Correlation-ID": "feed-log-1"}, timeout=10
        )
        assert answered.status_code == 404 and answered.json()["rule"] == "calendar_feed_not_found"

        def access_line():
            lines = [json.loads(line) for line in web.log().splitlines() if line.strip()]
            return next((entry for entry in lines if entry.get("correlation_id") == "feed-log-1"), None)

        access = eventually(access_line, timeout=10, message="the access line")
    finally:
        web.stop()
    assert access["path"] == "/v1/calendar-feeds/[redacted]"
    assert secret not in web.log()
