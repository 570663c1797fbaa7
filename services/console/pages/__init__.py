"""The console's pages: one module per subject, all adding their views to the `pages` blueprint.
Importing a module registers its views."""

from services.console.pages import home, offers, participant, participant_answers  # noqa: F401  (registers their views)
from services.console.pages.blueprint import pages

PAGES = (pages,)
