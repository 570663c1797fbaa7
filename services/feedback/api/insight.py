"""The commissioners' insight: the programme's questions answered from the published figures."""

from services.feedback import schemas as s
from services.feedback.api.roles import READERS
from services.feedback.usecases import insight, insight_needs
from shared.api import Api

insight_api = Api("insight", __name__, tag="insight")


@insight_api.get(
    "/v1/insight/learned",
    summary="What have we learned so far: feedback by quarter with 95 % intervals, what went well and what remains",
    roles=READERS,
    query=s.InsightQuerySchema,
    response=s.LearnedSchema,
)
def learned(unit, query):
    return insight.learned(unit, query)


@insight_api.get(
    "/v1/insight/differences",
    summary="Do needs differ between regions and PCNs (Cramér's V), PCNs grouped by needs, offers that meet them",
    roles=READERS,
    query=s.DifferencesQuerySchema,
    response=s.DifferencesSchema,
)
def differences(unit, query):
    return insight.differences(unit, query)


@insight_api.get(
    "/v1/insight/needs",
    summary="Which needs are emerging: the ranking per quarter and each need's trend (Cochran-Armitage, Holm)",
    roles=READERS,
    query=s.EmergingNeedsQuerySchema,
    response=s.EmergingNeedsSchema,
)
def emerging_needs(unit, query):
    return insight_needs.emerging_needs(unit, query)
