"""Request and response schemas of the scheduling API (allow-lists: unknown fields are refused).

Times people type are Europe/London wall-clock times ("2026-03-03T10:00"), with London's UTC
offset only to say which of the hour repeated in October is meant ("2026-10-25T01:30+00:00");
times answered are UTC instants, with the local start beside them for reading.
"""

from datetime import datetime

from marshmallow import Schema, ValidationError, fields, validate

from services.scheduling.domain.goals import MAX_NOTE, MAX_WORDS
from services.scheduling.domain.recurrence import MAX_COUNT, MAX_DURATION_MINUTES, MIN_DURATION_MINUTES, utc_to_local
from services.scheduling.domain.sessions import HELD_WITHIN
from shared.api import PageQuery
from shared.contracts.vocabulary import CoachingGoal
from shared.schemas import StrictBoolean, UtcDateTime

LOCAL_TIME = {"description": "Europe/London wall-clock time without a UTC offset, e.g. 2026-03-03T10:00; before 2100"}
LOCAL_INPUT = {
    "description": (
        "Europe/London wall-clock time, e.g. 2026-03-03T10:00; before 2100. A time in the hour the clocks skip in "
        "March is refused (nonexistent_local_time); one in the hour they repeat in October is refused "
        "(ambiguous_local_time) unless it carries London's UTC offset saying which: +01:00 the first, +00:00 the second"
    )
}
# A bound on starts, so that a series (at most 52 sessions, 52 weeks apart) stays within the calendar.
LATEST_START = datetime(2100, 1, 1)
LOCAL_TIME_PATTERN = (
    r"^(1\d{3}|20\d{2})-((0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"
    r"T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?(Z|\+0[01]:00)?$"
)
WEEKDAYS = (
    "MO",
    "TU",
    "WE",
    "TH",
    "FR",
    "SA",
    "SU",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
SCOPES = ("this", "following")
ATTENDANCE = ("present", "apologies", "absent")


def _id(**kwargs):
    return fields.String(validate=validate.Length(min=1, max=64), **kwargs)


class LocalDateTime(fields.DateTime):
    """A wall-clock time, naive, or aware when it carries a UTC offset; the domain reads it in
    Europe/London and refuses an offset London does not have then (`recurrence.local_to_utc`)."""

    def _deserialize(self, value, attr, data, **kwargs):
        wall_clock = super()._deserialize(value, attr, data, **kwargs)
        if wall_clock.replace(tzinfo=None) >= LATEST_START:
            raise ValidationError("must be before 2100")
        return wall_clock


def _local_start(**kwargs):
    # Documented by its shape: OpenAPI's `date-time` would promise RFC 3339, which has an offset.
    # The pattern names only real dates before 2100 (it cannot count leap years, so it leaves out
    # 29 February, which is still accepted), so a client can tell a well-formed time from the document.
    shape = {"format": "local-date-time", "pattern": LOCAL_TIME_PATTERN}
    return LocalDateTime(required=True, metadata=LOCAL_INPUT | shape, **kwargs)


def _duration(**kwargs):
    return fields.Integer(
        validate=validate.Range(min=MIN_DURATION_MINUTES, max=MAX_DURATION_MINUTES),
        metadata={"description": "minutes"},
        **kwargs,
    )


class RepeatSchema(Schema):
    count = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_COUNT))
    cadence = fields.String(required=True, validate=validate.OneOf(("weekly", "monthly_nth_weekday")))
    interval = fields.Integer(
        validate=validate.Range(min=1, max=52), metadata={"description": "weekly: every N weeks (default 1)"}
    )
    weekday = fields.String(
        validate=validate.OneOf(WEEKDAYS), metadata={"description": "monthly: the weekday, e.g. TU"}
    )
    ordinal = fields.Integer(
        validate=validate.OneOf((1, 2, 3, 4, -1)), metadata={"description": "monthly: 1st..4th, or -1 for the last"}
    )


