"""Scheduling's HTTP endpoints."""
from shared.api import Api
from shared.auth import Role
from services.scheduling import usecases
from services.scheduling.schemas import SessionCreateSchema, SessionSchema

ADMIN = (Role.REGIONAL_ADMIN,)
READERS = (Role.REGIONAL_ADMIN, Role.NATIONAL, Role.SERVICE)

sessions_api = Api("sessions", __name__)


@sessions_api.post("/v1/offers/<offer_id>/sessions", summary="Schedule a session of a group", roles=ADMIN, body=SessionCreateSchema, response=SessionSchema, status=201, idempotent=True)
def schedule_session(call, offer_id, body):
    return usecases.schedule_session(call, offer_id, body)


@sessions_api.get("/v1/sessions/<session_id>", summary="One session", roles=READERS, response=SessionSchema)
def get_session(call, session_id):
    return usecases.get_session(call, session_id)


APIS = [sessions_api]
