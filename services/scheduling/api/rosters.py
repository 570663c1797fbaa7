"""Rosters: an offer and its current members, as enrolment's events told scheduling."""

from services.scheduling.api.roles import ROSTER_READERS
from services.scheduling.schemas import RosterSchema
from services.scheduling.usecases import rosters
from shared.api import Api, Reply, if_none_match

rosters_api = Api("rosters", __name__)


@rosters_api.get(
    "/v1/offers/<offer_id>/roster",
    summary="An offer and its current members (from enrolment's events); If-None-Match answers 304 when unchanged",
    roles=ROSTER_READERS,
    response=RosterSchema,
    conditional=True,
)
def get_roster(unit, offer_id):
    tag, roster = rosters.roster(unit, offer_id, if_none_match())
    return Reply(roster, headers={"ETag": tag})
