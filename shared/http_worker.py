"""The gunicorn worker of every Convene web process (deploy/gunicorn.conf.py sets worker_class).

Gunicorn answers some requests itself, before Flask sees them: a request line longer than
limit_request_line, a header longer than limit_request_field_size or more headers than
limit_request_fields, a request it cannot parse. Its own answer is an HTML page that names its
parser's exception and echoes the request line. These workers answer those as every other
Convene error: RFC 9457 problem+json naming the rule, in plain words, with the same security
headers (shared.security_headers); the log names the rule, never the request line (its query
string may hold personal data, which the access log leaves out for the same reason).
"""

from __future__ import annotations

import json
import ssl
from datetime import datetime
from functools import cached_property

from gunicorn import util
from gunicorn.http import errors
from gunicorn.http.wsgi import Response, default_environ
from gunicorn.workers.gthread import ThreadWorker
from gunicorn.workers.sync import SyncWorker

from shared.config import Settings
from shared.problems import CONTENT_TYPE, problem_document, status_title
from shared.security_headers import security_headers


class ProblemErrors:
    """What both workers share: handle_error answers problem+json (gunicorn.workers.base.Worker.handle_error)."""

    def handle_error(self, req, client, addr, exc):
        started = datetime.now()
        addr = addr or ("", -1)  # a unix socket has no address
        status, rule, detail = self.refusal(exc)
        if status >= 500:
            self.log.exception("error handling a request: %s", rule)
        else:
            self.log.warning("refused a request gunicorn could not accept from ip=%s: %s", addr[0], rule)
        if req is None and isinstance(exc, (errors.InvalidHeader, errors.InvalidHeaderName)):
            req = getattr(exc, "req", None)  # for the access log
        body = json.dumps(problem_document(status, rule, status_title(status), detail)).encode()
        if req is not None:
            environ = default_environ(req, client, self.cfg)
            environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = addr[0], str(addr[1])
            logged = Response(req, client, self.cfg)
            logged.status = f"{status} {status_title(status)}"
            logged.response_length = len(body)
            self.log.access(logged, req, environ, datetime.now() - started)
        try:
            util.write_nonblock(client, self.answer(status, body))
        except Exception:
            self.log.debug("could not send the error answer")

    def refusal(self, exc: BaseException) -> tuple[int, str, str]:
        """(status, rule, detail) for what gunicorn refused, in our words."""
        cfg = self.cfg
        if isinstance(exc, errors.LimitRequestLine):
            return (
                414,
                "request_line_too_long",
                f"the request line (method, path and query) is longer than the {cfg.limit_request_line} bytes allowed",
            )
        if isinstance(exc, errors.LimitRequestHeaders):
            return (
                431,
                "headers_too_large",
                f"the request has more than {cfg.limit_request_fields} headers or a header longer than "
                f"{cfg.limit_request_field_size} bytes",
            )
        if isinstance(exc, errors.UnsupportedTransferCoding):
            return (
                501,
                "unsupported_transfer_coding",
                "the request's Transfer-Encoding is not supported; send chunked or a Content-Length",
            )
        if isinstance(exc, errors.ForbiddenProxyRequest):
            return 403, "forbidden_proxy", "this proxy may not forward requests here"
        if isinstance(exc, errors.ConfigurationProblem):
            return 500, "internal_error", "the request failed; quote the time of the request to support"
        if isinstance(
            exc, (errors.ParseException, errors.InvalidChunkSize, errors.ChunkMissingTerminator, ssl.SSLError)
        ):
            return (
                400,
                "malformed_request",
                "the request is not well-formed HTTP/1.1 (request line, headers or framing)",
            )
        return 500, "internal_error", "the request failed; quote the time of the request to support"

    @cached_property
    def _headers(self) -> dict[str, str]:
        # The path is unknown (it may be what was refused): error answers are never cached.
        return security_headers("", Settings.load().hsts_max_age_seconds) | {"Cache-Control": "no-store"}

    def answer(self, status: int, body: bytes) -> bytes:
        lines = [
            f"HTTP/1.1 {status} {status_title(status)}",
            "Connection: close",
            f"Content-Type: {CONTENT_TYPE}",
            f"Content-Length: {len(body)}",
        ]
        lines += [f"{name}: {value}" for name, value in self._headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class ProblemSyncWorker(ProblemErrors, SyncWorker):
    """gunicorn's sync worker (Convene's default) with problem+json errors."""


class ProblemThreadWorker(ProblemErrors, ThreadWorker):
    """gunicorn's gthread worker with problem+json errors, for a deployment that sets threads."""
