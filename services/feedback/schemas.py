"""Request and response schemas of the feedback API (allow-lists: unknown fields are refused)."""

from marshmallow import Schema, fields, validate

from services.feedback.domain.answers import MAX_TEXT_LENGTH
from services.feedback.domain.conditions import GROUP_OFFER_TYPES
from services.feedback.domain.outcomes import OUTCOME_MEASURES, OUTCOME_PHASES
from shared.contracts.common import OFFER_TYPES, REGION_OR_NATIONAL, pcn_field
from shared.contracts.vocabulary import Need, Recommend, Region
from shared.schemas import StrictBoolean

PERIOD = validate.Regexp(r"^(all|\d{4}-(0[1-9]|1[0-2]))$", error="all, or a month as YYYY-MM")
QUARTER = validate.Regexp(r"^\d{4}-Q[1-4]$", error="a quarter as YYYY-Qn, e.g. 2026-Q3")


def _score(maximum: int, **kwargs):
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=maximum), **kwargs)


def _text(**kwargs):
    return fields.String(allow_none=True, load_default=None, validate=validate.Length(max=MAX_TEXT_LENGTH), **kwargs)


# --- requests ---------------------------------------------------------------------------


class FeedbackSchema(Schema):
    overall = _score(5, required=True, metadata={"description": "Overall rating, 1-5"})
    usefulness = _score(5, required=True, metadata={"description": "How useful it was, 1-5"})
    will_apply = _score(5, required=True, metadata={"description": '"I will apply this in my work", 1-5'})
    recommend = fields.String(
        required=True,
        validate=validate.OneOf(Recommend.values()),
        metadata={"description": "How likely to recommend it to a colleague (Friends and Family Test scale)"},
    )
    comment = _text(metadata={"description": "Optional free text; seen only by the session's regional admin"})
    anonymous = StrictBoolean(
        load_default=False, metadata={"description": "When true nothing stored links the answer to you"}
    )


NeedRatingsSchema = Schema.from_dict(
    {need: _score(5, required=True) for need in Need.values()}, name="NeedRatingsSchema"
)
OutcomeScoresSchema = Schema.from_dict(
    {m: _score(7, required=True) for m in OUTCOME_MEASURES}, name="OutcomeScoresSchema"
)


class NeedsSurveySchema(Schema):
    ratings = fields.Nested(NeedRatingsSchema, required=True, metadata={"description": "Every common need rated 1-5"})
    other_needs = _text(metadata={"description": "Other needs, free text; stays in the region"})
    pcn_code = pcn_field(
        metadata={
            "description": (
                "Your own PCN's ODS code (U + 5 digits), the one you are registered with, optional: without it "
                "the answer counts for your region only"
            )
        }
    )
    offer_id = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=64),
        metadata={
            "description": (
                "The offer the survey is for, optional. One voice per member of the offer (a later answer "
                "replaces the earlier in co-design); without one, once per quarter"
            )
        },
    )


class OutcomeSchema(Schema):
    offer_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    phase = fields.String(required=True, validate=validate.OneOf(OUTCOME_PHASES))
    scores = fields.Nested(
        OutcomeScoresSchema,
        required=True,
        metadata={"description": "Every outcome measure 1-7 (isolation: lower is better)"},
    )


class AggregateQuerySchema(Schema):
    scope = fields.String(
        required=True, validate=validate.OneOf(("session", "offer", "offer_type", "region", "national"))
    )
    id = fields.String(
        validate=validate.Length(min=1, max=64), metadata={"description": "session or offer id (scope session|offer)"}
    )
    region = fields.String(validate=validate.OneOf(REGION_OR_NATIONAL))
    offer_type = fields.String(validate=validate.OneOf(OFFER_TYPES))
    period = fields.String(load_default="all", validate=PERIOD)


class PeriodQuerySchema(Schema):
    period = fields.String(load_default="all", validate=PERIOD)


class InsightQuerySchema(Schema):
    region = fields.String(validate=validate.OneOf(REGION_OR_NATIONAL))
    offer_type = fields.String(validate=validate.OneOf(OFFER_TYPES))
    start = fields.String(
        data_key="from", validate=QUARTER, metadata={"description": "First quarter shown (YYYY-Qn, calendar quarters)"}
    )
    end = fields.String(data_key="to", validate=QUARTER, metadata={"description": "Last quarter shown (YYYY-Qn)"})


# --- responses --------------------------------------------------------------------------


class KnownSessionSchema(Schema):
    session_id = fields.String()
    offer_id = fields.String()
    region = fields.String()


