"""Figures for regional and national teams: aggregates, the national summary, needs rankings,
outcome changes, and (inside a region) free-text comments and other needs."""

from services.feedback import schemas as s
from services.feedback.api.roles import READERS, REGIONAL
from services.feedback.usecases import answers, reports, surveys
from shared.api import Api, PageQuery

figures_api = Api("figures", __name__, tag="figures")


@figures_api.get(
    "/v1/sessions/<session_id>",
    summary="A session feedback can be given for",
    roles=READERS,
    response=s.KnownSessionSchema,
)
def known_session(unit, session_id):
    return answers.known_session(unit, session_id)


@figures_api.get(
    "/v1/aggregates",
    summary="Feedback figures of a session, offer, offer type, region or the nation",
    roles=READERS,
    query=s.AggregateQuerySchema,
    response=s.AggregateSchema,
)
def aggregate(unit, query):
    return reports.aggregate(unit, query)


@figures_api.get(
    "/v1/national/summary",
    summary="National, regional and offer-type figures, suppressed as published",
    roles=READERS,
    query=s.PeriodQuerySchema,
    response=s.NationalSummarySchema,
)
def national_summary(unit, query):
    return reports.national_summary(unit, query["period"])


@figures_api.get(
    "/v1/needs/ranking",
    summary="Development needs ranked per region (and PCN inside a region)",
    roles=READERS,
    response=s.NeedsRankingSchema,
)
def needs_ranking(unit):
    return surveys.needs_ranking(unit)


@figures_api.get(
    "/v1/outcomes/changes",
    summary="Change of outcome measures per offer type and region",
    roles=READERS,
    response=s.OutcomeChangesSchema,
)
def outcome_changes(unit):
    return surveys.outcome_changes(unit)


@figures_api.get(
    "/v1/outcomes/changes/by-goal-type",
    summary="Change of coaching's outcome measures by the coachees' goal types",
    roles=READERS,
    response=s.GoalOutcomeChangesSchema,
)
def outcome_changes_by_goal_type(unit):
    return surveys.outcome_changes_by_goal_type(unit)


@figures_api.get(
    "/v1/sessions/<session_id>/comments",
    summary="Free-text comments on a session of your region",
    roles=REGIONAL,
    query=PageQuery,
    response=s.CommentSchema,
    paged=True,
)
def session_comments(unit, session_id, query):
    return reports.session_comments(unit, session_id, query)


@figures_api.get(
    "/v1/needs/other-needs",
    summary="Other needs named in your region's surveys (free text)",
    roles=REGIONAL,
    query=PageQuery,
    response=s.OtherNeedSchema,
    paged=True,
)
def other_needs(unit, query):
    return reports.other_needs(unit, query)