class SessionCreateSchema(Schema):
    starts_at = _local_start()
    duration_minutes = _duration(required=True)
    repeat = fields.Nested(RepeatSchema, metadata={"description": "absent: one session; present: a series"})
    facilitator_id = _id()
    venue = fields.String(validate=validate.Length(min=1, max=300))
    video_link = fields.Url(schemes={"https"}, validate=validate.Length(max=500))
    topic = fields.String(validate=validate.Length(min=1, max=200))
    already_held = StrictBoolean(
        load_default=False,
        metadata={
            "description": (
                "true: record a session (or series) that already happened, so its attendance can be recorded; every "
                f"session of it must have ended, the first within {HELD_WITHIN.days} days "
                "(default false: sessions still to come)"
            )
        },
    )


class RescheduleSchema(Schema):
    starts_at = _local_start()
    duration_minutes = _duration()
    scope = fields.String(
        load_default="this",
        validate=validate.OneOf(SCOPES),
        metadata={"description": "this session, or it and the rest of its series"},
    )


class CancelSchema(Schema):
    scope = fields.String(load_default="this", validate=validate.OneOf(SCOPES))


class SessionListQuery(PageQuery):
    kind = fields.String(validate=validate.OneOf(("group", "coaching")))


class LedSessionsQuery(PageQuery):
    starts_from = fields.AwareDateTime(
        data_key="from", metadata={"description": "sessions starting at or after this instant (with its UTC offset)"}
    )
    starts_before = fields.AwareDateTime(
        data_key="to", metadata={"description": "sessions starting before this instant (with its UTC offset)"}
    )
    attendance = fields.String(
        validate=validate.OneOf(("unrecorded",)),
        metadata={
            "description": "unrecorded: only sessions that have begun, not cancelled, with no attendance recorded"
        },
    )


class SessionSchema(Schema):
    id = fields.String()
    offer_id = fields.String()
    region = fields.String()
    kind = fields.String()
    series_id = fields.String(allow_none=True)
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    local_start = fields.Function(
        lambda s: utc_to_local(s["starts_at"]).isoformat(timespec="minutes"), metadata=LOCAL_TIME
    )
    sequence = fields.Integer(metadata={"description": "rises on every change; the ETag"})
    status = fields.String()
    facilitator_id = fields.String(allow_none=True)
    coachee_id = fields.String(allow_none=True)
    venue = fields.String(allow_none=True)
    video_link = fields.String(allow_none=True)
    topic = fields.String(allow_none=True)


class ScheduledSchema(SessionSchema):
    sessions = fields.List(
        fields.Nested(SessionSchema), metadata={"description": "every session scheduled: one, or the whole series"}
    )


class LedSessionSchema(SessionSchema):
    """A session of any offer, in the list of those the caller leads (or, an administrator, their region's)."""


class CoachingBookingSchema(SessionSchema):
    """A 1:1 coaching session: `facilitator_id` is the coach, `coachee_id` the participant."""


class FacilitatorCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("facilitator", "coach")))
    skills = fields.List(
        fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,49}$")),
        load_default=list,
        validate=validate.Length(max=20),
    )
    monthly_capacity = fields.Integer(
        required=True, validate=validate.Range(min=1, max=200), metadata={"description": "sessions led per month"}
    )


class FacilitatorListQuery(PageQuery):
    kind = fields.String(validate=validate.OneOf(("facilitator", "coach")))
    skill = fields.String(validate=validate.Length(min=1, max=50))


class FacilitatorSchema(Schema):
    id = fields.String()
    region = fields.String()
    kind = fields.String()
    skills = fields.List(fields.String())
    monthly_capacity = fields.Integer()


class MemberSchema(Schema):
    participant_id = fields.String()
    status = fields.String()
    joined_at = fields.AwareDateTime()


