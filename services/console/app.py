"""The console's web process (gunicorn: `services.console.app:create_app()`): a server-rendered
Flask app in the NHS.UK design system that builds every page from the services' APIs with the
signed-in person's token, and keeps nothing but the session."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, g, redirect, render_template, request, session, url_for
from jinja2 import ChainableUndefined, ChoiceLoader, FileSystemLoader, PackageLoader

from services.console import csrf
from services.console.auth import auth, register_issuer
from services.console.claims import parse_mapping
from services.console.pages import PAGES
from services.console.pages.home import navigation
from services.console.settings import ConsoleSettings
from services.console.upstream import NotSignedIn, UpstreamFailure, correlation_id

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"  # built by `make up` / `make test` from package.json's nhsuk-frontend (build_assets.py)


def long_date(iso: str | None) -> str:
    """4 January 2027: the NHS.UK style for dates."""
    return f"{date.fromisoformat(iso):%-d %B %Y}" if iso else ""


def create_app(settings: ConsoleSettings | None = None) -> Flask:
    settings = settings or ConsoleSettings.load()
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/assets")  # NHS.UK CSS refers to /assets/
    app.jinja_options = {
        # The NHS.UK macros read optional parameters through chains (params.hint.text): ChainableUndefined.
        "undefined": ChainableUndefined,
        "loader": ChoiceLoader([FileSystemLoader(HERE / "templates"), PackageLoader("nhsuk_frontend_jinja")]),
        "autoescape": True,
        "extensions": ["jinja2.ext.do"],
    }
    app.config.update(
        CONSOLE=settings,
        CLAIM_MAPPING=parse_mapping(settings.claim_mapping),
        SECRET_KEY=settings.session_secret or secrets.token_bytes(32),
        SESSION_COOKIE_NAME="convene_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not settings.development,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_minutes),
    )
    register_issuer(app)
    app.before_request(csrf.protect)
    app.register_blueprint(auth)
    for blueprint in PAGES:
        app.register_blueprint(blueprint)
    issuer_origin = "{0.scheme}://{0.netloc}".format(urlsplit(settings.oidc_issuer))

    app.add_template_filter(long_date)

    @app.before_request
    def nonce():
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.context_processor
    def page_context():
        person = g.get("person")
        return {
            "csrf_token": csrf.token,
            "cspNonce": g.get("csp_nonce"),
            "person": person,
            "navigation": navigation(person.role if person else None),
        }

    @app.after_request
    def headers(response):
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; script-src 'self' 'nonce-{g.get('csp_nonce', '')}'; style-src 'self'; "
            f"img-src 'self' data:; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
            f"form-action 'self' {issuer_origin}"  # sign-out's redirect goes on to the issuer
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        if not request.path.startswith("/assets/"):
            response.headers["Cache-Control"] = "no-store"  # pages hold people's data
        return response

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.errorhandler(UpstreamFailure)
    def service_failed(error: UpstreamFailure):
        return render_template("errors/service.html", correlation_id=error.correlation_id), 502

    @app.errorhandler(NotSignedIn)
    def token_refused(_error):
        session.clear()
        return redirect(url_for("auth.sign_in", expired=1))

    @app.errorhandler(400)
    def bad_request(error):
        return render_template("errors/simple.html", title="Sorry, there is a problem", message=error.description), 400

    @app.errorhandler(404)
    def not_found(_error):
        return render_template(
            "errors/simple.html", title="Page not found", message="If you typed the web address, check it is correct."
        ), 404

    @app.errorhandler(500)
    def failed(_error):
        return render_template("errors/service.html", correlation_id=correlation_id()), 500

    return app
