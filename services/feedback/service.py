"""The feedback service (session feedback, needs, outcomes, national aggregates), declared once:
what shared/ and the tools are handed."""

from pathlib import Path

from services.feedback import handlers
from services.feedback.api import APIS
from services.feedback.api.conditions import conditions_api
from services.feedback.api.report import report_api
from services.feedback.settings import FeedbackSettings
from services.feedback.store import metadata, sealed_comments
from shared.service import Service


def load_demo(runtime, **options) -> dict:
    """The demo seed, imported only when it runs: web and worker processes never need it."""
    from services.feedback.demo import load

    return load(runtime, **options)


SERVICE = Service(
    name="feedback",
    settings=FeedbackSettings,
    metadata=metadata,
    apis=[*APIS, conditions_api, report_api],
    subscriptions=handlers.SUBSCRIPTIONS,
    migrations=Path(__file__).resolve().parent / "migrations",
    demo=load_demo,
    rewrap_personal_data=sealed_comments.rewrap,  # comments, each sealed with its own data key
    title="Convene feedback",
    description="Session feedback, development needs, outcomes and national aggregates with small-number suppression.",
)
