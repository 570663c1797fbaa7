"""Settings of the subscriptions service: webhook delivery's limits, retries and sink safety."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from services.subscriptions.domain.retries import RetryPolicy
from services.subscriptions.domain.sinks import SinkRules
from shared.config import PersonalDataSettings, setting


@dataclass(frozen=True)
class SubscriptionsSettings(PersonalDataSettings):  # signing secrets are sealed under PERSONAL_DATA_KEY (store.secrets)
    service: ClassVar[str] = "subscriptions"
    default_port: ClassVar[int] = 8004

    webhook_allow_http: bool = setting(
        "WEBHOOK_ALLOW_HTTP",
        False,
        "Allow sinks on plain http:// (local development and tests only); otherwise every sink must be https://.",
    )
    webhook_allow_private_addresses: bool = setting(
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES",
        False,
        "Allow sinks whose host resolves to a private, loopback or link-local address (a receiver on the same "
        "machine in development and tests only). Checked at creation and before every delivery.",
    )
    webhook_timeout_seconds: float = setting(
        "WEBHOOK_TIMEOUT_SECONDS",
        10.0,
        "Longest one request of a delivery may take in all: connecting, TLS, sending and waiting for the answer's "
        "status line together (a first delivery's validation handshake has as long again).",
    )
    webhook_concurrency: int = setting(
        "WEBHOOK_CONCURRENCY", 16, "Deliveries a worker process sends at once, across all subscriptions."
    )
    webhook_per_subscription_concurrency: int = setting(
        "WEBHOOK_PER_SUBSCRIPTION_CONCURRENCY",
        4,
        "Deliveries in flight to one subscription at once (different keys; one key is always one at a time), so a "
        "slow receiver holds only its own slots.",
    )
    webhook_retry_base_seconds: float = setting(
        "WEBHOOK_RETRY_BASE_SECONDS", 5.0, "Wait before the first retry; each further retry doubles it (with jitter)."
    )
    webhook_retry_cap_seconds: float = setting(
        "WEBHOOK_RETRY_CAP_SECONDS", 3600.0, "Longest wait between two attempts of a delivery."
    )
    webhook_retry_window_seconds: float = setting(
        "WEBHOOK_RETRY_WINDOW_SECONDS",
        86400.0,
        "How long a delivery is retried after its first attempt; then the subscription is paused with the reason.",
    )
    webhook_secret_overlap_seconds: float = setting(
        "WEBHOOK_SECRET_OVERLAP_SECONDS",
        86400.0,
        "After a secret rotation, how long deliveries are signed with the previous secret as well.",
    )
    webhook_origin: str = setting(
        "WEBHOOK_ORIGIN",
        "convene.local",
        "The WebHook-Request-Origin of the validation handshake: the host name receivers allow.",
    )
    webhook_body_retention_seconds: float = setting(
        "WEBHOOK_BODY_RETENTION_SECONDS",
        7 * 86400.0,
        "How long the body of a finished delivery (delivered, or never to be sent) is kept for redelivery; then it "
        "is emptied and only the log remains (event id, type, outcome). A delivered participant.erased is emptied "
        "at once.",
    )
    webhook_poll_seconds: float = setting(
        "WEBHOOK_POLL_SECONDS", 0.5, "How often the delivery loop looks for deliveries that are due."
    )

    def __post_init__(self):
        if self.webhook_concurrency < 1 or self.webhook_per_subscription_concurrency < 1:
            raise ValueError("WEBHOOK_CONCURRENCY and WEBHOOK_PER_SUBSCRIPTION_CONCURRENCY must be at least 1")
        if not 0 < self.webhook_timeout_seconds <= 60:
            raise ValueError("WEBHOOK_TIMEOUT_SECONDS must be more than 0 and at most 60")
        if self.webhook_body_retention_seconds < 0:
            raise ValueError("WEBHOOK_BODY_RETENTION_SECONDS must not be negative")
        if self.webhook_retry_base_seconds <= 0 or self.webhook_retry_cap_seconds < self.webhook_retry_base_seconds:
            raise ValueError("WEBHOOK_RETRY_BASE_SECONDS must be positive and at most WEBHOOK_RETRY_CAP_SECONDS")

    @property
    def sink_rules(self) -> SinkRules:
        return SinkRules(self.webhook_allow_http, self.webhook_allow_private_addresses)

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            self.webhook_retry_base_seconds, self.webhook_retry_cap_seconds, self.webhook_retry_window_seconds
        )
