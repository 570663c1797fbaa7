"""The console's pages, one blueprint per subject, all under the endpoint prefix `pages.`."""

from services.console.pages.offers import pages

PAGES = (pages,)
