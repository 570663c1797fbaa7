"""Scheduling's HTTP endpoints, one blueprint per subject; `APIS` is what the app registers."""

from services.scheduling.api.attendance import attendance_api
from services.scheduling.api.calendars import calendars_api
from services.scheduling.api.coaching import coaching_api
from services.scheduling.api.facilitators import facilitators_api
from services.scheduling.api.rosters import rosters_api
from services.scheduling.api.sessions import sessions_api

APIS = [rosters_api, sessions_api, attendance_api, facilitators_api, coaching_api, calendars_api]
