"""Enrolments: one participant, a PCN's team, withdrawal, and an offer's roster."""

from services.enrolment.api.roles import ADMINS, PEOPLE, ROSTER_READERS
from services.enrolment.schemas import (
    EnrolmentRequestSchema,
    EnrolmentSchema,
    RosterEntrySchema,
    RosterQuery,
    TeamEnrolmentRequestSchema,
    TeamEnrolmentSchema,
)
from services.enrolment.usecases import enrolments
from shared.api import Api

enrolments_api = Api("enrolments", __name__)


@enrolments_api.post(
    "/v1/offers/<offer_id>/enrolments",
    summary="Enrol a participant: confirmed, or waitlisted with a position (a participant: only themselves)",
    roles=PEOPLE,
    body=EnrolmentRequestSchema,
    response=EnrolmentSchema,
    status=201,
    idempotent=True,
)
def enrol(unit, offer_id, body):
    return enrolments.enrol(unit, offer_id, body["participant_id"])


@enrolments_api.post(
    "/v1/offers/<offer_id>/team-enrolments",
    summary=(
        "Enrol a PCN's team into its pcn_team offer: confirmed whole when every member fits in the free places "
        "and nobody is waiting, otherwise refused (409 team_does_not_fit, naming the team's size and the free "
        "places); never split"
    ),
    roles=ADMINS,
    body=TeamEnrolmentRequestSchema,
    response=TeamEnrolmentSchema,
    status=201,
    idempotent=True,
)
def enrol_team(unit, offer_id, body):
    return enrolments.enrol_team(unit, offer_id, body["participant_ids"])


@enrolments_api.get(
    "/v1/offers/<offer_id>/enrolments",
    summary="An offer's roster: members, then the waitlist in order",
    roles=ROSTER_READERS,
    query=RosterQuery,
    response=RosterEntrySchema,
    paged=True,
)
def roster(unit, offer_id, query):
    return enrolments.roster(unit, offer_id, query)


@enrolments_api.post(
    "/v1/enrolments/<enrolment_id>/withdraw",
    summary="Withdraw (reason: withdrew); the first waitlisted person takes a freed place",
    roles=PEOPLE,
    response=EnrolmentSchema,
)
def withdraw(unit, enrolment_id):
    return enrolments.withdraw(unit, enrolment_id)
