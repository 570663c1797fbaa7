"""Cross-site request forgery protection on every form: each session holds a random token, every
form sends it back in a hidden field, and any POST without it is refused before a view runs."""

from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session

FIELD = "csrf_token"


def token() -> str:
    if FIELD not in session:
        session[FIELD] = secrets.token_urlsafe(32)
    return session[FIELD]


def protect() -> None:
    """A before_request hook: the app's only unsafe method is POST, and every POST is checked."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    # The NHS.UK header's sign-out form can hold no hidden field, so its action carries the token instead.
    sent = request.form.get(FIELD) or request.args.get(FIELD, "")
    expected = session.get(FIELD, "")
    if not expected or not hmac.compare_digest(sent, expected):
        abort(400, description="The form had expired or did not come from this site. Go back and try again.")
