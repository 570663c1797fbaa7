"""A participant's e-mail preferences: reminders and feedback requests may be turned off (by the
person, or their region's administrator); confirmations and changes to a place may not."""

from services.enrolment.api.roles import PEOPLE
from services.enrolment.schemas import NotificationPreferencesInSchema, NotificationPreferencesSchema
from services.enrolment.usecases import notifications
from shared.api import Api

notifications_api = Api("notifications", __name__)


@notifications_api.get(
    "/v1/participants/<participant_id>/notification-preferences",
    summary="Which optional e-mails (reminders, feedback requests) a participant gets",
    roles=PEOPLE,
    response=NotificationPreferencesSchema,
)
def get_notification_preferences(unit, participant_id):
    return notifications.preferences(unit, participant_id)


@notifications_api.put(
    "/v1/participants/<participant_id>/notification-preferences",
    summary="Turn reminders and feedback requests on or off (not confirmations, which always go)",
    roles=PEOPLE,
    body=NotificationPreferencesInSchema,
    response=NotificationPreferencesSchema,
)
def set_notification_preferences(unit, participant_id, body):
    return notifications.set_preferences(unit, participant_id, body)
