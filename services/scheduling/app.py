"""Scheduling's web process: `gunicorn 'services.scheduling.app:create_app()'`."""
from shared import logs
from shared.runtime import Runtime
from shared.web import create_service_app
from services.scheduling.api import APIS
from services.scheduling.settings import SchedulingSettings
from services.scheduling.store import metadata


def build_runtime(settings: SchedulingSettings | None = None) -> Runtime:
    return Runtime.build(settings or SchedulingSettings.load(), metadata)


def create_app(settings: SchedulingSettings | None = None, runtime: Runtime | None = None):
    runtime = runtime or build_runtime(settings)
    logs.configure(runtime.settings.service, runtime.settings.log_level)
    return create_service_app(
        runtime,
        APIS,
        title="Convene scheduling",
        description="Facilitators, coaches, sessions, attendance, continuity and calendars of each learning community.",
    )