class FeedbackReceiptSchema(Schema):
    """No id and no answers: the receipt must not link you to what you answered."""

    session_id = fields.String()
    anonymous = fields.Boolean()


class NeedsReceiptSchema(Schema):
    """No id and no answers: the receipt must not link you to what you answered."""

    region = fields.String()
    pcn_code = fields.String(allow_none=True)
    offer_id = fields.String(allow_none=True)
    replaced = fields.Boolean(
        metadata={
            "description": (
                "True when this answer replaced your earlier one for the offer in its cohort's co-design (one "
                "member, one voice)"
            )
        }
    )


class OutcomeReceiptSchema(Schema):
    offer_id = fields.String()
    phase = fields.String()
    paired = fields.Boolean(metadata={"description": "True when both before and after are now given"})


class MeasureSchema(Schema):
    count = fields.Integer()
    mean = fields.Float(allow_none=True)
    variance = fields.Float(allow_none=True)
    distribution = fields.Dict(keys=fields.String(), values=fields.Integer())
    positive_share = fields.Float(
        allow_none=True, metadata={"description": "Friends and Family Test: very good or good"}
    )
    negative_share = fields.Float(allow_none=True)


class AggregateSchema(Schema):
    scope = fields.String()
    region = fields.String(allow_none=True)
    offer_type = fields.String(allow_none=True)
    id = fields.String(allow_none=True)
    period = fields.String()
    suppressed = fields.Boolean(
        metadata={"description": "Withheld: fewer than 5 respondents, or it would reveal a withheld figure"}
    )
    reason = fields.String(allow_none=True)
    respondents = fields.Integer(allow_none=True)
    attendees = fields.Integer(allow_none=True)
    response_rate = fields.Float(allow_none=True)
    measures = fields.Dict(keys=fields.String(), values=fields.Nested(MeasureSchema))


class NationalSummarySchema(Schema):
    period = fields.String()
    national = fields.Nested(AggregateSchema)
    regions = fields.List(fields.Nested(AggregateSchema))
    offer_types = fields.List(fields.Nested(AggregateSchema))


class NeedRankSchema(Schema):
    rank = fields.Integer()
    need = fields.String()
    mean = fields.Float(allow_none=True)
    count = fields.Integer()


class NeedsFigureSchema(Schema):
    region = fields.String(allow_none=True)
    pcn_code = fields.String(allow_none=True)
    suppressed = fields.Boolean()
    reason = fields.String(allow_none=True)
    respondents = fields.Integer(allow_none=True)
    ranking = fields.List(fields.Nested(NeedRankSchema))


class ChiSquareSchema(Schema):
    statistic = fields.Float()
    dof = fields.Integer()
    p_value = fields.Float()
    n = fields.Integer()
    rows = fields.List(fields.String(), metadata={"description": "Regions tested (shown regions with answers)"})
    columns = fields.List(fields.String())
    cramers_v = fields.Float()
    cells_expected_below_5 = fields.Integer(
        metadata={"description": "Many small expected counts make the p-value a rough guide"}
    )
    high_from = fields.Integer(metadata={"description": "Ratings counted as high"})


class NeedsRankingSchema(Schema):
    scope = fields.String()
    regions = fields.List(fields.Nested(NeedsFigureSchema))
    national = fields.Nested(NeedsFigureSchema, allow_none=True)
    pcns = fields.List(fields.Nested(NeedsFigureSchema))
    chi_square = fields.Nested(
        ChiSquareSchema, allow_none=True, metadata={"description": "Do needs differ between regions? (national view)"}
    )


class OutcomeMeasureSchema(Schema):
    measure = fields.String()
    pairs = fields.Integer()
    mean_before = fields.Float(allow_none=True)
    mean_after = fields.Float(allow_none=True)
    change = fields.Float(allow_none=True)
    improvement = fields.Float(
        allow_none=True, metadata={"description": "Change with the sign that makes better positive (isolation falls)"}
    )
    lower_is_better = fields.Boolean()


class OutcomeCellSchema(Schema):
    region = fields.String(allow_none=True, metadata={"description": "null: all regions"})
    offer_type = fields.String(allow_none=True, metadata={"description": "null: all offer types"})
    suppressed = fields.Boolean()
    reason = fields.String(allow_none=True)
    pairs = fields.Integer(allow_none=True)
    measures = fields.List(fields.Nested(OutcomeMeasureSchema))


class OutcomeChangesSchema(Schema):
    cells = fields.List(fields.Nested(OutcomeCellSchema))


