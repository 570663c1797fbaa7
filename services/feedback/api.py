"""Feedback's HTTP endpoints."""
from shared.api import Api
from shared.auth import Role
from services.feedback import usecases
from services.feedback.schemas import KnownSessionSchema

READERS = (Role.REGIONAL_ADMIN, Role.NATIONAL, Role.SERVICE)

feedback_api = Api("feedback", __name__)


@feedback_api.get("/v1/sessions/<session_id>", summary="A session feedback can be given for", roles=READERS, response=KnownSessionSchema)
def known_session(call, session_id):
    return usecases.known_session(call, session_id)


APIS = [feedback_api]
