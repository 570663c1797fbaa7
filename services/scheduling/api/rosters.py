"""Rosters: an offer and its current members, as enrolment's events told scheduling."""

from services.scheduling.api.roles import ROSTER_READERS
from services.scheduling.schemas import RosterSchema
from services.scheduling.usecases import rosters
from shared.api import Api

rosters_api = Api("rosters", __name__)


@rosters_api.get(
    "/v1/offers/<offer_id>/roster",
    summary="An offer and its current members (from enrolment's events)",
    roles=ROSTER_READERS,
    response=RosterSchema,
)
def get_roster(unit, offer_id):
    return rosters.roster(unit, offer_id)
