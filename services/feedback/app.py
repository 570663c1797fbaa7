"""Feedback's web process: `gunicorn 'services.feedback.app:create_app()'`."""
from shared import logs
from shared.runtime import Runtime
from shared.web import create_service_app
from services.feedback.api import APIS
from services.feedback.settings import FeedbackSettings
from services.feedback.store import metadata


def build_runtime(settings: FeedbackSettings | None = None) -> Runtime:
    return Runtime.build(settings or FeedbackSettings.load(), metadata)


def create_app(settings: FeedbackSettings | None = None, runtime: Runtime | None = None):
    runtime = runtime or build_runtime(settings)
    logs.configure(runtime.settings.service, runtime.settings.log_level)
    return create_service_app(
        runtime,
        APIS,
        title="Convene feedback",
        description="Session feedback, development needs, outcomes and national aggregates with small-number suppression.",
    )
