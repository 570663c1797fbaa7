"""One deployment of Convene for a benchmark or a drill: its folder, the broker, its own topic
prefix, a fresh database per service (SQLite file or PostgreSQL database), a signing key, and
the environment every process of it shares."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from services.registry import declaration, settings_class
from shared.auth import create_dev_keys, mint_token
from shared.config import Settings
from shared.runtime import Runtime
from shared.sealing import new_kek_text

LOG_LEVEL = "INFO"  # the services' default: request logs are part of what is measured


class Deployment:
    def __init__(self, root: Path, kafka_bootstrap: str, db_kind: str, postgres_admin_url: str | None, *, label: str):
        if db_kind == "postgres" and not postgres_admin_url:
            raise SystemExit("PostgreSQL runs need BENCH_POSTGRES (an admin URL); deploy/local/isolated.sh sets it")
        self.folder = root / f"{label}-{uuid.uuid4().hex[:6]}"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.logs = self.folder / "logs"
        self.logs.mkdir(exist_ok=True)
        self.kafka_bootstrap = kafka_bootstrap
        self.db_kind = db_kind
        self.postgres_admin_url = postgres_admin_url
        self.topic_prefix = f"b{uuid.uuid4().hex[:8]}."
        self.private_key, self.public_key = root / "keys" / "private.pem", root / "keys" / "public.pem"
        create_dev_keys(self.private_key, self.public_key)
        self.personal_data_key = new_kek_text()  # the deployment's own key-encryption key
        self._urls: dict[str, str] = {}
        self._created: list[str] = []
        self._runtimes: dict[str, Runtime] = {}

    def database_url(self, service: str) -> str:
        if service not in self._urls:
            self._urls[service] = self._new_database(service)
        return self._urls[service]

    def _new_database(self, name: str) -> str:
        if self.db_kind == "sqlite":
            return f"sqlite:///{self.folder / (name + '.db')}"
        database = f"bench_{name}_{uuid.uuid4().hex[:8]}"
        engine = create_engine(self.postgres_admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{database}"'))
        engine.dispose()
        self._created.append(database)
        return self.postgres_admin_url.rsplit("/", 1)[0] + "/" + database

    def environ(self, service: str, **extra: str) -> dict:
        return {
            "DATABASE_URL": self.database_url(service),
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap,
            "CONVENE_TOPIC_PREFIX": self.topic_prefix,
            "CONVENE_DATA_DIR": str(self.folder / "data"),
            "JWT_PUBLIC_KEY_FILE": str(self.public_key),
            "PERSONAL_DATA_KEY": self.personal_data_key,
            "LOG_LEVEL": LOG_LEVEL,
            **extra,
        }

    def settings(self, service: str, **extra: str):
        return settings_class(service).load(self.environ(service, **extra))

    def runtime(self, service: str) -> Runtime:
        """The service's runtime inside this process (for seeding and checks), schema created."""
        if service not in self._runtimes:
            runtime = declaration(service).build_runtime(self.settings(service))
            runtime.db.create_schema()
            self._runtimes[service] = runtime
        return self._runtimes[service]

    def headers(self, role: str = "regional_admin", region: str | None = "Y56", subject: str | None = None) -> dict:
        defaults = Settings()
        token = mint_token(
            self.private_key.read_bytes(),
            role=role,
            region=region,
            subject=subject,
            issuer=defaults.jwt_issuer,
            audience=defaults.jwt_audience,
            ttl_seconds=6 * 3600,
        )
        return {"Authorization": f"Bearer {token}"}

    def close(self) -> None:
        for runtime in self._runtimes.values():
            runtime.db.dispose()
        self._runtimes.clear()
        if not self._created:
            return
        engine = create_engine(self.postgres_admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for database in self._created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        engine.dispose()
        self._created.clear()
