"""The Flask application shell every service shares: auth on /v1, problem+json errors,
security headers, correlation ids, health, readiness, metrics, OpenAPI and the docs page."""

from __future__ import annotations

import hashlib
import logging
import re
import time
import uuid
from collections.abc import Sequence

from flask import Flask, Response, g, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from shared import metrics, tracing
from shared.api import Api
from shared.asyncapi import build_asyncapi
from shared.audit_api import audit_api
from shared.auth import InvalidToken, TokenVerifier
from shared.consumer import InboxWatch, Subscription
from shared.docs_page import register_docs
from shared.errors import DomainError
from shared.logs import redacted_path, reset_correlation_id, set_correlation_id
from shared.openapi import build_spec
from shared.problems import Problem, field_errors, problem_response, status_title
from shared.ratelimit import RateLimiter
from shared.relay import outbox_backlog
from shared.runtime import Runtime
from shared.security_headers import apply_security_headers

log = logging.getLogger("convene.http")
_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


def create_service_app(
    runtime: Runtime, apis: Sequence[Api], *, title: str, description: str, subscriptions: Sequence[Subscription] = ()
) -> Flask:
    """The web application of the service `runtime` serves: `apis` under /v1, its OpenAPI
    document titled `title`, and the AsyncAPI document of what it sends and (`subscriptions`) consumes."""
    settings = runtime.settings
    app = Flask(settings.service)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False
    app.extensions["convene.runtime"] = runtime
    app.extensions["convene.inbox_watch"] = InboxWatch(settings, runtime.db.tables.inbox, subscriptions)
    verifier = TokenVerifier(settings)
    endpoints = [endpoint for api in [*apis, audit_api] for endpoint in api.endpoints]
    # Routes whose secret path is their credential (shared.api `public`): no bearer token is read.
    public_routes = {(endpoint.rule, endpoint.method) for endpoint in endpoints if endpoint.public}
    limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_storage_uri)
    spec_cache: dict = {}
    tracer = tracing.tracer(settings)  # None unless OTEL_EXPORTER_OTLP_ENDPOINT is set

    @app.before_request
    def begin_request():
        g.started = time.perf_counter()
        if tracer is not None and request.path.startswith("/v1/"):
            # A server span per API request (not probes or scrapes); events it writes carry its traceparent.
            g.trace_span, g.trace_token = tracing.start_server_span(
                tracer, request.method, redacted_path(request.path), request.scheme, request.headers.get("traceparent")
            )
        supplied = request.headers.get("X-Correlation-ID", "")
        g.correlation_id = supplied if _CORRELATION_ID.match(supplied) else str(uuid.uuid4())
        g.correlation_token = set_correlation_id(g.correlation_id)
        if request.path.startswith("/v1/"):
            if _public_route(app, public_routes):
                # No token: the secret in the path is the credential, and its own count is limited
                # (by its hash, so a shared limit store never holds the secret).
                g.principal = None
                caller, whom = "path:" + hashlib.sha256(request.path.encode()).hexdigest(), "address"
            else:
                g.principal = verifier.verify(request.headers.get("Authorization"))
                caller, whom = g.principal.subject, "token"
            retry_after = limiter.refuse(caller)
            if retry_after:
                raise Problem(
                    429,
                    "too_many_requests",
                    f"too many requests for this {whom}; slow down",
                    headers={"Retry-After": str(retry_after)},
                )

    @app.after_request
    def finish_request(response: Response):
        response.headers["X-Correlation-ID"] = g.get("correlation_id", "")
        g.trace_status = response.status_code
        apply_security_headers(response.headers, request.path, settings.hsts_max_age_seconds)
        route = request.url_rule.rule if request.url_rule else "unmatched"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        metrics.HTTP_LATENCY.labels(settings.service, route, request.method, str(response.status_code)).observe(elapsed)
        log.debug(
            "request",
            extra={
                "route": route,
                "method": request.method,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 2),
            },
        )
        return response

    @app.teardown_request
    def end_request(_error=None):
        token = g.pop("correlation_token", None)
        if token is not None:
            reset_correlation_id(token)
        span = g.pop("trace_span", None)
        if span is not None:
            tracing.end_server_span(
                span, g.pop("trace_token"), request.url_rule.rule if request.url_rule else None, g.get("trace_status")
            )

    _register_errors(app)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="alive", service=settings.service)

    @app.get("/readyz")
    def readyz():
        # The database only. With Kafka away a write still commits and its event waits in the
        # outbox, so a broker outage must not take every web process out of its Service; how
        # the broker is doing shows in /healthz/details and in convene_kafka_reachable.
        ready = _database_ok(runtime)
        return jsonify(status="ready" if ready else "not ready", checks={"database": ready}), 200 if ready else 503

    @app.get("/healthz/details")
    def health_details():
        # For people and dashboards, not for probes: always 200, the status says "degraded".
        # Counts and ages only, nothing about any person, so it needs no token.
        return jsonify(_dependency_report(runtime))

    @app.get("/metrics")
    def metrics_endpoint():
        _dependency_report(runtime)  # refreshes the broker and outbox gauges
        body, content_type = metrics.exposition()
        return Response(body, mimetype=content_type.split(";")[0])

    @app.get("/openapi.json")
    def openapi():
        if "spec" not in spec_cache:
            spec_cache["spec"] = build_spec(title, "1.0.0", description, endpoints)
        return jsonify(spec_cache["spec"])

    @app.get("/asyncapi.json")
    def asyncapi():
        if "asyncapi" not in spec_cache:
            spec_cache["asyncapi"] = build_asyncapi({settings.service: subscriptions}, settings.service)
        return jsonify(spec_cache["asyncapi"])

    register_docs(app, title)

    for api in [*apis, audit_api]:
        app.register_blueprint(api)
    return app


