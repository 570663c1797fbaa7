"""The console's pages: one module per subject, all adding their views to the `pages` blueprint.
Importing a module registers its views."""

from services.console.pages import (  # noqa: F401  (registers their views)
    home,
    offers,
    participant,
    participant_answers,
    participant_calendar,
    participants,
    records,
)
from services.console.pages.blueprint import pages

PAGES = (pages,)
