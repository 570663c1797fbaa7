"""The console's pages: one module per subject, all adding their views to the `pages` blueprint.
Importing a module registers its views."""

from services.console.pages import facilitation, home, offers, region, sessions  # noqa: F401  (registers their views)
from services.console.pages.blueprint import pages

PAGES = (pages,)
