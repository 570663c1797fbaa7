"""One JSON log schema for every process: the application's records and gunicorn's. No I/O."""

import json
import logging
import sys

from shared.gunicorn_logs import service_of
from shared.logs import JsonFormatter, configure


def _record(**extra) -> logging.LogRecord:
    record = logging.LogRecord("convene.http", logging.ERROR, __file__, 1, "unhandled error", None, None)
    record.__dict__.update(extra)
    return record


def test_a_record_carries_time_level_service_process_and_its_own_correlation_id():
    entry = json.loads(
        JsonFormatter("enrolment").format(_record(correlation_id="abc-1", path="/v1/offers", status=200))
    )
    assert {"time", "level", "service", "process", "logger", "message"} <= set(entry)
    assert (entry["service"], entry["process"], entry["correlation_id"], entry["path"], entry["status"]) == (
        "enrolment",
        record_process(),
        "abc-1",
        "/v1/offers",
        200,
    )


def record_process() -> int:
    return _record().process


def test_an_exception_logs_its_stack_but_never_its_message():
    try:
        raise ValueError("INSERT failed for name='Ada Byron-Nolan'")
    except ValueError:
        entry = json.loads(JsonFormatter("feedback").format(_record(exc_info=sys.exc_info())))
    assert entry["exception"] == "ValueError"
    assert entry["stack"] and entry["stack"][-1].endswith("in test_an_exception_logs_its_stack_but_never_its_message")
    assert "Ada" not in json.dumps(entry)


def test_gunicorn_logs_name_the_service_of_the_app_they_serve():
    assert (
        service_of(["gunicorn", "-c", "deploy/gunicorn.conf.py", "services.scheduling.app:create_app()"])
        == "scheduling"
    )
    assert service_of(["gunicorn"]) == "web"


def test_http_clients_do_not_log_the_urls_they_call():
    configure("subscriptions")
    assert all(logging.getLogger(client).getEffectiveLevel() >= logging.WARNING for client in ("httpx", "httpcore"))
