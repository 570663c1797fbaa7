"""Fixtures for the layered suite. Unit tests use none of these; integration and e2e tests
get the real Kafka broker and PostgreSQL cluster that `make test` starts."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from shared.auth import create_dev_keys, mint_token

ISSUER = "https://convene.local/auth"
AUDIENCE = "convene"


def _required_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the suite with `make test`, which starts Kafka and PostgreSQL")
    return value


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return _required_env("CONVENE_TEST_KAFKA")


@pytest.fixture(scope="session")
def kafka_dir() -> str:
    return _required_env("CONVENE_TEST_KAFKA_DIR")


@pytest.fixture
def topic_prefix() -> str:
    """Each test gets topics of its own, so tests never see each other's events."""
    return f"t{uuid.uuid4().hex[:10]}."


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    return _required_env("CONVENE_TEST_POSTGRES")


@pytest.fixture(scope="session")
def redis_url() -> str:
    return _required_env("CONVENE_TEST_REDIS")


class DatabaseFactory:
    """Fresh, empty databases of one kind: SQLite files or PostgreSQL databases."""

    def __init__(self, kind: str, tmp_path: Path, admin_url: str | None):
        self.kind = kind
        self.tmp_path = tmp_path
        self.admin_url = admin_url
        self.created: list[str] = []

    def new(self, name: str = "db") -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.tmp_path / (name + '-' + uuid.uuid4().hex[:6] + '.db')}"
        database = f"convene_{name}_{uuid.uuid4().hex[:8]}"
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{database}"'))
        engine.dispose()
        self.created.append(database)
        return self.admin_url.rsplit("/", 1)[0] + "/" + database

    def drop_all(self) -> None:
        if not self.created:
            return
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for database in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def databases(request, tmp_path):
    """Parametrises a test over both databases Convene supports."""
    admin_url = request.getfixturevalue("postgres_admin_url") if request.param == "postgres" else None
    factory = DatabaseFactory(request.param, tmp_path, admin_url)
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session")
def signing_keys(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("keys")
    private, public = folder / "private.pem", folder / "public.pem"
    create_dev_keys(private, public)
    return private, public


@pytest.fixture(scope="session")
def make_token(signing_keys):
    private_pem = signing_keys[0].read_bytes()

    def make(role: str, region: str | None = None, subject: str | None = None, **overrides) -> str:
        return mint_token(
            private_pem, role=role, region=region, subject=subject, issuer=ISSUER, audience=AUDIENCE, **overrides
        )

    return make


@pytest.fixture
def as_(make_token):
    """Bearer headers for a role, in a region, as a person: `as_("regional_admin", "Y56")`."""

    def headers(role: str, region: str | None = None, subject: str | None = None) -> dict:
        return {"Authorization": "Bearer " + make_token(role, region, subject)}

    return headers
