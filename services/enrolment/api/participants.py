"""Participants: registration and look-up (names and e-mails: administrators and the person only)."""

from services.enrolment.api.roles import ADMINS, PEOPLE
from services.enrolment.schemas import EnrolmentSchema, ParticipantCreateSchema, ParticipantQuery, ParticipantSchema
from services.enrolment.usecases import enrolments, erasure, participants
from shared.api import Api, PageQuery

participants_api = Api("participants", __name__)


@participants_api.post(
    "/v1/participants",
    summary="Register a participant in one of your region's PCNs",
    roles=ADMINS,
    body=ParticipantCreateSchema,
    response=ParticipantSchema,
    status=201,
    idempotent=True,
    replay=participants.replay_registration,
)
def register_participant(unit, body):
    return participants.register(unit, body)


@participants_api.get(
    "/v1/participants",
    summary="Participants of your region (a participant: only themselves)",
    roles=PEOPLE,
    query=ParticipantQuery,
    response=ParticipantSchema,
    paged=True,
    audited=True,
)
def list_participants(unit, query):
    return participants.participant_page(unit, query)


@participants_api.get(
    "/v1/participants/<participant_id>",
    summary="One participant",
    roles=PEOPLE,
    response=ParticipantSchema,
    audited=True,
)
def get_participant(unit, participant_id):
    return participants.get(unit, participant_id)


@participants_api.delete(
    "/v1/participants/<participant_id>",
    summary="Erase a participant's personal data and end their places (right to erasure); 409 if already erased",
    roles=ADMINS,
    status=204,
)
def erase_participant(unit, participant_id):
    erasure.erase(unit, participant_id)


@participants_api.get(
    "/v1/participants/<participant_id>/enrolments",
    summary="A participant's enrolments",
    roles=PEOPLE,
    query=PageQuery,
    response=EnrolmentSchema,
    paged=True,
)
def list_participant_enrolments(unit, participant_id, query):
    return enrolments.of_participant(unit, participant_id, query)
