"""Calendars: a participant's or an offer's sessions as an iCalendar feed."""

from services.scheduling.api.roles import ADMIN, READERS
from services.scheduling.usecases import calendars
from shared.api import Api
from shared.auth import Role

CALENDAR = "text/calendar"

calendars_api = Api("calendars", __name__)


@calendars_api.get(
    "/v1/participants/<participant_id>/calendar.ics",
    summary="A participant's sessions as an iCalendar feed",
    roles=(*ADMIN, Role.PARTICIPANT),
    media_type=CALENDAR,
)
def participant_calendar(unit, participant_id):
    return calendars.participant_calendar(unit, participant_id)


@calendars_api.get(
    "/v1/offers/<offer_id>/calendar.ics",
    summary="An offer's sessions the caller takes part in, as an iCalendar feed",
    roles=READERS,
    media_type=CALENDAR,
)
def offer_calendar(unit, offer_id):
    return calendars.offer_calendar(unit, offer_id)
