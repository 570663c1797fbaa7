"""Events the subscriptions service publishes about outside systems' webhook subscriptions.
Never the sink address or a secret: only ids, the owning system's token subject and the reason."""

from marshmallow import fields, validate

from shared.contracts.common import EventData, id_field, instant_field
from shared.contracts.registry import declare, topic

SUBSCRIPTIONS_TOPIC = topic(
    name="convene.subscriptions.events",
    owner="subscriptions",
    key="subscription_id",
    description="Changes of webhook subscriptions that their owners and operators act on, keyed by subscription.",
)

PAUSE_REASONS = ("deliveries_failing", "sink_refused")


class SubscriptionPausedData(EventData):
    subscription_id = id_field()
    owner_id = id_field(metadata={"description": "the token subject of the system that owns the subscription"})
    reason = fields.String(
        required=True,
        validate=validate.OneOf(PAUSE_REASONS),
        metadata={
            "description": "`deliveries_failing`: a delivery kept failing for the whole retry window; "
            "`sink_refused`: the sink's address is no longer one Convene may send to"
        },
    )
    paused_at = instant_field(required=True)


SUBSCRIPTION_PAUSED = declare(
    "org.convene.subscriptions.subscription.paused.v1",
    SUBSCRIPTIONS_TOPIC,
    SubscriptionPausedData,
    key_field="subscription_id",
    description="Convene stopped delivering to a subscription; its owner resumes it once the receiver is fixed.",
)
