"""Settings of the console (port 8000): where the services are, who signs people in, and the session.

The console keeps no data, so it reads none of the services' database or Kafka settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from shared.config import EnvironmentSettings, setting


@dataclass(frozen=True)
class ConsoleSettings(EnvironmentSettings):
    service: ClassVar[str] = "console"
    default_port: ClassVar[int] = 8000

    port: int = setting("CONSOLE_PORT", 8000, "HTTP port of the console.")
    environment: str = setting(
        "CONSOLE_ENVIRONMENT",
        "production",
        "production or development. Only development sends the session cookie over plain HTTP (no Secure flag).",
    )
    enrolment_url: str = setting("ENROLMENT_URL", "http://127.0.0.1:8001", "Base URL of the enrolment service.")
    scheduling_url: str = setting("SCHEDULING_URL", "http://127.0.0.1:8002", "Base URL of the scheduling service.")
    feedback_url: str = setting("FEEDBACK_URL", "http://127.0.0.1:8003", "Base URL of the feedback service.")
    upstream_timeout_seconds: float = setting(
        "UPSTREAM_TIMEOUT_SECONDS", 10.0, "Longest wait for a service's answer before the console shows its error page."
    )
    oidc_issuer: str = setting(
        "OIDC_ISSUER",
        "http://127.0.0.1:9400",
        "OpenID Connect issuer people sign in with (its /.well-known/openid-configuration is read), the same issuer "
        "as the services' JWT_ISSUER: its access token is what the console sends them. Production: an authorization "
        "server in front of NHS CIS2 that adds the Convene claims, since CIS2's own tokens carry no Convene role, "
        "region or id (services/console/README.md). `make up` runs a development provider here.",
    )
    oidc_client_id: str = setting("OIDC_CLIENT_ID", "convene-console", "The console's client id at the issuer.")
    oidc_client_secret: str = setting(
        "OIDC_CLIENT_SECRET", "development", "The console's client secret at the issuer (from a secret store)."
    )
    oidc_scope: str = setting("OIDC_SCOPE", "openid profile email", "Scopes the console asks the issuer for.")
    claim_mapping: str = setting(
        "CLAIM_MAPPING",
        "",
        "JSON list of rules turning the ID token's claims into a Convene role, region and subject, first match wins: "
        '`{"claim": "groups", "value": "convene-coaches", "role": "coach", "region_claim": "region", '
        '"subject_claim": "convene_id"}` (subject_claim: the claim holding the Convene id, default sub; empty '
        "setting: services/console/claims.py DEFAULT_MAPPING). The services read the access token, not this table.",
    )
    session_secret: str = setting(
        "CONSOLE_SESSION_SECRET",
        "",
        "Key that signs the session cookie (from a secret store; empty: a random one per start, which signs "
        "everybody out on restart and cannot be shared by several processes).",
    )
    session_minutes: int = setting(
        "CONSOLE_SESSION_MINUTES", 30, "A session ends this long after sign-in, or sooner when its token expires."
    )

    @property
    def development(self) -> bool:
        return self.environment == "development"

    @classmethod
    def load(cls, environ: dict | None = None) -> ConsoleSettings:
        settings = cls.from_environment(environ)
        if settings.environment not in ("production", "development"):
            raise ValueError("CONSOLE_ENVIRONMENT must be production or development")
        return settings