class GoalOutcomeCellSchema(Schema):
    region = fields.String(allow_none=True, metadata={"description": "null: all regions"})
    goal_types = fields.List(
        fields.String(),
        metadata={
            "description": (
                "The cell's combination of coaching goal types: each coachee counts once, in the cell of exactly "
                "their goal types; [] with goals_set false: coachees whose goals were not known"
            )
        },
    )
    goals_set = fields.Boolean()
    suppressed = fields.Boolean()
    reason = fields.String(allow_none=True)
    pairs = fields.Integer(allow_none=True)
    measures = fields.List(fields.Nested(OutcomeMeasureSchema))


class GoalOutcomeChangesSchema(Schema):
    cells = fields.List(fields.Nested(GoalOutcomeCellSchema))


class CommentSchema(Schema):
    comment = fields.String()
    anonymous = fields.Boolean()
    participant_id = fields.String(allow_none=True, metadata={"description": "null when the answer is anonymous"})


class OtherNeedSchema(Schema):
    pcn_code = fields.String(allow_none=True)
    text = fields.String()


class InsightMeasureSchema(Schema):
    count = fields.Integer(metadata={"description": "Answers, to the nearest five"})
    mean = fields.Float(allow_none=True, metadata={"description": "Mean rating (1-5), as /v1/aggregates gives it"})
    positive_share = fields.Float(
        allow_none=True, metadata={"description": "Friends and Family Test: very good or good, from rounded counts"}
    )
    low = fields.Float(
        allow_none=True,
        metadata={
            "description": (
                "Lower end of the 95 % interval of the mean (t distribution) or of the positive share (Wilson), "
                "computed from the published, rounded distribution only; null when too few answers"
            )
        },
    )
    high = fields.Float(allow_none=True, metadata={"description": "Upper end of the 95 % interval"})


class InsightQuarterSchema(Schema):
    quarter = fields.String()
    suppressed = fields.Boolean(
        metadata={"description": "Withheld: fewer than 5 respondents, or it would reveal a withheld figure"}
    )
    reason = fields.String(allow_none=True)
    respondents = fields.Integer(allow_none=True)
    measures = fields.Dict(keys=fields.String(), values=fields.Nested(InsightMeasureSchema))


class InsightRowSchema(Schema):
    region = fields.String(allow_none=True)
    offer_type = fields.String(allow_none=True)
    quarters = fields.List(fields.Nested(InsightQuarterSchema))


class InsightFindingSchema(Schema):
    region = fields.String(allow_none=True)
    offer_type = fields.String(allow_none=True)
    measure = fields.String()
    value = fields.Float(metadata={"description": "The cell's mean (or share) over the period"})
    rest_of_nation = fields.Float(metadata={"description": "The rest of the nation's, over the same quarters"})
    difference = fields.Float()
    standardised = fields.Float(metadata={"description": "Difference over the two groups' average standard deviation"})
    adjusted_p = fields.Float(
        metadata={"description": "Welch's t-test, Holm-adjusted over every comparison of the view"}
    )
    sentence = fields.String()


class OutcomeChangeIntervalSchema(Schema):
    change = fields.Float(allow_none=True, metadata={"description": "Mean within-person change (after - before)"})
    low = fields.Float(
        allow_none=True,
        metadata={
            "description": (
                "Lower end of the 95 % interval (t distribution) computed from the published, rounded distribution "
                "of changes only; null when too few"
            )
        },
    )
    high = fields.Float(allow_none=True, metadata={"description": "Upper end of the 95 % interval"})


class OutcomeQuarterSchema(Schema):
    quarter = fields.String(metadata={"description": "The calendar quarter of the after answer"})
    suppressed = fields.Boolean(
        metadata={"description": "Withheld: fewer than 5 pairs, or it would reveal a withheld figure"}
    )
    reason = fields.String(allow_none=True)
    respondents = fields.Integer(allow_none=True, metadata={"description": "Pairs, to the nearest five"})
    measures = fields.Dict(keys=fields.String(), values=fields.Nested(OutcomeChangeIntervalSchema))


class OutcomeRegionQuartersSchema(Schema):
    region = fields.String()
    quarters = fields.List(fields.Nested(OutcomeQuarterSchema))


class LearnedOutcomesSchema(Schema):
    national = fields.List(fields.Nested(OutcomeQuarterSchema))
    regions = fields.List(fields.Nested(OutcomeRegionQuartersSchema))


