"""Webhook subscriptions: create, list, read, pause, resume, rotate the secret, delete."""

from services.subscriptions import schemas as s
from services.subscriptions.api.roles import OWNER, READERS
from services.subscriptions.usecases import subscriptions
from shared.api import Api, PageQuery, Reply

subscriptions_api = Api("subscriptions", __name__)


# Idempotency-Keyed; the key table keeps only the created id (the answer holds the secret), and a
# repeat answers the subscription as it is then, to its owner (usecases.subscriptions.replay_creation).
@subscriptions_api.post(
    "/v1/subscriptions",
    summary="Subscribe a system's HTTPS sink to Convene's events (answers the signing secret once)",
    roles=OWNER,
    body=s.SubscriptionRequestSchema,
    response=s.SubscriptionWithSecretSchema,
    status=201,
    idempotent=True,
    replay=subscriptions.replay_creation,
)
def create_subscription(unit, body):
    return subscriptions.create(unit, body)


@subscriptions_api.get(
    "/v1/subscriptions",
    summary="The caller's subscriptions (the national team: every system's)",
    roles=READERS,
    query=PageQuery,
    response=s.SubscriptionSchema,
    paged=True,
)
def list_subscriptions(unit, query):
    return subscriptions.listing(unit, query)


@subscriptions_api.get(
    "/v1/subscriptions/<subscription_id>",
    summary="One subscription, with why it is paused if it is",
    roles=READERS,
    response=s.SubscriptionSchema,
)
def get_subscription(unit, subscription_id):
    return subscriptions.read(unit, subscription_id)


@subscriptions_api.post(
    "/v1/subscriptions/<subscription_id>/pause",
    summary="Stop deliveries; events go on being kept for the subscription",
    roles=OWNER,
    response=s.SubscriptionSchema,
)
def pause_subscription(unit, subscription_id):
    return subscriptions.pause(unit, subscription_id)


@subscriptions_api.post(
    "/v1/subscriptions/<subscription_id>/resume",
    summary="Start deliveries again, the kept events first",
    roles=OWNER,
    response=s.SubscriptionSchema,
)
def resume_subscription(unit, subscription_id):
    return subscriptions.resume(unit, subscription_id)


@subscriptions_api.post(
    "/v1/subscriptions/<subscription_id>/secret",
    summary="Rotate the signing secret (answered once); the old one signs too until the overlap ends",
    roles=OWNER,
    response=s.SubscriptionWithSecretSchema,
)
def rotate_secret(unit, subscription_id):
    return subscriptions.rotate_secret(unit, subscription_id)


@subscriptions_api.delete(
    "/v1/subscriptions/<subscription_id>",
    summary="Delete a subscription and its delivery log",
    roles=OWNER,
    status=204,
)
def delete_subscription(unit, subscription_id):
    subscriptions.delete(unit, subscription_id)
    return Reply(None, 204)
