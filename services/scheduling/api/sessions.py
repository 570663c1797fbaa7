"""Sessions: schedule one or a series, read, reschedule or cancel them (If-Match), and co-design their topics."""
from shared.api import Api
from services.scheduling.api.roles import ADMIN, READERS
from services.scheduling.schemas import CancelSchema, CoDesignResultSchema, CoDesignSchema, RescheduleSchema, ScheduledSchema, SessionCreateSchema, SessionListQuery, SessionSchema
from services.scheduling.usecases import codesign, sessions

sessions_api = Api("sessions", __name__)


@sessions_api.post("/v1/offers/<offer_id>/sessions", summary="Schedule a group session, or a series", roles=ADMIN, body=SessionCreateSchema, response=ScheduledSchema, status=201, idempotent=True)
def schedule_sessions(call, offer_id, body):
    return sessions.schedule(call, offer_id, body)


@sessions_api.get("/v1/offers/<offer_id>/sessions", summary="An offer's sessions the caller takes part in, in start order", roles=READERS, query=SessionListQuery, response=SessionSchema, paged=True)
def list_sessions(call, offer_id):
    return sessions.list_sessions(call, offer_id)


@sessions_api.post("/v1/offers/<offer_id>/sessions/co-design", summary="Set upcoming sessions' topics from the cohort's development needs", roles=ADMIN, body=CoDesignSchema, response=CoDesignResultSchema)
def co_design_topics(call, offer_id, body):
    return codesign.co_design(call, offer_id, body)


@sessions_api.get("/v1/sessions/<session_id>", summary="One session (ETag: its sequence)", roles=READERS, response=SessionSchema)
def get_session(call, session_id):
    return sessions.get_session(call, session_id)


@sessions_api.patch("/v1/sessions/<session_id>", summary="Reschedule a session, or it and the rest of its series (If-Match)", roles=ADMIN, body=RescheduleSchema, response=SessionSchema)
def reschedule_session(call, session_id, body):
    return sessions.reschedule(call, session_id, body)


@sessions_api.post("/v1/sessions/<session_id>/cancel", summary="Cancel a session, or it and the rest of its series", roles=ADMIN, body=CancelSchema, response=SessionSchema)
def cancel_session(call, session_id, body):
    return sessions.cancel(call, session_id, body)
