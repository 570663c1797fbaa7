"""The ways an e-mail leaves Convene: SMTP (development and tests: `make up`'s mailbox) and
GOV.UK Notify (production: a template per kind, filled with the letter's fields).

A channel raises on failure; what it raises is logged and stored by class (and SMTP code)
only, because a server's words may quote the address. Each send is bounded in time (`timeout`):
the notifier's claim on a notification outlasts it (services.enrolment.notifier.sender).
"""

from __future__ import annotations

import io
import smtplib
import socket
import threading
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


class DeadlineSMTP(smtplib.SMTP):
    """An SMTP conversation cut off at a deadline for the whole of it. smtplib's own timeout bounds
    each wait for the socket only: a server trickling a byte at a time would hold a send (and its
    claim) for as long as it liked. At the deadline a watchdog shuts the socket, and the waiting
    read fails at once (SMTPServerDisconnected)."""

    def __init__(self, host: str, port: int, *, seconds: float):
        self._watchdog = threading.Timer(seconds, self._cut)
        self._watchdog.daemon = True
        self._watchdog.start()
        try:
            super().__init__(host, port, timeout=seconds)  # connecting is bounded by the timeout itself
        except BaseException:
            self._watchdog.cancel()
            raise

    def _cut(self) -> None:
        sock = self.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # closed already

    def close(self) -> None:
        self._watchdog.cancel()
        super().close()


class SmtpChannel:
    name = "smtp"

    def __init__(self, settings):
        self.host, self.port, self.timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout_seconds
        self.sender = settings.mail_from

    def send(self, notification_id: str, to: str, letter: Letter) -> None:
        smtp = DeadlineSMTP(self.host, self.port, seconds=self.timeout)
        try:
            smtp.send_message(self.message(notification_id, to, letter))
        finally:
            try:
                smtp.quit()
            except Exception:  # the mail is accepted (or the failure raised already): a goodbye lost is nothing
                smtp.close()

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
        self.timeout = settings.notify_timeout_seconds
        # The client's timeout bounds connecting and each wait for its answer (requests' timeout).
        self.client = NotificationsAPIClient(settings.notify_api_key, timeout=self.timeout)

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
