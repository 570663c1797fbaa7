"""Development only: a real OpenID Connect provider (oidc-provider-mock) as its own process, so the
console's whole sign-in redirect runs locally. `make up` starts it on :9400; production uses NHS CIS2.

Its demo people carry identity-provider claims (groups, region), not Convene ones. Its access
tokens are JWTs (RFC 9068) for the services' audience, whose Convene claims (role, region) come
from the console's one claim-mapping table (services/console/claims.py), signed with the
development key pair that `make up` creates, whose public half it serves at /jwks: the services
accept them by JWKS (JWT_JWKS_URL) or by that key file, with JWT_ISSUER set to this provider.

    gunicorn -c deploy/gunicorn.conf.py --workers 1 --bind 127.0.0.1:9400 \
        'services.console.identity_provider:app_from_environment()'

One worker only: the provider keeps its users, codes and tokens in that process's memory.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import flask
import oidc_provider_mock
from authlib import jose

from services.console.claims import NotMapped, identity_of, parse_mapping
from shared.auth import create_dev_keys
from shared.config import Settings

TOKEN_MINUTES = 60

# The demo people, as the identity provider knows them (services.demo creates their region's offers).
DEMO_PEOPLE = (
    oidc_provider_mock.User(
        sub="demo-admin-y56",
        claims={
            "name": "Alex Morgan (demo regional administrator, London)",
            "email": "demo-admin-y56@example.nhs.uk",
            "groups": ["convene-regional-admins"],
            "region": "Y56",
        },
    ),
    oidc_provider_mock.User(
        sub="demo-national",
        claims={
            "name": "Sam Patel (demo national team)",
            "email": "demo-national@example.nhs.uk",
            "groups": ["convene-national-team"],
        },
    ),
)


def signing_key(private_key_file: Path, public_key_file: Path) -> jose.RSAKey:
    create_dev_keys(private_key_file, public_key_file)
    key = jose.RSAKey.import_key(private_key_file.read_bytes())
    return jose.RSAKey.import_key(private_key_file.read_bytes(), {"kid": key.thumbprint()})


def create_app(*, audience: str, mapping_text: str, key: jose.RSAKey, people=DEMO_PEOPLE) -> flask.Flask:
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain HTTP on 127.0.0.1: development only
    mapping = parse_mapping(mapping_text)
    app = flask.Flask(oidc_provider_mock.__name__)  # its package holds the sign-in form's templates

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

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    app.secret_key = os.urandom(16)
    return app


def app_from_environment() -> flask.Flask:
    """The provider as `make up` and the tests run it, its key and audience from the services' settings."""
    settings = Settings.load()
    key = signing_key(Path(settings.jwt_private_key_file), Path(settings.jwt_public_key_file))
    return create_app(audience=settings.jwt_audience, mapping_text=os.environ.get("CLAIM_MAPPING", ""), key=key)