def _public_route(app: Flask, public_routes: set) -> bool:
    """Whether the request is to a route without a bearer token (shared.api `public`); another
    method on its address is too, so it is answered 405 with Allow, not "a token is required"."""
    if request.url_rule is not None:
        return (request.url_rule.rule, request.method) in public_routes
    if not public_routes or not isinstance(request.routing_exception, MethodNotAllowed):
        return False
    try:
        rule, _ = app.url_map.bind_to_environ(request.environ).match(method="GET", return_rule=True)
    except HTTPException:
        return False
    return (rule.rule, "GET") in public_routes


def _dependency_report(runtime: Runtime) -> dict:
    """Database, broker and outbox as /healthz/details shows them; sets their gauges on the way."""
    service = runtime.settings.service
    database = _database_ok(runtime)
    kafka = runtime.kafka_probe.reachable()  # asks the broker at most every few seconds
    metrics.KAFKA_REACHABLE.labels(service).set(1 if kafka else 0)
    outbox = {"backlog": None, "oldest_age_seconds": None}
    try:
        backlog, oldest_age = outbox_backlog(runtime.db)
        metrics.OUTBOX_BACKLOG.labels(service).set(backlog)
        metrics.OUTBOX_OLDEST_AGE.labels(service).set(oldest_age)
        outbox = {"backlog": backlog, "oldest_age_seconds": round(oldest_age, 3)}
    except Exception:
        log.warning("outbox backlog unavailable")
    return {
        "status": "ok" if database and kafka else "degraded",
        "service": service,
        "checks": {"database": database, "kafka": kafka},
        "outbox": outbox,
    }


def _database_ok(runtime: Runtime) -> bool:
    try:
        runtime.db.ping()
        return True
    except Exception:
        return False


def _register_errors(app: Flask) -> None:
    @app.errorhandler(InvalidToken)
    def invalid_token(error: InvalidToken):
        # The detail is one of shared.auth's and shared.token_claims' own sentences.
        return problem_response(
            401, "invalid_token", "Unauthorised", str(error), headers={"WWW-Authenticate": 'Bearer realm="convene"'}
        )

    @app.errorhandler(Problem)
    def problem(error: Problem):
        return problem_response(
            error.status,
            error.rule,
            status_title(error.status),
            error.detail,
            errors=error.errors,
            headers=error.headers,
            **error.extra,
        )

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        extra = dict(error.extra)
        errors = ([{"field": error.field, "message": error.detail}] if error.field else []) + list(
            extra.pop("errors", [])
        )
        return problem_response(
            error.status, error.rule, status_title(error.status), error.detail, errors=errors, **extra
        )

    @app.errorhandler(ValidationError)
    def validation_error(error: ValidationError):
        errors = field_errors(error.messages)
        named = ", ".join(sorted({e["field"] for e in errors}))
        return problem_response(
            422, "invalid_request", "Unprocessable request", f"invalid fields: {named}", errors=errors
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # Our own words, never the exception's description: one raised deep inside a library
        # could carry its internals (a parser's message, a file path).
        rule, detail = _HTTP_ERRORS.get(error.code, ("http_error", status_title(error.code)))
        if error.code == 413 and request.max_content_length:
            detail = f"the request body is larger than the {request.max_content_length} bytes this endpoint accepts"
        # What the status itself requires, e.g. Allow on 405 (RFC 9110 §15.5.6).
        kept = {name: value for name, value in error.get_headers() if name.lower() in _HTTP_ERROR_HEADERS}
        return problem_response(error.code, rule, status_title(error.code), detail, headers=kept)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unhandled error")
        return problem_response(
            500, "internal_error", "Internal Server Error", "the request failed; quote the correlation id to support"
        )


_HTTP_ERRORS = {
    400: ("bad_request", "the request cannot be read"),
    404: ("not_found", "no such resource"),
    405: ("method_not_allowed", "this resource does not answer that method; Allow lists the ones it does"),
    413: ("body_too_large", "the request body is larger than this endpoint accepts"),
}
_HTTP_ERROR_HEADERS = {"allow", "retry-after", "www-authenticate"}
