"""gunicorn's own error and access logs in the services' JSON log schema (shared.logs), so an
operator reads one format from every process: time, level, service, process, correlation id.

Set by `logger_class` in deploy/gunicorn.conf.py. The access line carries route-level facts
only: the path (of a secret address, its prefix only: shared.logs.redacted_path), never the
query string (it may hold personal data), and no headers (they carry bearer tokens).
"""

from __future__ import annotations

import sys

from gunicorn import glogging

from shared.logs import JsonFormatter, redacted_path


def service_of(arguments: list[str]) -> str:
    """The service whose app gunicorn serves, from its command line (the app is given there,
    `services.enrolment.app:create_app()`, not in the configuration): `enrolment`."""
    for argument in arguments:
        parts = argument.split(".")
        if len(parts) > 2 and parts[0] == "services" and parts[2].startswith("app"):
            return parts[1]
    return "web"


class JsonLogger(glogging.Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        formatter = JsonFormatter(service_of([cfg.wsgi_app or "", *sys.argv]))
        for logger in (self.error_log, self.access_log):
            for handler in logger.handlers:
                handler.setFormatter(formatter)

    def access(self, resp, req, environ, request_time) -> None:
        if not self.cfg.accesslog:
            return
        headers = {name.lower(): value for name, value in resp.headers}
        facts = {
            "method": environ.get("REQUEST_METHOD"),
            "path": redacted_path(environ.get("PATH_INFO")),  # a secret address: its prefix only
            "status": resp.status_code,
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
            "correlation_id": headers.get("x-correlation-id"),
        }
        self.access_log.info("request", extra=facts)
