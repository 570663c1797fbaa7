"""Enrolment's web process: `gunicorn 'services.enrolment.app:create_app()'`."""
from shared import data_keys, logs
from shared.runtime import Runtime
from shared.web import create_service_app
from services.enrolment.api import APIS
from services.enrolment.settings import EnrolmentSettings
from services.enrolment.store import metadata


def build_runtime(settings: EnrolmentSettings | None = None) -> Runtime:
    runtime = Runtime.build(settings or EnrolmentSettings.load(), metadata)
    data_keys.bind(runtime.db.engine, runtime.settings, metadata)  # names and e-mails are sealed
    return runtime


def create_app(settings: EnrolmentSettings | None = None, runtime: Runtime | None = None):
    runtime = runtime or build_runtime(settings)
    logs.configure(runtime.settings.service, runtime.settings.log_level)
    return create_service_app(
        runtime,
        APIS,
        title="Convene enrolment",
        description="Reference data, participants, offers, enrolments and waitlists for PCN leadership development.",
    )
