"""Calls to the services' public APIs with the signed-in person's own token: the console can see
no more than its user may. A 4xx problem comes back to the page that asked; anything else (5xx,
no answer) becomes UpstreamFailure, which the console shows as its error page.

Every call reads the person's own writes (docs/consistency.md): a write's Convene-Consistency
token is kept in their session and sent with their next calls to any service for a short while,
and a service still applying it (503 not_yet_consistent) is asked once more, so a person never
sees a false "not found" after what they have just done."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass

import requests
from flask import current_app, g, has_request_context, request, session

CONSISTENCY = "consistency"  # the session's key: [token, kept at] of the person's latest writes
KEPT_TOKENS = 5
# Another service applies an event within a second or so; an older token would only make pages wait
# on an event long applied (or dead-lettered) for ever.
TOKEN_SECONDS = 120


class UpstreamFailure(Exception):
    """A service failed (5xx) or did not answer; `correlation_id` lets support find it in the logs."""

    def __init__(self, service: str, correlation_id: str, status: int | None):
        super().__init__(f"{service} answered {status or 'nothing'}")
        self.service, self.correlation_id, self.status = service, correlation_id, status


class NotSignedIn(Exception):
    """The service refused the person's token (401): their session must start again."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict
    headers: dict

    @property
    def problem(self) -> dict | None:
        return self.body if self.status >= 400 else None


def correlation_id() -> str:
    """One id per page view, sent with every call it makes and shown on the error page."""
    if not has_request_context():
        return str(uuid.uuid4())
    if "correlation_id" not in g:
        g.correlation_id = request.headers.get("X-Correlation-ID") or str(uuid.uuid4())
    return g.correlation_id


def kept_tokens(kept: list, new: str | None, now: float) -> list:
    """The [token, kept at] pairs to keep after a write answered `new`: the latest few, none too old. Pure."""
    fresh = [pair for pair in kept if now - pair[1] < TOKEN_SECONDS and pair[0] != new]
    return ([*fresh, [new, now]] if new else fresh)[-KEPT_TOKENS:]


def own_writes() -> dict:
    """The Convene-Consistency header of the person's recent writes (none outside a request)."""
    if not has_request_context():
        return {}
    tokens = [token for token, _ in kept_tokens(session.get(CONSISTENCY) or [], None, time.time())]
    return {"Convene-Consistency": ", ".join(tokens)} if tokens else {}


def _keep_write(response) -> None:
    token = response.headers.get("Convene-Consistency")
    if token and response.status_code < 400 and has_request_context():
        session[CONSISTENCY] = kept_tokens(session.get(CONSISTENCY) or [], token, time.time())


def _not_yet_consistent(response) -> bool:
    return response.status_code == 503 and "not_yet_consistent" in response.text


def call(service: str, method: str, path: str, token: str, *, json=None, params=None, headers=None) -> Answer:
    settings = current_app.config["CONSOLE"]
    base = {"enrolment": settings.enrolment_url, "scheduling": settings.scheduling_url}.get(service)
    base = base or settings.feedback_url
    sent = {
        "Authorization": f"Bearer {token}",
        "X-Correlation-ID": correlation_id(),
        **own_writes(),
        **(headers or {}),
    }
    try:
        for attempt in (1, 2):  # a service still applying the person's write is asked once more
            response = requests.request(
                method, base + path, json=json, params=params, headers=sent, timeout=settings.upstream_timeout_seconds
            )
            if attempt == 1 and _not_yet_consistent(response):
                time.sleep(min(float(response.headers.get("Retry-After") or 1), 1))
                continue
            break
    except requests.RequestException:
        raise UpstreamFailure(service, sent["X-Correlation-ID"], None) from None
    if response.status_code == 401:
        raise NotSignedIn()
    if response.status_code >= 500 or not response.headers.get("Content-Type", "").startswith("application/"):
        raise UpstreamFailure(service, sent["X-Correlation-ID"], response.status_code)
    _keep_write(response)
    body = response.json() if response.content else {}  # 204 No Content (an erasure) has no body
    return Answer(response.status_code, body, dict(response.headers))


@dataclass(frozen=True)
class File:
    """A service's answer that is a file (a PDF report), not JSON; `problem` when it refused."""

    status: int
    content_type: str
    disposition: str | None
    content: bytes

    @property
    def problem(self) -> dict | None:
        if self.status < 400:
            return None
        try:
            return json.loads(self.content)
        except ValueError:
            return {"title": "The service refused the request."}


def fetch_file(service: str, path: str, token: str, *, params=None) -> File:
    """A file from a service with the person's token, failing as `call` does (401, 5xx, no answer)."""
    settings = current_app.config["CONSOLE"]
    base = {"enrolment": settings.enrolment_url, "scheduling": settings.scheduling_url}.get(service)
    sent = {"Authorization": f"Bearer {token}", "X-Correlation-ID": correlation_id(), **own_writes()}
    try:
        response = requests.get(
            (base or settings.feedback_url) + path,
            params=params,
            headers=sent,
            timeout=settings.upstream_timeout_seconds,
        )
    except requests.RequestException:
        raise UpstreamFailure(service, sent["X-Correlation-ID"], None) from None
    if response.status_code == 401:
        raise NotSignedIn()
    if response.status_code >= 500:
        raise UpstreamFailure(service, sent["X-Correlation-ID"], response.status_code)
    return File(
        response.status_code,
        response.headers.get("Content-Type", ""),
        response.headers.get("Content-Disposition"),
        response.content,
    )