class LearnedSchema(Schema):
    region = fields.String(allow_none=True)
    offer_type = fields.String(allow_none=True)
    start = fields.String(data_key="from", allow_none=True)
    end = fields.String(data_key="to", allow_none=True)
    quarters = fields.List(fields.String())
    national = fields.Nested(InsightRowSchema)
    regions = fields.List(fields.Nested(InsightRowSchema))
    went_well = fields.List(
        fields.Nested(InsightFindingSchema),
        metadata={"description": "Clearly better than the rest of the nation after Holm's correction, furthest first"},
    )
    remains = fields.List(
        fields.Nested(InsightFindingSchema), metadata={"description": "Clearly worse, furthest first"}
    )
    compared = fields.Integer(metadata={"description": "How many comparisons the correction accounted for"})
    outcomes = fields.Nested(
        LearnedOutcomesSchema,
        metadata={"description": "Each outcome measure's change by quarter of the after answer, with 95 % intervals"},
    )


class DifferenceTestSchema(ChiSquareSchema):
    rows = fields.List(fields.String(), metadata={"description": "Regions or PCNs tested (shown ones with answers)"})
    significant = fields.Boolean(metadata={"description": "p below 0.05"})
    effect_size = fields.String(
        metadata={"description": "Cramér's V read by Cohen's thresholds for the table's degrees of freedom"},
        validate=validate.OneOf(("negligible", "small", "medium", "large")),
    )
    sentence = fields.String()


class NeedsGroupPcnSchema(Schema):
    pcn_code = fields.String()
    region = fields.String()


class NeedsGroupSchema(Schema):
    group = fields.Integer()
    pcns = fields.List(fields.Nested(NeedsGroupPcnSchema), metadata={"description": "Shown PCNs only"})
    profile = fields.Dict(
        keys=fields.String(), values=fields.Float(), metadata={"description": "Mean share rating each need 4 or 5"}
    )
    distinctive_needs = fields.List(fields.String(), metadata={"description": "Rated high more than across all PCNs"})
    offer_types = fields.List(fields.String(), metadata={"description": "Offer types that meet the distinctive needs"})


class DifferencesQuerySchema(Schema):
    region = fields.String(
        validate=validate.OneOf(REGION_OR_NATIONAL), metadata={"description": "Only this region's PCNs"}
    )


class DifferencesSchema(Schema):
    scope = fields.String()
    region = fields.String(allow_none=True, metadata={"description": "The region whose PCNs are read, if one"})
    regions = fields.Nested(
        DifferenceTestSchema, allow_none=True, metadata={"description": "Do needs differ between regions?"}
    )
    pcns = fields.Nested(DifferenceTestSchema, allow_none=True, metadata={"description": "Between PCNs?"})
    groups = fields.List(fields.Nested(NeedsGroupSchema))
    joint_needs = fields.List(
        fields.String(), metadata={"description": "Rated 4 or 5 by at least half of every shown PCN"}
    )
    joint_offer_types = fields.List(fields.String())


# --- insight: report --------------------------------------------------------------------


class ReportQuerySchema(Schema):
    # Its form is checked by the endpoint, not here, so a malformed quarter is a 400 naming it; the
    # pattern is for the OpenAPI document.
    quarter = fields.String(
        required=True,
        metadata={"description": "The report's calendar quarter, YYYY-Qn, e.g. 2026-Q3", "pattern": r"^\d{4}-Q[1-4]$"},
    )
    region = fields.String(
        validate=validate.OneOf(Region.values()),
        metadata={"description": "One region's report (a regional administrator: their own only); else England"},
    )


# --- insight: conditions ------------------------------------------------------------------


class ConditionsQuerySchema(Schema):
    region = fields.String(validate=validate.OneOf(REGION_OR_NATIONAL), metadata={"description": "Only this region"})
    offer_type = fields.String(
        validate=validate.OneOf(GROUP_OFFER_TYPES), metadata={"description": "Only groups of this type"}
    )


class GroupRiskSchema(Schema):
    code = fields.String(validate=validate.OneOf(("falling_attendance", "members_leaving", "below_workable_size")))
    reason = fields.String(metadata={"description": "For the region's administrator, in plain English"})


class GroupConditionsSchema(Schema):
    group_id = fields.String(metadata={"description": "The group's offer"})
    region = fields.String()
    offer_type = fields.String()
    suppressed = fields.Boolean(metadata={"description": "Fewer than 5 members now: no figure, no flag"})
    reason = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True, metadata={"description": "Members now, rounded to a multiple of 5"})
    joined = fields.Integer(allow_none=True, metadata={"description": "Joined after it formed, rounded to 5"})
    left = fields.Integer(allow_none=True, metadata={"description": "Left after it formed, rounded to 5"})
    continuity = fields.Float(
        allow_none=True, metadata={"description": "Median of members' shares of the sessions they were expected at"}
    )
    attendance_share = fields.Float(
        allow_none=True, metadata={"description": "All present / all expected; the region's administrator only"}
    )
    recent_share = fields.Float(
        allow_none=True, metadata={"description": "Attendance at the last 3 sessions; the region's administrator only"}
    )
    earlier_share = fields.Float(
        allow_none=True, metadata={"description": "Attendance at the sessions before; the region's administrator only"}
    )
    at_risk = fields.Boolean(allow_none=True)
    risks = fields.List(fields.Nested(GroupRiskSchema))


