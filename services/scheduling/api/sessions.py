"""Sessions: schedule one or a series, read, reschedule or cancel them (If-Match), and co-design their topics."""

from services.scheduling.api.roles import ADMIN, LEADERS, READERS
from services.scheduling.schemas import (
    CancelSchema,
    CoDesignResultSchema,
    CoDesignSchema,
    LedSessionSchema,
    LedSessionsQuery,
    RescheduleSchema,
    ScheduledSchema,
    SessionCreateSchema,
    SessionListQuery,
    SessionSchema,
)
from services.scheduling.usecases import codesign, sessions
from shared.api import Api, Reply, etag, if_match

sessions_api = Api("sessions", __name__)


@sessions_api.post(
    "/v1/offers/<offer_id>/sessions",
    summary="Schedule a group session, or a series",
    roles=ADMIN,
    body=SessionCreateSchema,
    response=ScheduledSchema,
    status=201,
    idempotent=True,
)
def schedule_sessions(unit, offer_id, body):
    return sessions.schedule(unit, offer_id, body)


@sessions_api.get(
    "/v1/offers/<offer_id>/sessions",
    summary="An offer's sessions the caller takes part in, in start order",
    roles=READERS,
    query=SessionListQuery,
    response=SessionSchema,
    paged=True,
)
def list_sessions(unit, offer_id, query):
    return sessions.list_sessions(unit, offer_id, query)


@sessions_api.get(
    "/v1/sessions",
    summary="Sessions the caller leads (an administrator: their region's), of every offer, in start order",
    roles=LEADERS,
    query=LedSessionsQuery,
    response=LedSessionSchema,
    paged=True,
)
def list_led_sessions(unit, query):
    return sessions.led_sessions(unit, query)


@sessions_api.post(
    "/v1/offers/<offer_id>/sessions/co-design",
    summary="Set upcoming sessions' topics from the cohort's development needs",
    roles=ADMIN,
    body=CoDesignSchema,
    response=CoDesignResultSchema,
)
def co_design_topics(unit, offer_id, body):
    return codesign.co_design(unit, offer_id, body)


@sessions_api.get(
    "/v1/sessions/<session_id>", summary="One session (ETag: its sequence)", roles=READERS, response=SessionSchema
)
def get_session(unit, session_id):
    return _tagged(sessions.get_session(unit, session_id))


@sessions_api.patch(
    "/v1/sessions/<session_id>",
    summary="Reschedule a session, or it and the rest of its series (If-Match)",
    roles=ADMIN,
    body=RescheduleSchema,
    response=SessionSchema,
)
def reschedule_session(unit, session_id, body):
    return _tagged(sessions.reschedule(unit, session_id, body, if_match()))


@sessions_api.post(
    "/v1/sessions/<session_id>/cancel",
    summary="Cancel a session, or it and the rest of its series",
    roles=ADMIN,
    body=CancelSchema,
    response=SessionSchema,
)
def cancel_session(unit, session_id, body):
    return _tagged(sessions.cancel(unit, session_id, body))


def _tagged(session: dict) -> Reply:
    """A session with its sequence as its ETag, which a reschedule names in If-Match."""
    return Reply(session, headers={"ETag": etag(session["sequence"])})