class JsonReadyList(fields.List):
    """A list the use case has already made JSON-ready (strings and numbers only): documented
    as its items' schema, answered as it is. The roster read is hot, and dumping each member
    through a nested schema was most of its cost."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class RosterSchema(Schema):
    offer_id = fields.String()
    region = fields.String()
    offer_type = fields.String()
    title = fields.String()
    status = fields.String()
    capacity = fields.Integer()
    member_count = fields.Integer()
    members = JsonReadyList(fields.Nested(MemberSchema))


class CoachingBookingCreateSchema(Schema):
    participant_id = _id(required=True)
    coach_id = _id(required=True)
    starts_at = _local_start()
    duration_minutes = _duration(required=True)
    venue = fields.String(validate=validate.Length(min=1, max=300))
    video_link = fields.Url(schemes={"https"}, validate=validate.Length(max=500))


class MarkSchema(Schema):
    participant_id = _id(required=True)
    value = fields.String(required=True, data_key="attendance", validate=validate.OneOf(ATTENDANCE))


class AttendanceInSchema(Schema):
    records = fields.List(fields.Nested(MarkSchema), required=True, validate=validate.Length(min=1, max=200))


class RecordedMarkSchema(MarkSchema):
    recorded_at = fields.AwareDateTime()


class AttendanceSheetSchema(Schema):
    session_id = fields.String()
    records = fields.List(fields.Nested(RecordedMarkSchema))


class SessionContinuitySchema(Schema):
    session_id = fields.String()
    starts_at = fields.AwareDateTime()
    expected = fields.Integer()
    present = fields.Integer()
    apologies = fields.Integer()
    absent = fields.Integer()
    unrecorded = fields.Integer()
    present_share = fields.Float()


class MemberContinuitySchema(Schema):
    member_id = fields.String(data_key="participant_id")
    expected = fields.Integer()
    present = fields.Integer()
    apologies = fields.Integer()
    absent = fields.Integer()
    attendance_rate = fields.Float()


class StabilitySchema(Schema):
    from_session_id = fields.String()
    to_session_id = fields.String()
    jaccard = fields.Float(metadata={"description": "share of the same people present at both sessions"})


class ContinuitySchema(Schema):
    sessions = fields.List(fields.Nested(SessionContinuitySchema))
    members = fields.List(fields.Nested(MemberContinuitySchema))
    stability = fields.List(fields.Nested(StabilitySchema))
    mean_stability = fields.Float()
    attendance_rate = fields.Float()
    members_ever = fields.Integer()
    members_current = fields.Integer()
    retention = fields.Float()


class CoDesignSchema(Schema):
    replace_existing = StrictBoolean(load_default=False, metadata={"description": "also replace topics already set"})


class NeedScoreSchema(Schema):
    need = fields.String()
    score = fields.Float(metadata={"description": "mean rating 1..5"})
    responses = fields.Integer()


class CoDesignResultSchema(Schema):
    ranking = fields.List(fields.Nested(NeedScoreSchema))
    sessions = fields.List(fields.Nested(SessionSchema), metadata={"description": "the sessions whose topic was set"})


class CoachingGoalsInSchema(Schema):
    goal_types = fields.List(
        fields.String(validate=validate.OneOf(CoachingGoal.values())),
        required=True,
        validate=validate.Length(min=1, max=len(CoachingGoal)),
        metadata={"description": "what the coaching is for, each type once"},
    )
    words = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_WORDS),
        metadata={
            "description": (
                "the coachee's goals in their own words: read by them and their coach only, never sent in an event"
            )
        },
    )


class ProgressNoteInSchema(Schema):
    note = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_NOTE),
        metadata={"description": "private to the coach and the coachee"},
    )


class ProgressNoteSchema(Schema):
    session_id = fields.String()
    offer_id = fields.String()
    coachee_id = fields.String()
    noted_by = fields.String(metadata={"description": "coach or coachee"})
    note = fields.String()
    noted_at = fields.AwareDateTime()


class CoachingGoalsSchema(Schema):
    offer_id = fields.String()
    participant_id = fields.String()
    goal_types = fields.List(fields.String(), metadata={"description": "empty until the coachee sets their goals"})
    set_at = fields.AwareDateTime(allow_none=True)
    words = fields.String(
        allow_none=True,
        metadata={"description": "to the coachee and their coach only: absent for the region's administrator"},
    )
    progress = fields.List(
        fields.Nested(ProgressNoteSchema),
        metadata={"description": "to the coachee and their coach only: each session's notes"},
    )


class CalendarFeedSchema(Schema):
    url = fields.String(
        required=True,
        metadata={
            "description": "the secret subscription address (shown this once; anyone with it reads the calendar)"
        },
    )
    created_at = UtcDateTime(required=True)
