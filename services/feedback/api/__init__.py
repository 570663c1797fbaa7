"""Feedback's HTTP endpoints, one blueprint per subject; `APIS` is what the app registers."""

from services.feedback.api.answers import answers_api
from services.feedback.api.figures import figures_api
from services.feedback.api.insight import insight_api

APIS = [answers_api, figures_api, insight_api]
