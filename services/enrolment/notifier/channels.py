"""The ways an e-mail leaves Convene: SMTP (development and tests: `make up`'s mailbox) and
GOV.UK Notify (production: a template per kind, filled with the letter's fields).

A channel raises on failure; what it raises is logged and stored by class (and SMTP code)
only, because a server's words may quote the address.
"""

from __future__ import annotations

import io
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from notifications_python_client import prepare_upload
from notifications_python_client.notifications import NotificationsAPIClient

from services.enrolment.domain.notifications import Kind, Letter

CALENDAR_FILE = "session.ics"


def message_id(notification_id: str) -> str:
    """The Message-ID of a notification's e-mail: the same on every try, so a receiver can drop a repeat."""
    return f"<{notification_id}@convene.invalid>"


def failure(error: Exception) -> str:
    """What may be stored and logged of a failure: its class, and an SMTP reply's code."""
    code = getattr(error, "smtp_code", None)
    return f"{type(error).__name__}" + (f" {code}" if code else "")


class SmtpChannel:
    name = "smtp"

    def __init__(self, settings):
        self.host, self.port, self.timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout_seconds
        self.sender = settings.mail_from

    def send(self, notification_id: str, to: str, letter: Letter) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(self.message(notification_id, to, letter))

    def message(self, notification_id: str, to: str, letter: Letter) -> EmailMessage:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, letter.subject
        message["Message-ID"] = message_id(notification_id)
        message["Date"] = formatdate(usegmt=True)
        message.set_content(letter.text)
        if letter.calendar is not None:
            method = "CANCEL" if letter.kind is Kind.SESSION_CANCELLED else "REQUEST"
            message.add_attachment(
                letter.calendar, maintype="text", subtype="calendar", filename=CALENDAR_FILE, params={"method": method}
            )
        return message


def personalisation(letter: Letter) -> dict:
    """GOV.UK Notify's personalisation of a letter: its fields, its subject and body whole (for a
    template that prefers them), and the invitation as a file to download."""
    values = {**letter.fields, "subject": letter.subject, "body": letter.text}
    if letter.calendar is not None:
        values["calendar_file"] = prepare_upload(io.BytesIO(letter.calendar), filename=CALENDAR_FILE)
    return values


class NotifyChannel:
    name = "notify"

    def __init__(self, settings):
        self.templates = settings.template_ids()
        missing = [kind.value for kind in Kind if kind.value not in self.templates]
        if not settings.notify_api_key or missing:
            raise ValueError(f"the notify channel needs NOTIFY_API_KEY and a template for each kind: {missing}")
        self.client = NotificationsAPIClient(settings.notify_api_key)

    def send(self, notification_id: str, to: str, letter: Letter) -> None:
        # `reference` is the notification id: Notify's own record of what was sent, by id.
        self.client.send_email_notification(
            email_address=to,
            template_id=self.templates[letter.kind.value],
            personalisation=personalisation(letter),
            reference=notification_id,
        )


def channel(settings):
    return NotifyChannel(settings) if settings.notification_channel == "notify" else SmtpChannel(settings)
