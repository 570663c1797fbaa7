"""Settings: one documented object per service, read from the environment.

Every field names its environment variable and says what it does; the README's
configuration table is generated from these declarations (`python -m shared.cli settings`).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

REPO_ROOT = Path(__file__).resolve().parent.parent


def setting(env: str, default, help: str):
    """A settings field read from environment variable `env`."""
    return field(default=default, metadata={"env": env, "help": help})


def _cast(raw: str, kind):
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return kind(raw)


@dataclass(frozen=True)
class EnvironmentSettings:
    """A frozen settings object read from the environment, each field documented by `setting`.
    Settings (the services') and the console's settings are both such objects."""

    @classmethod
    def from_environment(cls, environ: dict | None = None):
        environ = os.environ if environ is None else environ
        values = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(f.metadata["env"])
            if raw not in (None, ""):
                values[f.name] = _cast(raw, type(f.default))
        return cls(**values)

    @classmethod
    def documented(cls) -> list[tuple[str, str, str]]:
        """(variable, default, meaning) for every setting: the README's table."""
        return [(f.metadata["env"], str(f.default), f.metadata["help"]) for f in dataclasses.fields(cls)]


@dataclass(frozen=True)
class Settings(EnvironmentSettings):
    """What every Convene process reads. A service subclasses it to add its own settings."""

    service: ClassVar[str] = ""
    default_port: ClassVar[int] = 8000  # the web process's port when PORT is not set; each service has its own

    port: int = setting("PORT", 0, "HTTP port of the web process (0: the service's default, 8001/8002/8003).")
    database_url: str = setting(
        "DATABASE_URL", "", "SQLAlchemy URL of the service's database (empty: a SQLite file under CONVENE_DATA_DIR)."
    )
    database_pool_size: int = setting("DATABASE_POOL_SIZE", 5, "PostgreSQL connections each process keeps open.")
    database_max_overflow: int = setting(
        "DATABASE_MAX_OVERFLOW", 5, "Extra PostgreSQL connections a process may open at peaks."
    )
    data_dir: str = setting("CONVENE_DATA_DIR", str(REPO_ROOT / ".run" / "data"), "Folder for SQLite files.")
    kafka_bootstrap_servers: str = setting(
        "KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092", "Kafka brokers, comma-separated."
    )
    kafka_security_protocol: str = setting(
        "KAFKA_SECURITY_PROTOCOL", "PLAINTEXT", "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (managed clusters)."
    )
    kafka_sasl_mechanism: str = setting(
        "KAFKA_SASL_MECHANISM", "", "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 when SASL is on."
    )
    kafka_sasl_username: str = setting("KAFKA_SASL_USERNAME", "", "SASL user name.")
    kafka_sasl_password: str = setting("KAFKA_SASL_PASSWORD", "", "SASL password (from a secret).")
    kafka_ssl_cafile: str = setting("KAFKA_SSL_CAFILE", "", "CA bundle that signs the brokers' certificates.")
    topic_prefix: str = setting("CONVENE_TOPIC_PREFIX", "local.", "Prefix of every topic name: one per environment.")
    topic_partitions: int = setting("KAFKA_TOPIC_PARTITIONS", 3, "Partitions of each topic Convene creates.")
    topic_replication: int = setting("KAFKA_TOPIC_REPLICATION", 1, "Replication factor of each topic Convene creates.")
    jwt_issuer: str = setting("JWT_ISSUER", "https://convene.local/auth", "Required `iss` of bearer tokens.")
    jwt_audience: str = setting("JWT_AUDIENCE", "convene", "Required `aud` of bearer tokens.")
    jwt_public_key_file: str = setting(
        "JWT_PUBLIC_KEY_FILE",
        str(REPO_ROOT / ".run" / "keys" / "jwt-public.pem"),
        "PEM public key that verifies RS256 tokens.",
    )
    jwt_jwks_url: str = setting(
        "JWT_JWKS_URL", "", "JWKS endpoint of the identity provider; when set it replaces the key file."
    )
    jwt_private_key_file: str = setting(
        "JWT_PRIVATE_KEY_FILE",
        str(REPO_ROOT / ".run" / "keys" / "jwt-private.pem"),
        "Development only: the local key `make token` signs with.",
    )
    jwt_leeway_seconds: int = setting("JWT_LEEWAY_SECONDS", 30, "Clock skew allowed on `exp` and `nbf`.")
    jwt_max_lifetime_seconds: int = setting(
        "JWT_MAX_LIFETIME_SECONDS",
        12 * 3600,
        "Longest lifetime a bearer token may have: one whose `exp` lies further than this after its `iat` (or "
        "after now) is refused, so a leaked long-lived token cannot be used for years.",
    )
    log_level: str = setting("LOG_LEVEL", "INFO", "Log level of the service's JSON logs.")
    relay_batch_size: int = setting("RELAY_BATCH_SIZE", 500, "Outbox rows the relay publishes per round.")
    relay_idle_seconds: float = setting("RELAY_IDLE_SECONDS", 0.01, "Pause of the relay when the outbox is empty.")
    relay_idle_max_seconds: float = setting(
        "RELAY_IDLE_MAX_SECONDS",
        0.5,
        "Longest pause of an idle relay: after a second without events its pause doubles from RELAY_IDLE_SECONDS "
        "up to this, and any event sets it back.",
    )
    consumer_max_retries: int = setting(
        "CONSUMER_MAX_RETRIES", 3, "Attempts of a failing handler before dead-lettering."
    )
    worker_metrics_port: int = setting(
        "WORKER_METRICS_PORT",
        0,
        "Port of the worker's `/metrics` (Prometheus) and `/healthz` (liveness) (0: none; containers use 9100).",
    )
    worker_stall_seconds: float = setting(
        "WORKER_STALL_SECONDS",
        120.0,
        "The worker's `/healthz` answers 503 once one of its loops (relay, a consumer) has completed no "
        "iteration for this long.",
    )
    rate_limit_per_minute: int = setting(
        "RATE_LIMIT_PER_MINUTE",
        1200,
        "Requests one token may make per minute (0: no limit), counted in the RATE_LIMIT_STORAGE_URI store.",
    )
    rate_limit_storage_uri: str = setting(
        "RATE_LIMIT_STORAGE_URI",
        "memory://",
        "Where request counts are kept. memory:// (the embedded default) counts in each web process, so the "
        "limit grows with the processes; redis://HOST:6379/0 shares it across every process and pod of the "
        "deployment (Docker Compose and Kubernetes set it).",
    )
    otel_exporter_otlp_endpoint: str = setting(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "",
        "OpenTelemetry collector (OTLP/HTTP, e.g. http://collector:4318) that traces are exported to, from each "
        "request through the outbox and Kafka (`ce_traceparent`) into every consumer (empty: no tracing).",
    )
    consistency_wait_seconds: float = setting(
        "CONSISTENCY_WAIT_SECONDS",
        5.0,
        "Longest a request that sends a Convene-Consistency token waits for this service to apply the events it "
        "names before answering 503 not_yet_consistent with Retry-After (docs/consistency.md).",
    )
    max_body_bytes: int = setting("MAX_BODY_BYTES", 1_000_000, "Largest request body accepted.")
    hsts_max_age_seconds: int = setting(
        "HSTS_MAX_AGE_SECONDS",
        31_536_000,
        "max-age of the Strict-Transport-Security header on every answer (0: none). Browsers heed it only over "
        "HTTPS, which the ingress or load balancer in front of the web processes terminates.",
    )

    @classmethod
    def load(cls, environ: dict | None = None):
        settings = cls.from_environment(environ)
        if not settings.port:
            settings = dataclasses.replace(settings, port=cls.default_port)
        if not settings.database_url:
            url = f"sqlite:///{Path(settings.data_dir) / (cls.service + '.db')}"
            settings = dataclasses.replace(settings, database_url=url)
        return settings

    def kafka_client_options(self) -> dict:
        """Connection options shared by every kafka-python client Convene makes."""
        options = {
            "bootstrap_servers": self.kafka_bootstrap_servers.split(","),
            "security_protocol": self.kafka_security_protocol,
        }
        if self.kafka_sasl_mechanism:
            options.update(
                sasl_mechanism=self.kafka_sasl_mechanism,
                sasl_plain_username=self.kafka_sasl_username,
                sasl_plain_password=self.kafka_sasl_password,
            )
        if self.kafka_ssl_cafile:
            options["ssl_cafile"] = self.kafka_ssl_cafile
        return options


@dataclass(frozen=True)
class PersonalDataSettings(Settings):
    """What a service that stores personal data reads besides: its key-encryption key(s).
    See shared.sealing and shared.data_keys (crypto-shredding)."""

    personal_data_key: str = setting(
        "PERSONAL_DATA_KEY",
        "",
        "Key-encryption key that names, e-mails, coaching goals and progress notes, comments and webhook signing "
        "secrets are sealed under (URL-safe base64 of 32 random bytes). "
        "PRODUCTION MUST SET IT from a secret store, its own for each service, the same in every process of it, never "
        'stored with the database or its backups; losing it loses every name. To rotate: set "new,old", run '
        "`services.cli rewrap-keys`, then drop the old one. Empty: the key in PERSONAL_DATA_KEY_FILE.",
    )
    personal_data_key_file: str = setting(
        "PERSONAL_DATA_KEY_FILE",
        str(REPO_ROOT / ".run" / "keys" / "personal-data.key"),
        "File holding the key-encryption key(s) when PERSONAL_DATA_KEY is empty, one per line, the current first. "
        "Development: `make up` (`services.cli keys`) creates it.",
    )
