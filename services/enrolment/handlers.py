"""Events enrolment consumes: scheduling's sessions and attendance, kept as the projection that
completion reads (which sessions were held, who was present at each), and the e-mails they owe
members (usecases.notifications), recorded in the same transaction. A replay of this group
rebuilds the projection but records no e-mail again (usecases.notifications says why)."""

from services.enrolment.store import attendance
from services.enrolment.usecases import notifications
from shared.consumer import Subscription
from shared.contracts import scheduling
from shared.envelope import Envelope
from shared.unit import Unit


def session_changed(event: Envelope, unit: Unit) -> None:
    data = event.data
    status = "cancelled" if event.type == scheduling.SESSION_CANCELLED.type else data["status"]
    attendance.save_session(unit.conn, data["session_id"], data["offer_id"], data["ends_at"], status, data["sequence"])
    notifications.session_changed(unit, event)


def attendance_recorded(event: Envelope, unit: Unit) -> None:
    attendance.record_attendance(unit.conn, event.data)
    notifications.attended(unit, event)


SUBSCRIPTIONS = [
    Subscription(
        "attendance",
        {
            scheduling.SESSION_SCHEDULED.type: session_changed,
            scheduling.SESSION_RESCHEDULED.type: session_changed,
            scheduling.SESSION_CANCELLED.type: session_changed,
            scheduling.ATTENDANCE_RECORDED.type: attendance_recorded,
        },
    )
]
