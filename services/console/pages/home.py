"""The console's front page: each role starts on its own home."""

from __future__ import annotations

from flask import g, redirect, render_template, url_for

from services.console import auth
from services.console.pages.blueprint import pages

# Each role's first page (an endpoint of `pages`); a role without one sees home.html.
ROLE_HOMES = {
    "regional_admin": "pages.offers",
    "national": "pages.offers",
}


@pages.get("/")
@auth.sign_in_required
def home():
    if g.person.role in ROLE_HOMES:
        return redirect(url_for(ROLE_HOMES[g.person.role]))
    return render_template("home.html")
