"""Sign-in by OpenID Connect (authorization code with PKCE, Authlib), sign-out and session expiry.

The session (a signed, HttpOnly cookie) holds who the person is in Convene (by the claim-mapping
table) and the issuer's access token, which every call to a service carries. It ends
CONSOLE_SESSION_MINUTES after sign-in, or when the token expires, whichever is first.
"""

from __future__ import annotations

import time
from functools import wraps
from urllib.parse import urlencode

from authlib.integrations.flask_client import OAuth
from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from services.console.claims import Identity, NotMapped, identity_of

auth = Blueprint("auth", __name__)
oauth = OAuth()


def register_issuer(app) -> None:
    settings = app.config["CONSOLE"]
    oauth.init_app(app)
    oauth.register(
        "issuer",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": settings.oidc_scope, "code_challenge_method": "S256"},
    )


def signed_in() -> Identity | None:
    """The person of this request's session, or None when there is none or it has expired."""
    person = session.get("person")
    if not person:
        return None
    if person["expires_at"] <= time.time():
        session.clear()
        g.session_expired = True
        return None
    return Identity(**person["identity"])


def token() -> str:
    return session["person"]["access_token"]


def sign_in_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        g.person = signed_in()
        if g.person is None:
            expired = 1 if g.get("session_expired") else None
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?"), expired=expired))
        return view(*args, **kwargs)

    return wrapped


def _safe_next(target: str | None) -> str:
    return target if is_local_path(target) else url_for("pages.home")


def is_local_path(target: str | None) -> bool:
    """Only a path on this site: a sign-in link must not send anyone elsewhere. Browsers read a backslash
    as a slash and drop tabs and line breaks, so a path holding any of them could name another host."""
    return bool(target) and target.startswith("/") and not target.startswith("//") and not set(target) & set("\\\t\r\n")


@auth.get("/sign-in")
def sign_in():
    if request.args.get("expired"):
        return render_template("signed_out.html", expired=True, next=_safe_next(request.args.get("next"))), 200
    session["after_sign_in"] = _safe_next(request.args.get("next"))
    return oauth.issuer.authorize_redirect(url_for("auth.callback", _external=True))


@auth.get("/auth/callback")
def callback():
    if "error" in request.args:
        return render_template("signed_out.html", refused=True), 403
    issued = oauth.issuer.authorize_access_token()
    settings = current_app.config["CONSOLE"]
    try:
        identity = identity_of(issued["userinfo"], current_app.config["CLAIM_MAPPING"])
    except NotMapped as why:
        session.clear()
        return render_template("signed_out.html", refused=True, reason=str(why)), 403
    after = session.pop("after_sign_in", None)
    session.clear()  # a new session at sign-in: nothing from before it carries over
    session.permanent = True
    session["person"] = {
        "identity": identity.__dict__,
        "access_token": issued["access_token"],
        "id_token": issued.get("id_token"),
        "expires_at": min(issued.get("expires_at") or float("inf"), time.time() + settings.session_minutes * 60),
    }
    return redirect(_safe_next(after))


@auth.post("/sign-out")
def sign_out():
    id_token = (session.get("person") or {}).get("id_token")
    session.clear()
    end_session = oauth.issuer.load_server_metadata().get("end_session_endpoint")
    if end_session and id_token:
        back = url_for("auth.signed_out", _external=True)
        return redirect(f"{end_session}?{urlencode({'id_token_hint': id_token, 'post_logout_redirect_uri': back})}")
    return redirect(url_for("auth.signed_out"))


@auth.get("/signed-out")
def signed_out():
    return render_template("signed_out.html")
