"""One webhook over HTTP: the CloudEvents validation handshake, then the CloudEvent in
structured mode, signed per Standard Webhooks.

The connection goes to the address the sink check approved (`PinnedBackend`), while the URL's
host name stays the Host header and the TLS server name (SNI, certificate check): a DNS answer
that changes after the check cannot move the request elsewhere. Redirects are not followed
(they could lead to an address the sink rules refuse), and the receiver's answer is never read
beyond its status line. Each request has one deadline for all of it (connecting, TLS, sending
and waiting for the status line), so a receiver trickling bytes cannot hold a worker's slot.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpcore
import httpx
from standardwebhooks import Webhook

from services.subscriptions.delivery.addresses import Target
from services.subscriptions.domain.cloudevent import MEDIA_TYPE
from services.subscriptions.usecases.attempts import Outcome

USER_AGENT = "Convene-Webhooks/1"


class Deadline:
    """When the request under way must be over (time.monotonic), renewed for each request."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def renew(self) -> None:
        self.at = time.monotonic() + self.seconds

    def left(self, timeout: float | None, error: type[Exception]) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise error("the request's deadline passed")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the deadline."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: Deadline):
        self.stream, self.deadline = stream, deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.stream.read(max_bytes, self.deadline.left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.stream.write(buffer, self.deadline.left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.stream.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None, timeout: float | None = None):
        secured = self.stream.start_tls(
            ssl_context, server_hostname, self.deadline.left(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(secured, self.deadline)

    def get_extra_info(self, info: str):
        return self.stream.get_extra_info(info)


class PinnedBackend(httpcore.SyncBackend):
    """Connects to the checked address whatever host the URL names (httpcore still hands the
    host name to TLS as the server name)."""

    def __init__(self, address: str, deadline: Deadline):
        self.address, self.deadline = address, deadline

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        stream = super().connect_tcp(
            self.address, port, self.deadline.left(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream, self.deadline)


def signature_header(secrets: list[str], message_id: str, at: datetime, body: str) -> str:
    """`webhook-signature`: one `v1,<base64>` per secret, space-separated (rotation's overlap sends two)."""
    return " ".join(Webhook(secret).sign(message_id, at, body) for secret in secrets)


def handshake(client: httpx.Client, sink: str, origin: str) -> bool:
    """The CloudEvents webhook validation: the sink must allow Convene's origin (or any)."""
    with client.stream("OPTIONS", sink, headers={"WebHook-Request-Origin": origin}) as answer:
        allowed = answer.headers.get("WebHook-Allowed-Origin", "")
        return 200 <= answer.status_code < 300 and allowed.strip() in (origin, "*")


def send(
    target: Target,
    timeout_seconds: float,
    *,
    message_id: str,
    body: str,
    secrets: list[str],
    origin: str,
    validated: bool,
) -> Outcome:
    """One attempt: the handshake if the sink is not yet validated, then the POST, each within
    `timeout_seconds` in all, over a connection to `target.address`."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    deadline = Deadline(timeout_seconds)
    validated_now = False
    with client(target.address, timeout_seconds, deadline) as http:
        try:
            if not validated:
                if not handshake(http, target.url, origin):
                    return Outcome(False, None, "handshake_refused", elapsed())
                validated_now = True
                deadline.renew()
            now = datetime.now(UTC)
            headers = {
                "content-type": MEDIA_TYPE,
                "webhook-id": message_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": signature_header(secrets, message_id, now, body),
                "WebHook-Request-Origin": origin,
            }
            with http.stream("POST", target.url, content=body.encode(), headers=headers) as answer:
                code = answer.status_code
            delivered = 200 <= code < 300
            return Outcome(delivered, code, None if delivered else "status", elapsed(), validated_now)
        except httpx.TimeoutException:
            return Outcome(False, None, "timeout", elapsed(), validated_now)
        except httpx.HTTPError as error:
            return Outcome(False, None, type(error).__name__[:100], elapsed(), validated_now)


def client(address: str, timeout_seconds: float, deadline: Deadline) -> httpx.Client:
    """A client of one attempt, its connections pinned to `address` and bounded by `deadline`."""
    transport = httpx.HTTPTransport()
    # httpx takes no network backend; its pool is rebuilt with the pinned one (and httpx's TLS context).
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(), max_connections=1, network_backend=PinnedBackend(address, deadline)
    )
    return httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(timeout_seconds),
        follow_redirects=False,
        headers={"user-agent": USER_AGENT},
        trust_env=False,  # no proxy from the environment: the sink rules check the address actually reached
    )
