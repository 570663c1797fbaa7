"""The console's pages: one module per subject, all adding their views to the `pages` blueprint.
Importing a module registers its views."""

from services.console.pages import (  # noqa: F401  (registers their views)
    enrolments,
    facilitation,
    home,
    insight,
    offers,
    participant,
    participant_answers,
    participant_calendar,
    participant_emails,
    participants,
    records,
    region,
    sessions,
)
from services.console.pages.blueprint import pages

PAGES = (pages,)
