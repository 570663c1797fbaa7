"""JSON logs with the correlation id of the request or event being handled.

Only identifiers, routes, types and counts are logged: never names, e-mails, tokens,
free text or message values.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
_EXTRA_FIELDS = (
    "route",
    "path",
    "method",
    "status",
    "duration_ms",
    "event_type",
    "event_id",
    "topic",
    "partition",
    "offset",
    "count",
    "error",
)


# Paths under these prefixes hold a secret (shared.api's public endpoints register theirs).
_SECRET_PATH_PREFIXES: set[str] = set()
REDACTED = "[redacted]"


def redact_paths_under(prefix: str) -> None:
    """Paths starting with `prefix` carry a secret after it: logs and traces show the prefix only."""
    _SECRET_PATH_PREFIXES.add(prefix)


def redacted_path(path: str | None) -> str | None:
    """The path as logs may hold it: a secret-bearing path becomes its prefix and `[redacted]`."""
    for prefix in _SECRET_PATH_PREFIXES:
        if path and path.startswith(prefix) and len(path) > len(prefix):
            return prefix + REDACTED
    return path


def current_correlation_id() -> str | None:
    return _correlation_id.get()


def set_correlation_id(value: str | None):
    return _correlation_id.set(value)


def reset_correlation_id(token) -> None:
    _correlation_id.reset(token)


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "service": self.service,
            "process": record.process,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # A record may carry the id itself (gunicorn's access line, written after the request).
        correlation_id = getattr(record, "correlation_id", None) or current_correlation_id()
        if correlation_id:
            entry["correlation_id"] = correlation_id
        entry.update({name: getattr(record, name) for name in _EXTRA_FIELDS if hasattr(record, name)})
        if record.exc_info and record.exc_info[0] is not None:
            # The type and where it was raised, never the message: messages of database errors
            # carry parameter values, which may be personal data.
            entry["exception"] = record.exc_info[0].__name__
            entry["stack"] = [
                f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in traceback.extract_tb(record.exc_info[2])
            ]
        return json.dumps(entry)


def configure(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # kafka-python logs every failed reconnect as an error and may log message contents at
    # DEBUG; Convene reports broker trouble itself (readiness, relay and consumer warnings).
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    # httpx logs every request's full URL at INFO: a webhook sink's query string may carry the
    # receiver's token, and a URL is no business of the logs. Failures are logged by Convene.
    for client in ("httpx", "httpcore"):
        logging.getLogger(client).setLevel(logging.WARNING)
