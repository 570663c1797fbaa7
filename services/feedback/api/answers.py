"""Answers from participants: session feedback, the development-needs survey, outcome measures."""

from services.feedback import schemas as s
from services.feedback.api.roles import PARTICIPANT
from services.feedback.usecases import answers
from shared.api import Api

answers_api = Api("answers", __name__, tag="answers")


# Not idempotent-keyed on purpose: the key table would keep who sent which answers. Once is
# enforced anyway: a repeat answers 409 feedback_already_given.
# Not audited: an audit row (who, which session, when) would link an anonymous answer to its author.
@answers_api.post(
    "/v1/sessions/<session_id>/feedback",
    summary="Give feedback on a session you attended",
    roles=PARTICIPANT,
    body=s.FeedbackSchema,
    response=s.FeedbackReceiptSchema,
    status=201,
    audited=False,
)
def give_feedback(unit, session_id, body):
    return answers.give_feedback(unit, session_id, body)


# Anonymous like session feedback, so neither Idempotency-Keyed nor audited: either record would
# say who answered when, and the answer's event says when and what. One voice per round anyway: a
# repeat for an offer replaces the earlier answer in co-design, a repeat for a region's quarter
# answers 409 needs_already_answered (services/feedback/domain/needs.py).
@answers_api.post(
    "/v1/needs-surveys/responses",
    summary="Answer the development-needs survey (one voice per offer, or once per quarter)",
    roles=PARTICIPANT,
    body=s.NeedsSurveySchema,
    response=s.NeedsReceiptSchema,
    status=201,
    audited=False,
)
def answer_needs(unit, body):
    return answers.answer_needs(unit, body)


@answers_api.post(
    "/v1/outcome-measures",
    summary="Give outcome measures before or after an offer",
    roles=PARTICIPANT,
    body=s.OutcomeSchema,
    response=s.OutcomeReceiptSchema,
    status=201,
    idempotent=True,
)
def give_outcome(unit, body):
    return answers.give_outcome(unit, body)
