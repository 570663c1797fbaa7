"""One webhook over HTTP: the CloudEvents validation handshake, then the CloudEvent in
structured mode, signed per Standard Webhooks. Redirects are not followed (they could lead to
an address the sink rules refuse) and the receiver's answer is never read beyond its status."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from services.subscriptions.domain.cloudevent import MEDIA_TYPE
from services.subscriptions.usecases.attempts import Outcome

USER_AGENT = "Convene-Webhooks/1"


def signature_header(secrets: list[str], message_id: str, at: datetime, body: str) -> str:
    """`webhook-signature`: one `v1,<base64>` per secret, space-separated (rotation's overlap sends two)."""
    return " ".join(Webhook(secret).sign(message_id, at, body) for secret in secrets)


def handshake(client: httpx.Client, sink: str, origin: str) -> bool:
    """The CloudEvents webhook validation: the sink must allow Convene's origin (or any)."""
    with client.stream("OPTIONS", sink, headers={"WebHook-Request-Origin": origin}) as answer:
        allowed = answer.headers.get("WebHook-Allowed-Origin", "")
        return 200 <= answer.status_code < 300 and allowed.strip() in (origin, "*")


def send(
    client: httpx.Client, sink: str, *, message_id: str, body: str, secrets: list[str], origin: str, validated: bool
) -> Outcome:
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    validated_now = False
    try:
        if not validated:
            if not handshake(client, sink, origin):
                return Outcome(False, None, "handshake_refused", elapsed())
            validated_now = True
        now = datetime.now(UTC)
        headers = {
            "content-type": MEDIA_TYPE,
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature_header(secrets, message_id, now, body),
            "WebHook-Request-Origin": origin,
        }
        with client.stream("POST", sink, content=body.encode(), headers=headers) as answer:
            code = answer.status_code
        delivered = 200 <= code < 300
        return Outcome(delivered, code, None if delivered else "status", elapsed(), validated_now)
    except httpx.TimeoutException:
        return Outcome(False, None, "timeout", elapsed(), validated_now)
    except httpx.HTTPError as error:
        return Outcome(False, None, type(error).__name__[:100], elapsed(), validated_now)


def client(timeout_seconds: float) -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(timeout_seconds),
        follow_redirects=False,
        headers={"user-agent": USER_AGENT},
        trust_env=False,  # no proxy from the environment: the sink rules check the address actually reached
    )
