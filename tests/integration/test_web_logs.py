"""A real gunicorn web process writes one JSON schema: its own error log, its access lines and
the application's records alike, with service, process and correlation id; the access line
holds the path, never the query string or a header."""

from __future__ import annotations

import json

import requests

from tests.harness import eventually, service_environment
from tests.processes import WebProcess


def test_every_line_a_web_process_logs_is_json_in_the_services_schema(
    tmp_path, kafka_bootstrap, topic_prefix, signing_keys
):
    settings = service_environment(
        f"sqlite:///{tmp_path / 'enrolment.db'}", kafka_bootstrap, topic_prefix, signing_keys[1]
    )
    web = WebProcess("enrolment", {**settings, "CONVENE_DATA_DIR": str(tmp_path)}, tmp_path, workers=1).start()
    try:
        answered = requests.get(
            f"{web.base_url}/v1/offers?secret=Ada-Byron",
            headers={"X-Correlation-ID": "log-check-1", "Authorization": "Bearer not-a-token"},
            timeout=10,
        )
        assert answered.status_code == 401

        def access_line():
            lines = [json.loads(line) for line in web.log().splitlines() if line.strip()]
            return next((entry for entry in lines if entry.get("path") == "/v1/offers"), None) and lines

        lines = eventually(access_line, timeout=10, message="the access line")
    finally:
        web.stop()
    assert all({"time", "level", "service", "process", "message"} <= set(entry) for entry in lines)
    assert {entry["service"] for entry in lines} == {"enrolment"}
    assert any(entry["logger"] == "gunicorn.error" for entry in lines)  # gunicorn's own start-up lines
    [access] = [entry for entry in lines if entry.get("path") == "/v1/offers"]
    assert (access["method"], access["status"], access["correlation_id"]) == ("GET", 401, "log-check-1")
    assert "Ada-Byron" not in web.log() and "not-a-token" not in web.log()
