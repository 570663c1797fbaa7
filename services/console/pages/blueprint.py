"""The one blueprint every page belongs to (endpoints `pages.<view>`), who may see a page, and the
read most pages start from: the offer they are about.

Each subject module (offers, participants, sessions, ...) adds its views to `pages`; view
function names are unique across the modules because they are the endpoints' names."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, g

from services.console import auth
from services.console.upstream import call

pages = Blueprint("pages", __name__)


def for_roles(*roles: str):
    """A page for signed-in people of these Convene roles; anyone else gets 404, as the services
    answer for what is not theirs, so a page's address tells nobody what it holds."""

    def decorate(view):
        @wraps(view)
        def checked(*args, **kwargs):
            if g.person.role not in roles:
                abort(404)
            return view(*args, **kwargs)

        return auth.sign_in_required(checked)

    return decorate


def offer_or_404(offer_id: str) -> dict:
    """The offer as the signed-in person may see it; one they may not (or none) is this page's 404."""
    answer = call("enrolment", "GET", f"/v1/offers/{offer_id}", auth.token())
    if answer.status >= 400:
        abort(404)
    return answer.body
