"""Calendars: a participant's or an offer's sessions as an iCalendar feed, and a participant's
secret subscription address, which calendar apps read without a token."""

from flask import request

from services.scheduling.api.roles import ADMIN, READERS
from services.scheduling.schemas import CalendarFeedSchema
from services.scheduling.usecases import calendars
from shared.api import Api, Reply
from shared.auth import Role
from shared.unit import Unit

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


@calendars_api.post(
    "/v1/participants/<participant_id>/calendar-feed",
    summary="Make the participant's secret calendar subscription address (a new one revokes the old)",
    roles=(Role.PARTICIPANT,),
    response=CalendarFeedSchema,
    status=201,
)
def create_calendar_feed(unit: Unit, participant_id):
    base_url = unit.settings.calendar_feed_base_url or request.host_url
    return calendars.subscribe(unit, participant_id, base_url)


@calendars_api.delete(
    "/v1/participants/<participant_id>/calendar-feed",
    summary="Revoke the participant's calendar subscription address",
    roles=(Role.PARTICIPANT,),
    status=204,
)
def revoke_calendar_feed(unit: Unit, participant_id):
    calendars.unsubscribe(unit, participant_id)


@calendars_api.get(
    "/v1/calendar-feeds/<secret>.ics",
    summary="A participant's sessions by their secret subscription address (no bearer token)",
    roles=(),
    media_type=CALENDAR,
    public=True,
)
def subscribed_calendar(unit: Unit, secret):
    return Reply(calendars.subscribed_calendar(unit, secret), headers={"Cache-Control": "private"})
