"""Calls to the services' public APIs with the signed-in person's own token: the console can see
no more than its user may. A 4xx problem comes back to the page that asked; anything else (5xx,
no answer) becomes UpstreamFailure, which the console shows as its error page."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import requests
from flask import current_app, g, has_request_context, request


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


def call(service: str, method: str, path: str, token: str, *, json=None, params=None, headers=None) -> Answer:
    settings = current_app.config["CONSOLE"]
    base = {"enrolment": settings.enrolment_url, "scheduling": settings.scheduling_url}.get(service)
    base = base or settings.feedback_url
    sent = {"Authorization": f"Bearer {token}", "X-Correlation-ID": correlation_id(), **(headers or {})}
    try:
        response = requests.request(
            method, base + path, json=json, params=params, headers=sent, timeout=settings.upstream_timeout_seconds
        )
    except requests.RequestException:
        raise UpstreamFailure(service, sent["X-Correlation-ID"], None) from None
    if response.status_code == 401:
        raise NotSignedIn()
    if response.status_code >= 500 or not response.headers.get("Content-Type", "").startswith("application/"):
        raise UpstreamFailure(service, sent["X-Correlation-ID"], response.status_code)
    body = response.json() if response.content else {}  # 204 No Content (an erasure) has no body
    return Answer(response.status_code, body, dict(response.headers))
