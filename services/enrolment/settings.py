"""Settings of the enrolment service (with the key-encryption key of names and e-mails, and how
e-mails to participants are sent)."""

from dataclasses import dataclass
from typing import ClassVar

from shared.config import PersonalDataSettings, setting


@dataclass(frozen=True)
class EnrolmentSettings(PersonalDataSettings):
    service: ClassVar[str] = "enrolment"
    default_port: ClassVar[int] = 8001

    completion_threshold: float = setting(
        "COMPLETION_THRESHOLD", 0.75, "Share of held sessions a member must attend to complete an offer."
    )
    feedback_request_days: int = setting(
        "FEEDBACK_REQUEST_DAYS",
        14,
        "Days after a session ends during which its attendees are still asked for feedback by e-mail: feedback's "
        "FEEDBACK_WINDOW_DAYS, so nobody is asked for what feedback would refuse (a session recorded long after).",
    )
    import_max_bytes: int = setting(
        "IMPORT_MAX_BYTES",
        20_000_000,
        "Largest body of POST /v1/reference-data/imports (the national ODS files are a few MB).",
    )
    notification_channel: str = setting(
        "NOTIFICATION_CHANNEL",
        "smtp",
        "How e-mails to participants go: `smtp` (development and tests: SMTP_HOST) or `notify` (production: GOV.UK "
        "Notify, with NOTIFY_API_KEY and NOTIFY_TEMPLATE_IDS).",
    )
    smtp_host: str = setting("SMTP_HOST", "127.0.0.1", "SMTP server of the `smtp` channel (`make up`: its mailbox).")
    smtp_port: int = setting("SMTP_PORT", 1025, "Its port.")
    smtp_timeout_seconds: float = setting(
        "SMTP_TIMEOUT_SECONDS", 10.0, "How long one SMTP conversation (one e-mail sent) may take in all."
    )
    mail_from: str = setting("MAIL_FROM", "Convene <no-reply@convene.invalid>", "The From of the `smtp` channel.")
    notify_api_key: str = setting(
        "NOTIFY_API_KEY", "", "GOV.UK Notify API key of the `notify` channel (a secret: from the secret store)."
    )
    notify_template_ids: str = setting(
        "NOTIFY_TEMPLATE_IDS",
        "",
        "GOV.UK Notify template id of each kind of e-mail, `kind=id` separated by commas (every kind of "
        "services/enrolment/domain/notifications.py `Kind`); each template uses ((name)), ((subject)) and ((body)).",
    )
    notify_timeout_seconds: float = setting(
        "NOTIFY_TIMEOUT_SECONDS",
        10.0,
        "How long GOV.UK Notify may take to connect, and then to answer, for one e-mail.",
    )
    notification_max_attempts: int = setting(
        "NOTIFICATION_MAX_ATTEMPTS", 8, "Failed tries after which an e-mail is parked for an operator."
    )
    notification_backoff_seconds: float = setting(
        "NOTIFICATION_BACKOFF_SECONDS",
        30.0,
        "The first retry's longest wait; each further one doubles it (with jitter, at most an hour).",
    )
    notification_backoff_max_seconds: float = setting(
        "NOTIFICATION_BACKOFF_MAX_SECONDS", 3600.0, "The longest wait between two tries of an e-mail."
    )
    notifier_idle_seconds: float = setting(
        "NOTIFIER_IDLE_SECONDS", 1.0, "How often the worker's notifier looks for e-mails due when it has none."
    )
    notifier_cycle_seconds: float = setting(
        "NOTIFIER_CYCLE_SECONDS",
        60.0,
        "The longest a round of the notifier sends for: it starts no e-mail it could not finish within it (more than "
        "SMTP_TIMEOUT_SECONDS or NOTIFY_TIMEOUT_SECONDS).",
    )

    def __post_init__(self):
        # A wrong threshold must stop the service at start, not surface later as a refused request.
        if not 0 < self.completion_threshold <= 1:
            raise ValueError("COMPLETION_THRESHOLD must be above 0 and at most 1")
        if self.notification_channel not in ("smtp", "notify"):
            raise ValueError("NOTIFICATION_CHANNEL must be smtp or notify")
        if self.notification_max_attempts < 1:
            raise ValueError("NOTIFICATION_MAX_ATTEMPTS must be at least 1")
        if self.notifier_cycle_seconds <= self.send_timeout_seconds():
            raise ValueError("NOTIFIER_CYCLE_SECONDS must be more than one e-mail's timeout")

    def send_timeout_seconds(self) -> float:
        """The bound on one e-mail's send, by its channel."""
        return self.notify_timeout_seconds if self.notification_channel == "notify" else self.smtp_timeout_seconds

    def template_ids(self) -> dict[str, str]:
        """NOTIFY_TEMPLATE_IDS as kind → template id."""
        pairs = (item.split("=", 1) for item in self.notify_template_ids.split(",") if item.strip())
        return {kind.strip(): template.strip() for kind, template in pairs}
