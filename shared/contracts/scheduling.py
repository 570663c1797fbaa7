"""Events the scheduling service publishes: sessions, attendance, coaching bookings."""

from marshmallow import fields, validate

from shared.contracts.common import EventData, id_field, instant_field, region_field
from shared.contracts.registry import declare, topic
from shared.contracts.vocabulary import CoachingGoal

SCHEDULING_TOPIC = topic(
    name="convene.scheduling.events",
    owner="scheduling",
    key="offer_id",
    description="Sessions, attendance and coaching bookings, keyed by offer so each group's calendar stays in order.",
)


class SessionData(EventData):
    session_id = id_field()
    offer_id = id_field()
    region = region_field()
    kind = fields.String(required=True, validate=validate.OneOf(("group", "coaching")))
    series_id = fields.String(allow_none=True, load_default=None)
    starts_at = instant_field(required=True)
    ends_at = instant_field(required=True)
    sequence = fields.Integer(required=True, validate=validate.Range(min=0))
    status = fields.String(required=True, validate=validate.OneOf(("scheduled", "cancelled")))
    facilitator_id = fields.String(allow_none=True, load_default=None)
    topic = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))
    recorded_at = instant_field(
        allow_none=True,
        load_default=None,
        metadata={
            "description": (
                "when the session was put in the calendar: after its end for a session recorded as already held, "
                "whose feedback opens then (absent from events published before it was added)"
            )
        },
    )


class AttendanceData(EventData):
    session_id = id_field()
    offer_id = id_field()
    region = region_field()
    participant_id = id_field()
    attendance = fields.String(required=True, validate=validate.OneOf(("present", "apologies", "absent")))
    session_starts_at = instant_field(required=True)
    session_ends_at = instant_field(required=True)
    recorded_at = instant_field(required=True)


class CoachingBookingData(EventData):
    session_id = id_field()
    offer_id = id_field()
    region = region_field()
    coach_id = id_field()
    participant_id = id_field()
    starts_at = instant_field(required=True)
    ends_at = instant_field(required=True)


class CoachingGoalsData(EventData):
    """A coachee's goal TYPES only: their own words never leave scheduling."""

    offer_id = id_field()
    participant_id = id_field()
    region = region_field()
    goal_types = fields.List(
        fields.String(validate=validate.OneOf(CoachingGoal.values())),
        required=True,
        validate=validate.Length(min=1, max=len(CoachingGoal)),
    )
    set_at = instant_field(required=True)


def _session(action, description):
    return declare(
        f"org.convene.scheduling.session.{action}.v1",
        SCHEDULING_TOPIC,
        SessionData,
        key_field="offer_id",
        description=description,
        subject_field="session_id",
    )


SESSION_SCHEDULED = _session("scheduled", "A session of a group (or a coaching session) was put in the calendar.")
SESSION_RESCHEDULED = _session("rescheduled", "A session moved; `sequence` rises with every change.")
SESSION_CANCELLED = _session("cancelled", "A session was cancelled.")
SESSION_UPDATED = _session(
    "updated", "A session's details changed without moving it (e.g. its topic, chosen by co-design); `sequence` rises."
)
ATTENDANCE_RECORDED = declare(
    "org.convene.scheduling.attendance.recorded.v1",
    SCHEDULING_TOPIC,
    AttendanceData,
    key_field="offer_id",
    description="A member's attendance at a session was recorded or corrected (the latest record wins).",
    subject_field="session_id",
)
COACHING_BOOKED = declare(
    "org.convene.scheduling.coaching.booked.v1",
    SCHEDULING_TOPIC,
    CoachingBookingData,
    key_field="offer_id",
    description="A 1:1 coaching session was booked within a coaching offer's allowance.",
    subject_field="session_id",
)
COACHING_GOALS_SET = declare(
    "org.convene.scheduling.coaching.goals_set.v1",
    SCHEDULING_TOPIC,
    CoachingGoalsData,
    key_field="offer_id",
    description=(
        "A coachee set or changed the types of their coaching goals (types only, never their words); the latest "
        "event per offer and participant holds the current types."
    ),
    subject_field="participant_id",
)
