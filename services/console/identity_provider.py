"""Development only: a real OpenID Connect provider (oidc-provider-mock) as its own process, so the
console's whole sign-in redirect runs locally. `make up` starts it on :9400; production uses NHS CIS2.

Its demo people carry identity-provider claims (groups, region, and for a participant, facilitator
or coach the `convene_id` claim holding the fixed Convene id the demo data gives them, see
services/demo.py), not Convene roles. Its access
tokens are JWTs (RFC 9068) for the services' audience, whose Convene claims (role, region) come
from the console's one claim-mapping table (services/console/claims.py), signed with the
development key pair that `make up` creates, whose public half it serves at /jwks: the services
accept them by JWKS (JWT_JWKS_URL) or by that key file, with JWT_ISSUER set to this provider.

    gunicorn -c deploy/gunicorn.conf.py --workers 1 --bind 127.0.0.1:9400 \
        'services.console.identity_provider:app_from_environment()'

One worker only: the provider keeps its users, codes and tokens in that process's memory.

Its pages are our own templates (identity_provider_templates/, found before the package's) with a
small stylesheet it serves itself: the package's pages load theirs from a CDN, which an offline
machine cannot reach.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import flask
import jinja2
import oidc_provider_mock
from authlib import jose

from services.console.claims import CONVENE_ID, NotMapped, identity_of, parse_mapping
from services.demo import DEMO_COACH, DEMO_FACILITATOR, DEMO_PARTICIPANT
from shared.auth import create_dev_keys, key_id
from shared.config import Settings

TOKEN_MINUTES = 60
TEMPLATES = Path(__file__).parent / "identity_provider_templates"


def _person(sub: str, name: str, groups: str, region: str | None = None, convene_id: str | None = None):
    claims = {"name": name, "email": f"{sub}@example.nhs.uk", "groups": [groups]}
    return oidc_provider_mock.User(
        sub=sub,
        claims=claims | ({"region": region} if region else {}) | ({CONVENE_ID: convene_id} if convene_id else {}),
    )


# The demo people, as the identity provider knows them, one of each Convene role; services.demo
# creates their region's offers and gives the participant, facilitator and coach their Convene ids.
DEMO_PEOPLE = (
    _person("demo-admin-y56", "Alex Morgan (demo regional administrator, London)", "convene-regional-admins", "Y56"),
    _person("demo-national", "Sam Patel (demo national team)", "convene-national-team"),
    _person(
        "demo-participant-y56",
        "Jo Example (demo participant, London)",
        "convene-participants",
        "Y56",
        DEMO_PARTICIPANT,
    ),
    _person(
        "demo-facilitator-y56",
        "Robin Sample (demo facilitator, London)",
        "convene-facilitators",
        "Y56",
        DEMO_FACILITATOR,
    ),
    _person("demo-coach-y56", "Casey Placeholder (demo coach, London)", "convene-coaches", "Y56", DEMO_COACH),
)
ROLE_NAMES = {
    "regional_admin": "regional administrator",
    "national": "national team",
    "participant": "participant",
    "facilitator": "facilitator",
    "coach": "coach",
}


def signing_key(private_key_file: Path, public_key_file: Path) -> jose.RSAKey:
    """The development key pair (created if absent), named by its JWK thumbprint as `make token`'s tokens name it."""
    create_dev_keys(private_key_file, public_key_file)
    return jose.RSAKey.import_key(private_key_file.read_bytes(), {"kid": key_id(private_key_file.read_bytes())})


def demo_person(sub: str) -> dict:
    """A demo person's Convene claims (sub, role, region), as the provider's access tokens carry them."""
    user = next((user for user in DEMO_PEOPLE if user.sub == sub), None)
    if user is None:
        raise KeyError(f"no demo person {sub!r}; choose from {', '.join(u.sub for u in DEMO_PEOPLE)}")
    return identity_of({"sub": user.sub, **user.claims}, parse_mapping("")).claims()


def create_app(*, audience: str, mapping_text: str, key: jose.RSAKey, people=DEMO_PEOPLE) -> flask.Flask:
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain HTTP on 127.0.0.1: development only
    mapping = parse_mapping(mapping_text)
    app = flask.Flask(oidc_provider_mock.__name__)  # its package holds the templates we do not replace
    app.jinja_loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(TEMPLATES), app.jinja_loader])
    known = {}
    for user in people:
        try:
            known[user.sub] = ROLE_NAMES[identity_of({"sub": user.sub, **user.claims}, mapping).role]
        except NotMapped:
            known[user.sub] = "no Convene role"

    def access_token(client, grant_type, user, scope) -> str:
        """An RFC 9068 access token for the services, carrying the person's Convene claims."""
        try:
            convene = identity_of({"sub": user.sub, **user.claims}, mapping).claims()
        except NotMapped:
            convene = {"sub": user.sub}  # the services refuse it, as they would anyone without a role
        now = int(time.time())
        claims = {
            **convene,
            "iss": flask.request.host_url.rstrip("/"),
            "aud": audience,
            "client_id": client.get_client_id(),
            "scope": scope or "",
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_MINUTES * 60,
        }
        header = {"alg": "RS256", "typ": "at+jwt", "kid": key.as_dict()["kid"]}
        return jose.jwt.encode(header, claims, key).decode()

    app.config["OAUTH2_ACCESS_TOKEN_GENERATOR"] = access_token
    oidc_provider_mock.init_app(app, user_claims=people, access_token_max_age=timedelta(minutes=TOKEN_MINUTES))
    # init_app turns Werkzeug's interactive debugger on; a provider reachable from a browser must not run it.
    app.debug = False
    app.wsgi_app = app.wsgi_app.app

    @app.before_request
    def use_the_development_key():
        # The provider keeps its signing key in the storage its own before_request hook puts on g (which
        # runs first); ID tokens, access tokens and /jwks then all use the development key pair.
        flask.g.oidc_provider_mock_storage.jwk = key

    @app.context_processor
    def the_demo_people():
        return {"demo_people": {user.sub: (user.claims.get("name", user.sub), known[user.sub]) for user in people}}

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.get("/provider.css")
    def stylesheet():
        return flask.send_from_directory(TEMPLATES, "provider.css", mimetype="text/css", max_age=300)

    app.secret_key = os.urandom(16)
    return app


def app_from_environment() -> flask.Flask:
    """The provider as `make up` and the tests run it, its key and audience from the services' settings."""
    settings = Settings.load()
    key = signing_key(Path(settings.jwt_private_key_file), Path(settings.jwt_public_key_file))
    return create_app(audience=settings.jwt_audience, mapping_text=os.environ.get("CLAIM_MAPPING", ""), key=key)
