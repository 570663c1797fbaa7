"""A participant's e-mail preferences: reminders and feedback requests may be turned off (by the
person, or their region's administrator); confirmations and changes to a place may not. A change
names the version it read (If-Match: the ETag of the GET)."""

from services.enrolment.api.roles import PEOPLE
from services.enrolment.schemas import NotificationPreferencesInSchema, NotificationPreferencesSchema
from services.enrolment.usecases import notifications
from shared.api import Api, Reply, etag, if_match

notifications_api = Api("notifications", __name__)


def _tagged(preferences: dict) -> Reply:
    """The preferences with their version as their ETag, which a change names in If-Match."""
    return Reply(preferences, headers={"ETag": etag(preferences["version"])})


@notifications_api.get(
    "/v1/participants/<participant_id>/notification-preferences",
    summary="Which optional e-mails (reminders, feedback requests) a participant gets",
    roles=PEOPLE,
    response=NotificationPreferencesSchema,
)
def get_notification_preferences(unit, participant_id):
    return _tagged(notifications.preferences(unit, participant_id))


@notifications_api.put(
    "/v1/participants/<participant_id>/notification-preferences",
    summary="Turn reminders and feedback requests on or off (not confirmations, which always go; send If-Match)",
    roles=PEOPLE,
    body=NotificationPreferencesInSchema,
    response=NotificationPreferencesSchema,
    versioned=True,
)
def set_notification_preferences(unit, participant_id, body):
    return _tagged(notifications.set_preferences(unit, participant_id, body, if_match()))
