"""RFC 9457 problem details: every error Convene answers is application/problem+json."""

from __future__ import annotations

from http import HTTPStatus

from flask import Response, json

PROBLEM_TYPE = "urn:convene:problem:"
CONTENT_TYPE = "application/problem+json"


class Problem(Exception):
    """An HTTP error raised from the web layer, answered as problem+json."""

    def __init__(
        self,
        status: int,
        rule: str,
        detail: str,
        *,
        errors: list[dict] | None = None,
        headers: dict | None = None,
        **extra,
    ):
        super().__init__(detail)
        self.status = status
        self.rule = rule
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}
        self.extra = extra


def problem_document(status: int, rule: str, title: str, detail: str, *, errors=None, **extra) -> dict:
    """The body of a problem answer; gunicorn's own errors (shared.http_worker) use it too."""
    body = {"type": PROBLEM_TYPE + rule, "title": title, "status": status, "detail": detail, "rule": rule}
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def status_title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_response(
    status: int, rule: str, title: str, detail: str, *, errors=None, headers=None, **extra
) -> Response:
    body = problem_document(status, rule, title, detail, errors=errors, **extra)
    response = Response(json.dumps(body), status=status, mimetype=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def field_errors(messages, prefix: str = "") -> list[dict]:
    """Flatten marshmallow's nested messages into [{field, message}], naming each field by its path."""
    if isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            return [{"field": prefix or "_body", "message": " ".join(messages)}]
        return [error for item in messages for error in field_errors(item, prefix)]
    errors = []
    for name, inner in messages.items():
        path = f"{prefix}.{name}" if prefix else str(name)
        if name == "_schema":
            path = prefix or "_body"
        errors.extend(field_errors(inner, path))
    return errors
