"""Feedback's web process: `gunicorn 'services.feedback.app:create_app()'`."""
from shared import data_keys, logs
from shared.runtime import Runtime
from shared.web import create_service_app
from services.feedback.api import APIS
from services.feedback.settings import FeedbackSettings
from services.feedback.store import metadata


def build_runtime(settings: FeedbackSettings | None = None) -> Runtime:
    runtime = Runtime.build(settings or FeedbackSettings.load(), metadata)
    data_keys.bind(runtime.db.engine, runtime.settings)  # comments are sealed (store.sealed_comments)
    return runtime


def create_app(settings: FeedbackSettings | None = None, runtime: Runtime | None = None):
    runtime = runtime or build_runtime(settings)
    logs.configure(runtime.settings.service, runtime.settings.log_level)
    return create_service_app(
        runtime,
        APIS,
        title="Convene feedback",
        description="Session feedback, development needs, outcomes and national aggregates with small-number suppression.",
    )
