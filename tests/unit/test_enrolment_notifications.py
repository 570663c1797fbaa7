"""The words, invitations and retry times of the e-mails to participants, without I/O; and the
GOV.UK Notify channel's pure part (its personalisation): Notify itself is not called in tests."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from services.enrolment.domain.invitations import invitation
from services.enrolment.domain.notifications import Kind, kind_of_withdrawal, render, when
from services.enrolment.domain.retries import next_attempt, parks
from services.enrolment.notifier.channels import SmtpChannel, failure, message_id, personalisation
from services.enrolment.settings import EnrolmentSettings

SESSION = {
    "offer_id": "o1",
    "session_id": "s1",
    "starts_at": "2026-03-03T10:00:00+00:00",
    "ends_at": "2026-03-03T12:00:00+00:00",
    "sequence": 2,
}
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_a_withdrawal_tells_the_person_why_unless_they_were_erased():
    assert kind_of_withdrawal("withdrew") is Kind.WITHDRAWN
    assert kind_of_withdrawal("waitlist_released") is Kind.WITHDRAWN
    assert kind_of_withdrawal("offer_cancelled") is Kind.OFFER_CANCELLED
    assert kind_of_withdrawal("participant_erased") is None


def test_a_waitlisted_person_is_told_their_position():
    letter = render(Kind.WAITLISTED, {"waitlist_position": 3}, name="Jo Example", offer_title="London set")
    assert letter.subject == "You are on the waiting list for London set"
    assert "position 3" in letter.text and letter.text.startswith("Dear Jo Example,")
    assert letter.fields == {"name": "Jo Example", "offer_title": "London set", "waitlist_position": "3"}


def test_a_session_s_time_is_given_in_london_time():
    summer = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert when(summer) == "Wednesday 1 July 2026, 10:00"
    letter = render(Kind.SESSION_RESCHEDULED, SESSION, name="Jo", offer_title="Set")
    assert letter.fields["session_time"] == "Tuesday 3 March 2026, 10:00"
    assert "moved to Tuesday 3 March 2026, 10:00" in letter.subject


def test_the_people_an_ending_lets_go_are_offered_the_alternatives():
    letter = render(Kind.OFFER_CANCELLED, {}, name="Jo", offer_title="Set", alternatives=["Other set"])
    assert "- Other set" in letter.text and letter.fields["alternatives"] == "- Other set"


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_renders_a_subject_and_a_greeting(kind):
    letter = render(kind, SESSION | {"waitlist_position": 1}, name="Jo", offer_title="Set")
    assert letter.kind is kind and "Set" in letter.subject and letter.text.startswith("Dear Jo,")


def test_an_invitation_carries_the_feed_s_uid_and_sequence_and_asks_calendars_to_update():
    calendar = Calendar.from_ical(invitation(SESSION, summary="Set", cancelled=False, now=NOW))
    assert calendar["method"] == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["uid"]) == "s1@convene"  # scheduling's feed: <session id>@convene
    assert event["sequence"] == 2
    assert event.decoded("dtstart") == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    assert str(event["status"]) == "CONFIRMED"


def test_a_cancellation_is_a_cancel_of_the_same_uid():
    calendar = Calendar.from_ical(invitation(SESSION | {"sequence": 3}, summary="Set", cancelled=True, now=NOW))
    (event,) = calendar.walk("VEVENT")
    assert (calendar["method"], str(event["uid"]), event["sequence"], str(event["status"])) == (
        "CANCEL",
        "s1@convene",
        3,
        "CANCELLED",
    )


def test_retries_wait_exponentially_longer_with_jitter_up_to_an_hour():
    assert next_attempt(1, NOW, base_seconds=30, max_seconds=3600, draw=0.999999) - NOW == pytest.approx(
        timedelta(seconds=30), abs=timedelta(milliseconds=1)
    )
    assert next_attempt(1, NOW, base_seconds=30, max_seconds=3600, draw=0.0) - NOW == timedelta(seconds=3)
    assert next_attempt(4, NOW, base_seconds=30, max_seconds=3600, draw=0.5) - NOW == timedelta(seconds=240 * 0.55)
    longest = next_attempt(40, NOW, base_seconds=30, max_seconds=3600, draw=0.999999) - NOW
    assert timedelta(minutes=59) < longest <= timedelta(hours=1)


def test_a_notification_is_parked_after_the_allowed_failures():
    assert not parks(7, 8)
    assert parks(8, 8)


def test_an_smtp_message_carries_the_notification_id_as_message_id_and_the_invitation():
    settings = EnrolmentSettings(mail_from="Convene <no-reply@convene.invalid>")
    letter = render(Kind.SESSION_CANCELLED, SESSION, name="Jo", offer_title="Set")
    letter = letter.__class__(**{**letter.__dict__, "calendar": b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"})
    message = SmtpChannel(settings).message("n-1", "jo@example.invalid", letter)
    assert message["Message-ID"] == message_id("n-1") == "<n-1@convene.invalid>"
    (attachment,) = message.iter_attachments()
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "CANCEL"
    assert attachment.get_filename() == "session.ics"


def test_notify_personalisation_holds_the_fields_and_the_invitation_as_a_file():
    letter = render(Kind.SESSION_SCHEDULED, SESSION, name="Jo", offer_title="Set")
    letter = letter.__class__(**{**letter.__dict__, "calendar": b"BEGIN:VCALENDAR"})
    values = personalisation(letter)
    assert values["name"] == "Jo" and values["offer_title"] == "Set" and values["subject"] == letter.subject
    assert base64.b64decode(values["calendar_file"]["file"]) == b"BEGIN:VCALENDAR"
    assert values["calendar_file"]["filename"] == "session.ics"


def test_the_notify_channel_refuses_to_start_without_a_template_for_every_kind():
    from services.enrolment.notifier.channels import NotifyChannel

    with pytest.raises(ValueError, match="template"):
        NotifyChannel(EnrolmentSettings(notification_channel="notify", notify_api_key="k", notify_template_ids="a=b"))


def test_a_failure_is_described_by_its_class_and_smtp_code_never_the_server_s_words():
    import smtplib

    error = smtplib.SMTPRecipientsRefused({"jo@example.invalid": (550, b"no such user jo@example.invalid")})
    assert "example" not in failure(error)
    assert failure(smtplib.SMTPDataError(451, b"try later jo@example.invalid")) == "SMTPDataError 451"


def test_an_smtp_conversation_is_cut_off_at_its_deadline_however_slowly_the_server_trickles():
    """smtplib's timeout bounds each wait; a server sending a byte at a time never trips it. The
    channel's deadline bounds the whole: here the greeting would end only after 20 s, and the
    server would then answer EHLO, so only the deadline makes the conversation fail."""
    import smtplib
    import socket
    import threading
    import time

    from services.enrolment.notifier.channels import DeadlineSMTP

    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def trickle():
        connection, _ = listener.accept()
        with connection:
            try:
                connection.sendall(b"220")
                ends = time.monotonic() + 20
                while time.monotonic() < ends and not done.is_set():
                    connection.sendall(b" ")  # never a whole line, each byte well inside the timeout
                    time.sleep(0.2)
                connection.sendall(b"slow.invalid ready\r\n")
                connection.recv(1024)  # EHLO
                connection.sendall(b"250 slow.invalid\r\n")
                done.wait(30)
            except OSError:
                pass  # the client hung up: what the deadline is for

    server = threading.Thread(target=trickle, daemon=True)
    server.start()
    try:
        with pytest.raises(smtplib.SMTPServerDisconnected):
            smtp = DeadlineSMTP("127.0.0.1", listener.getsockname()[1], seconds=1.0)
            smtp.ehlo()
    finally:
        done.set()
        server.join(timeout=25)
        listener.close()
