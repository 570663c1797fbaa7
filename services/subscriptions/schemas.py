"""Request and response schemas of the subscriptions API (allow-lists: unknown fields are
refused), after the CloudEvents Subscriptions API's subscription resource."""

from marshmallow import Schema, ValidationError, fields, post_load, validate

from services.subscriptions.domain.filters import expressions_of, regions_of
from services.subscriptions.domain.sinks import MAX_SINK_LENGTH
from shared.api import PageQuery
from shared.contracts.common import REGION_OR_NATIONAL
from shared.schemas import UtcDateTime

PROTOCOLS = ("HTTP",)


class SubscriptionRequestSchema(Schema):
    sink = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_SINK_LENGTH),
        metadata={"description": "https:// address the events are POSTed to"},
    )
    protocol = fields.String(required=True, validate=validate.OneOf(PROTOCOLS))
    types = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)),
        load_default=list,
        validate=validate.Length(max=100),
        metadata={"description": "event types to receive (empty: every type)"},
    )
    filters = fields.List(
        fields.Dict(),
        load_default=list,
        metadata={
            "description": 'region filter: [{"exact": {"region": "Y56"}}] or '
            '[{"any": [{"exact": {"region": "Y56"}}, {"exact": {"region": "Y58"}}]}]; empty: every region, and '
            "events without one"
        },
    )

    @post_load
    def read_filters(self, data, **_):
        try:
            regions = regions_of(data["filters"])
        except ValueError as error:
            raise ValidationError({"filters": [str(error)]}) from None
        unknown = [region for region in regions if region not in REGION_OR_NATIONAL]
        if unknown:
            raise ValidationError({"filters": [f"no such region: {unknown[0]}"]})
        return {**data, "filters": {"regions": regions}}


class SubscriptionSchema(Schema):
    id = fields.String(required=True)
    owner = fields.String(required=True)
    sink = fields.String(required=True)
    protocol = fields.String(required=True)
    types = fields.List(fields.String(), required=True)
    filters = fields.Function(lambda subscription: expressions_of(subscription["regions"]), required=True)
    status = fields.String(required=True, metadata={"description": "active or paused"})
    paused_reason = fields.String(
        allow_none=True,
        metadata={"description": "paused_by_owner, deliveries_failing or sink_refused; null when active"},
    )
    validated_at = UtcDateTime(allow_none=True, metadata={"description": "when the sink passed the handshake"})
    previous_secret_until = UtcDateTime(
        allow_none=True, metadata={"description": "until when deliveries are signed with the previous secret too"}
    )
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class SubscriptionWithSecretSchema(SubscriptionSchema):
    secret = fields.String(
        required=True, metadata={"description": "the Standard Webhooks signing secret (whsec_...), shown only now"}
    )


class DeliverySchema(Schema):
    id = fields.Integer(required=True)
    event_id = fields.String(required=True)
    event_type = fields.String(required=True)
    event_time = UtcDateTime(required=True)
    status = fields.String(
        required=True,
        metadata={
            "description": "pending, delivered, or erased (about a person erased before it went out: never sent)"
        },
    )
    attempts = fields.Integer(required=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True, metadata={"description": "timeout, status, handshake_refused ..."})
    last_latency_ms = fields.Integer(allow_none=True)
    next_attempt_at = UtcDateTime(required=True)
    created_at = UtcDateTime(required=True)
    delivered_at = UtcDateTime(allow_none=True)


class RedeliverySchema(Schema):
    event_id = fields.String(validate=validate.Length(min=1, max=100))
    since = fields.AwareDateTime(metadata={"description": "events from this time (with since and until)"})
    until = fields.AwareDateTime(metadata={"description": "events before this time"})


class RedeliveryReceiptSchema(Schema):
    redelivering = fields.Integer(required=True)


class DeliveryListQuery(PageQuery):
    pass
