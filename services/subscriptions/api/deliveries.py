"""A subscription's delivery log, and redelivery of one event or a time range."""

from services.subscriptions import schemas as s
from services.subscriptions.api.roles import OWNER, READERS
from services.subscriptions.usecases import deliveries
from shared.api import Api

deliveries_api = Api("deliveries", __name__)


@deliveries_api.get(
    "/v1/subscriptions/<subscription_id>/deliveries",
    summary="The subscription's deliveries, newest first: status, attempts, last answer's status and latency",
    roles=READERS,
    query=s.DeliveryListQuery,
    response=s.DeliverySchema,
    paged=True,
)
def list_deliveries(unit, subscription_id, query):
    return deliveries.log(unit, subscription_id, query)


@deliveries_api.post(
    "/v1/subscriptions/<subscription_id>/redeliveries",
    summary="Send again one event (event_id) or the events of a time range (since, until)",
    roles=OWNER,
    body=s.RedeliverySchema,
    response=s.RedeliveryReceiptSchema,
    status=202,
)
def redeliver(unit, subscription_id, body):
    return deliveries.redeliver(unit, subscription_id, body)