class AssociationSchema(Schema):
    measure = fields.String(validate=validate.OneOf(("trust_in_group", "sense_of_direction")))
    groups = fields.Integer(metadata={"description": "Shown groups with 5 or more 'after' answers that took part"})
    rho = fields.Float(allow_none=True, metadata={"description": "Spearman's rank correlation with continuity"})
    p_value = fields.Float(allow_none=True, metadata={"description": "Two-sided; 0.0 reads 'below 0.01'"})
    low = fields.Float(allow_none=True)
    high = fields.Float(allow_none=True)
    confidence = fields.Float()
    reason = fields.String(
        allow_none=True, validate=validate.OneOf(("too_few_groups", "no_spread")), metadata={"description": "No rho"}
    )


class ConditionsSummarySchema(Schema):
    groups = fields.Integer(metadata={"description": "Groups listed (a count of groups, not people)"})
    shown = fields.Integer()
    withheld = fields.Integer()
    at_risk = fields.Integer()


class ConditionsSchema(Schema):
    scope = fields.String(validate=validate.OneOf(("national", "region")))
    region = fields.String(allow_none=True)
    groups = fields.List(fields.Nested(GroupConditionsSchema))
    at_risk = fields.List(fields.Nested(GroupConditionsSchema), metadata={"description": "Most reasons first"})
    associations = fields.List(fields.Nested(AssociationSchema))
    summary = fields.Nested(ConditionsSummarySchema)


# --- insight: emerging needs


class EmergingNeedsQuerySchema(Schema):
    region = fields.String(validate=validate.OneOf(REGION_OR_NATIONAL))
    start = fields.String(
        data_key="from", validate=QUARTER, metadata={"description": "First quarter shown (YYYY-Qn, calendar quarters)"}
    )
    end = fields.String(data_key="to", validate=QUARTER, metadata={"description": "Last quarter shown (YYYY-Qn)"})


class QuarterNeedSchema(Schema):
    need = fields.String()
    rank = fields.Integer()
    mean = fields.Float(allow_none=True, metadata={"description": "Mean rating (1-5), to two places"})
    high_share = fields.Float(
        allow_none=True, metadata={"description": "Share rating the need 4 or 5, from the rounded counts"}
    )


class QuarterRankingSchema(Schema):
    quarter = fields.String()
    suppressed = fields.Boolean(
        metadata={"description": "Withheld: fewer than 5 respondents, or it would reveal a withheld figure"}
    )
    reason = fields.String(allow_none=True)
    respondents = fields.Integer(allow_none=True, metadata={"description": "To the nearest five"})
    needs = fields.List(fields.Nested(QuarterNeedSchema))


class NeedTrendSchema(Schema):
    need = fields.String()
    direction = fields.String(validate=validate.OneOf(("rising", "falling", "steady")))
    high_shares = fields.List(
        fields.Float(allow_none=True), metadata={"description": "Per quarter of `quarters`; null where withheld"}
    )
    z = fields.Float(allow_none=True, metadata={"description": "Cochran-Armitage statistic, positive when rising"})
    p_value = fields.Float(allow_none=True)
    adjusted_p = fields.Float(allow_none=True, metadata={"description": "Holm-adjusted over the needs of the scope"})


class RegionEmergingSchema(Schema):
    region = fields.String()
    emerging = fields.List(fields.String())
    suppressed = fields.Boolean()
    reason = fields.String(allow_none=True)


class EmergingNeedsSchema(Schema):
    scope = fields.String(validate=validate.OneOf(("national", "region")))
    region = fields.String(allow_none=True)
    quarters = fields.List(fields.String(), metadata={"description": "Quarters with answers, within from/to"})
    ranking = fields.List(fields.Nested(QuarterRankingSchema))
    trends = fields.List(fields.Nested(NeedTrendSchema), metadata={"description": "Fastest rising first"})
    emerging = fields.List(
        fields.String(), metadata={"description": "Needs clearly rising (adjusted p below 0.05), fastest first"}
    )
    regions = fields.List(
        fields.Nested(RegionEmergingSchema), metadata={"description": "National scope: each region's emerging needs"}
    )
