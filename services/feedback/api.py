"""Feedback's HTTP endpoints: answers from participants, figures for regional and national teams."""
from shared.api import Api, PageQuery
from shared.auth import Role
from services.feedback import reports, reports_surveys, usecases
from services.feedback import schemas as s

PARTICIPANT = (Role.PARTICIPANT,)
REGIONAL = (Role.REGIONAL_ADMIN,)
READERS = (Role.REGIONAL_ADMIN, Role.NATIONAL, Role.SERVICE)

answers_api = Api("answers", __name__, tag="answers")
figures_api = Api("figures", __name__, tag="figures")


# Not idempotent-keyed on purpose: the key table would keep who sent which answers. Once is
# enforced anyway: a repeat answers 409 feedback_already_given.
# Not audited: an audit row (who, which session, when) would link an anonymous answer to its author.
@answers_api.post("/v1/sessions/<session_id>/feedback", summary="Give feedback on a session you attended", roles=PARTICIPANT, body=s.FeedbackSchema, response=s.FeedbackReceiptSchema, status=201, audited=False)
def give_feedback(call, session_id, body):
    return usecases.give_feedback(call, session_id, body)


@answers_api.post("/v1/needs-surveys/responses", summary="Answer the development-needs survey", roles=PARTICIPANT, body=s.NeedsSurveySchema, response=s.NeedsReceiptSchema, status=201, idempotent=True)
def answer_needs(call, body):
    return usecases.answer_needs(call, body)


@answers_api.post("/v1/outcome-measures", summary="Give outcome measures before or after an offer", roles=PARTICIPANT, body=s.OutcomeSchema, response=s.OutcomeReceiptSchema, status=201, idempotent=True)
def give_outcome(call, body):
    return usecases.give_outcome(call, body)


@figures_api.get("/v1/sessions/<session_id>", summary="A session feedback can be given for", roles=READERS, response=s.KnownSessionSchema)
def known_session(call, session_id):
    return usecases.known_session(call, session_id)


@figures_api.get("/v1/aggregates", summary="Feedback figures of a session, offer, offer type, region or the nation", roles=READERS, query=s.AggregateQuerySchema, response=s.AggregateSchema)
def aggregate(call):
    return reports.aggregate(call, call.query)


@figures_api.get("/v1/national/summary", summary="National, regional and offer-type figures, suppressed as published", roles=READERS, query=s.PeriodQuerySchema, response=s.NationalSummarySchema)
def national_summary(call):
    return reports.national_summary(call, call.query["period"])


@figures_api.get("/v1/needs/ranking", summary="Development needs ranked per region (and PCN inside a region)", roles=READERS, response=s.NeedsRankingSchema)
def needs_ranking(call):
    return reports_surveys.needs_ranking(call)


@figures_api.get("/v1/outcomes/changes", summary="Change of outcome measures per offer type and region", roles=READERS, response=s.OutcomeChangesSchema)
def outcome_changes(call):
    return reports_surveys.outcome_changes(call)


@figures_api.get("/v1/sessions/<session_id>/comments", summary="Free-text comments on a session of your region", roles=REGIONAL, query=PageQuery, response=s.CommentSchema, paged=True)
def session_comments(call, session_id):
    return reports.session_comments(call, session_id, call.query)


@figures_api.get("/v1/needs/other-needs", summary="Other needs named in your region's surveys (free text)", roles=REGIONAL, query=PageQuery, response=s.OtherNeedSchema, paged=True)
def other_needs(call):
    return reports.other_needs(call, call.query)


APIS = [answers_api, figures_api]
