"""Events the feedback service publishes: scores (never free text), needs, national summaries."""

from marshmallow import fields, validate

from shared.contracts.common import OFFER_TYPES, EventData, id_field, instant_field, pcn_field, region_field
from shared.contracts.registry import declare, topic
from shared.contracts.vocabulary import Need, Recommend

FEEDBACK_TOPIC = topic(
    name="convene.feedback.events",
    owner="feedback",
    key="session_id (region for needs)",
    description="Feedback scores and development needs: no free text, no link from an answer to a person.",
)

NATIONAL_SUMMARY_TOPIC = topic(
    name="convene.feedback.national-summary",
    owner="feedback",
    key="scope_key",
    description=(
        "National and regional summaries with small-number suppression, one key per scope and period; compacted "
        "so the latest figure wins."
    ),
    compacted=True,
)

NEEDS = Need.values()
RECOMMEND = Recommend.values()


def _score(maximum):
    return fields.Integer(required=True, validate=validate.Range(min=1, max=maximum))


class FeedbackData(EventData):
    feedback_id = id_field()
    session_id = id_field()
    offer_id = id_field()
    region = region_field()
    offer_type = fields.String(required=True, validate=validate.OneOf(OFFER_TYPES))
    overall = _score(5)
    usefulness = _score(5)
    will_apply = _score(5)
    recommend = fields.String(required=True, validate=validate.OneOf(RECOMMEND))
    submitted_on = fields.Date(required=True)


class NeedsData(EventData):
    response_id = id_field()
    region = region_field()
    pcn_code = pcn_field()
    offer_id = fields.String(allow_none=True, load_default=None)
    ratings = fields.Dict(
        keys=fields.String(validate=validate.OneOf(NEEDS)),
        values=fields.Integer(validate=validate.Range(min=1, max=5)),
        required=True,
    )


class FigureData(EventData):
    count = fields.Integer(required=True)
    mean = fields.Float(allow_none=True, load_default=None)
    suppressed = fields.Boolean(required=True)
    distribution = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        allow_none=True,
        load_default=None,
        metadata={"description": "answers per scale value (added in v1, optional)"},
    )


class SummaryData(EventData):
    scope_key = fields.String(required=True)
    scope = fields.String(required=True, validate=validate.OneOf(("national", "region", "offer_type")))
    region = fields.String(allow_none=True, load_default=None)
    offer_type = fields.String(allow_none=True, load_default=None)
    period = fields.String(required=True, metadata={"description": "`all` or a month, YYYY-MM"})
    respondents = fields.Integer(allow_none=True, load_default=None, metadata={"description": "null when suppressed"})
    suppressed = fields.Boolean(required=True)
    reason = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.OneOf(("below_threshold", "complementary", "built_from_suppressed", "small_numbers")),
        metadata={
            "description": (
                "why the figures are withheld (added in v1, optional); published as `small_numbers` for every "
                "withheld figure, so it never says which one is the small group"
            )
        },
    )
    measures = fields.Dict(keys=fields.String(), values=fields.Nested(FigureData), required=True)
    updated_at = instant_field(required=True)


FEEDBACK_SUBMITTED = declare(
    "org.convene.feedback.feedback.submitted.v1",
    FEEDBACK_TOPIC,
    FeedbackData,
    key_field="session_id",
    description=(
        "No longer published: one answer's scores per session, beside the attendance events of that session, "
        "would single out an anonymous answer. Declared so that records already on the topic stay readable; "
        "figures are on the national-summary stream."
    ),
    subject_field="feedback_id",
)
NEEDS_REPORTED = declare(
    "org.convene.feedback.needs.reported.v1",
    FEEDBACK_TOPIC,
    NeedsData,
    key_field="region",
    description=(
        "A member of a cohort answered its development-needs survey: ratings for the cohort's co-design, no PCN "
        "(null since this release) and no free text. Answers for a region alone are not published."
    ),
    subject_field="response_id",
)
SUMMARY_UPDATED = declare(
    "org.convene.feedback.summary.updated.v1",
    NATIONAL_SUMMARY_TOPIC,
    SummaryData,
    key_field="scope_key",
    description="The latest suppressed summary for one scope and period.",
)
