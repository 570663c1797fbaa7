"""Scheduling's HTTP endpoints: each view hands the parsed request to a use case."""
from shared.api import Api, PageQuery
from shared.auth import Role
from services.scheduling import usecases, usecases_people, usecases_records
from services.scheduling.schemas import (
    AttendanceInSchema,
    AttendanceSheetSchema,
    CancelSchema,
    CoachingBookingCreateSchema,
    CoachingBookingSchema,
    CoDesignResultSchema,
    CoDesignSchema,
    ContinuitySchema,
    FacilitatorCreateSchema,
    FacilitatorListQuery,
    FacilitatorSchema,
    RescheduleSchema,
    RosterSchema,
    ScheduledSchema,
    SessionCreateSchema,
    SessionListQuery,
    SessionSchema,
)

ADMIN = (Role.REGIONAL_ADMIN,)
LEADERS = (Role.REGIONAL_ADMIN, Role.FACILITATOR, Role.COACH)
ROSTER_READERS = (*LEADERS, Role.SERVICE)
READERS = (*LEADERS, Role.PARTICIPANT, Role.NATIONAL, Role.SERVICE)
CALENDAR = "text/calendar"

rosters_api = Api("rosters", __name__)
sessions_api = Api("sessions", __name__)
attendance_api = Api("attendance", __name__)
facilitators_api = Api("facilitators", __name__)
coaching_api = Api("coaching", __name__)
calendars_api = Api("calendars", __name__)


@rosters_api.get("/v1/offers/<offer_id>/roster", summary="An offer and its current members (from enrolment's events)", roles=ROSTER_READERS, response=RosterSchema)
def get_roster(call, offer_id):
    return usecases_people.roster(call, offer_id)


@sessions_api.post("/v1/offers/<offer_id>/sessions", summary="Schedule a group session, or a series", roles=ADMIN, body=SessionCreateSchema, response=ScheduledSchema, status=201, idempotent=True)
def schedule_sessions(call, offer_id, body):
    return usecases.schedule(call, offer_id, body)


@sessions_api.get("/v1/offers/<offer_id>/sessions", summary="An offer's sessions in start order", roles=READERS, query=SessionListQuery, response=SessionSchema, paged=True)
def list_sessions(call, offer_id):
    return usecases.list_sessions(call, offer_id)


@sessions_api.post("/v1/offers/<offer_id>/sessions/co-design", summary="Set upcoming sessions' topics from the cohort's development needs", roles=ADMIN, body=CoDesignSchema, response=CoDesignResultSchema)
def co_design_topics(call, offer_id, body):
    return usecases_records.co_design(call, offer_id, body)


@sessions_api.get("/v1/sessions/<session_id>", summary="One session (ETag: its sequence)", roles=READERS, response=SessionSchema)
def get_session(call, session_id):
    return usecases.get_session(call, session_id)


@sessions_api.patch("/v1/sessions/<session_id>", summary="Reschedule a session, or it and the rest of its series (If-Match)", roles=ADMIN, body=RescheduleSchema, response=SessionSchema)
def reschedule_session(call, session_id, body):
    return usecases.reschedule(call, session_id, body)


@sessions_api.post("/v1/sessions/<session_id>/cancel", summary="Cancel a session, or it and the rest of its series", roles=ADMIN, body=CancelSchema, response=SessionSchema)
def cancel_session(call, session_id, body):
    return usecases.cancel(call, session_id, body)


@attendance_api.put("/v1/sessions/<session_id>/attendance", summary="Record members' attendance (the latest mark wins)", roles=LEADERS, body=AttendanceInSchema, response=AttendanceSheetSchema)
def record_attendance(call, session_id, body):
    return usecases_records.record_attendance(call, session_id, body)


@attendance_api.get("/v1/sessions/<session_id>/attendance", summary="A session's attendance", roles=LEADERS, response=AttendanceSheetSchema)
def get_attendance(call, session_id):
    return usecases_records.attendance_sheet(call, session_id)


@attendance_api.get("/v1/offers/<offer_id>/continuity", summary="Continuity of a learning community: attendance and stability", roles=LEADERS, response=ContinuitySchema)
def get_continuity(call, offer_id):
    return usecases_records.continuity(call, offer_id)


@facilitators_api.post("/v1/facilitators", summary="Register a facilitator or coach in the caller's region", roles=ADMIN, body=FacilitatorCreateSchema, response=FacilitatorSchema, status=201, idempotent=True)
def add_facilitator(call, body):
    return usecases_people.add_facilitator(call, body)


@facilitators_api.get("/v1/facilitators", summary="Facilitators and coaches of the caller's region", roles=(*ADMIN, Role.NATIONAL, Role.SERVICE), query=FacilitatorListQuery, response=FacilitatorSchema, paged=True)
def list_facilitators(call):
    return usecases_people.list_facilitators(call)


@facilitators_api.get("/v1/facilitators/<facilitator_id>", summary="One facilitator or coach", roles=(*LEADERS, Role.NATIONAL, Role.SERVICE), response=FacilitatorSchema)
def get_facilitator(call, facilitator_id):
    return usecases_people.get_facilitator(call, facilitator_id)


@coaching_api.post("/v1/offers/<offer_id>/coaching-bookings", summary="Book a 1:1 coaching session within the offer's allowance", roles=(*ADMIN, Role.PARTICIPANT), body=CoachingBookingCreateSchema, response=CoachingBookingSchema, status=201, idempotent=True)
def book_coaching(call, offer_id, body):
    return usecases_people.book_coaching(call, offer_id, body)


@coaching_api.get("/v1/offers/<offer_id>/coaching-bookings", summary="A coaching offer's bookings", roles=(*LEADERS, Role.PARTICIPANT), query=PageQuery, response=CoachingBookingSchema, paged=True)
def list_coaching(call, offer_id):
    return usecases_people.list_coaching(call, offer_id)


@calendars_api.get("/v1/participants/<participant_id>/calendar.ics", summary="A participant's sessions as an iCalendar feed", roles=(*ADMIN, Role.PARTICIPANT), media_type=CALENDAR)
def participant_calendar(call, participant_id):
    return usecases_records.participant_calendar(call, participant_id)


@calendars_api.get("/v1/offers/<offer_id>/calendar.ics", summary="An offer's sessions as an iCalendar feed", roles=READERS, media_type=CALENDAR)
def offer_calendar(call, offer_id):
    return usecases_records.offer_calendar(call, offer_id)


APIS = [rosters_api, sessions_api, attendance_api, facilitators_api, coaching_api, calendars_api]
