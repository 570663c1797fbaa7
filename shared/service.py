"""A service's declaration, made once in services/<name>/service.py: what it is called, what it
reads, serves, consumes and keeps. Everything in shared/ that needs to know a service is handed one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, MetaData, Table

from shared import data_keys, logs
from shared.config import Settings
from shared.consumer import Subscription
from shared.runtime import Runtime

if TYPE_CHECKING:
    from shared.api import Api


@dataclass(frozen=True)
class Service:
    """One Convene service. `settings.service` must be `name`; its port is the settings class's."""

    name: str
    settings: type[Settings]
    metadata: MetaData
    apis: Sequence[Api]  # its blueprints, served under /v1
    migrations: Path
    title: str  # of its OpenAPI document and docs page
    description: str
    subscriptions: Sequence[Subscription] = ()
    # Consumer group name → the tables a replay of that group empties and refills.
    projections: Mapping[str, Sequence[Table]] = field(default_factory=dict)
    # The demo seed, called by services.demo in the order events flow between services.
    demo: Callable | None = None
    # Rotation of sealed personal data: rewrap(conn) → data keys rewrapped. None: nothing is sealed.
    # With it the runtime binds the service's key-encryption keys to its database (shared.data_keys).
    rewrap_personal_data: Callable[[Connection], int] | None = None

    def __post_init__(self):
        if self.settings.service != self.name:
            raise ValueError(
                f"{self.settings.__name__} is the settings of {self.settings.service!r}, not of {self.name!r}"
            )

    @property
    def port(self) -> int:
        return self.settings.default_port

    def load_settings(self, environ: Mapping[str, str] | None = None) -> Settings:
        return self.settings.load(environ)

    def build_runtime(self, settings: Settings | None = None) -> Runtime:
        runtime = Runtime.build(settings or self.load_settings(), self.metadata)
        if self.rewrap_personal_data is not None:
            keys_table = (
                self.metadata if data_keys.TABLE in self.metadata.tables else None
            )  # else each sealed value holds its key
            data_keys.bind(runtime.db.engine, runtime.settings, keys_table)
        return runtime

    def create_app(self, settings: Settings | None = None, runtime: Runtime | None = None):
        """The web process's Flask application (gunicorn: `services.<name>.app:create_app()`)."""
        from shared.web import create_service_app  # Flask only where a web process is made

        runtime = runtime or self.build_runtime(settings)
        logs.configure(runtime.settings.service, runtime.settings.log_level)
        return create_service_app(
            runtime, self.apis, title=self.title, description=self.description, subscriptions=self.subscriptions
        )

    def run_worker(self) -> None:
        """The worker process: outbox relay and consumers, until SIGTERM (`python -m services.<name>.worker`)."""
        from shared.worker import main

        main(self.build_runtime, self.subscriptions)
