"""Enrolment's HTTP endpoints, one blueprint per subject; `APIS` is what the app registers."""

from services.enrolment.api.enrolments import enrolments_api
from services.enrolment.api.notifications import notifications_api
from services.enrolment.api.offers import offers_api
from services.enrolment.api.participants import participants_api
from services.enrolment.api.reference import reference_api

APIS = [reference_api, participants_api, offers_api, enrolments_api, notifications_api]
