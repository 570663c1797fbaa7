"""The scheduling service (facilitators, sessions, attendance, continuity, calendars), declared once:
what shared/ and the tools are handed."""

from pathlib import Path

from services.scheduling import handlers
from services.scheduling.api import APIS
from services.scheduling.settings import SchedulingSettings
from services.scheduling.store import metadata
from shared import data_keys
from shared.service import Service


def load_demo(runtime, **options) -> dict:
    """The demo seed, imported only when it runs: web and worker processes never need it."""
    from services.scheduling.demo import load

    return load(runtime, **options)


SERVICE = Service(
    name="scheduling",
    settings=SchedulingSettings,
    metadata=metadata,
    apis=APIS,
    subscriptions=handlers.SUBSCRIPTIONS,
    projections=handlers.PROJECTIONS,
    migrations=Path(__file__).resolve().parent / "migrations",
    demo=load_demo,
    rewrap_personal_data=data_keys.rewrap,  # coaching goals and progress notes, each under its coachee's data key
    title="Convene scheduling",
    description="Facilitators, coaches, sessions, attendance, continuity and calendars of each learning community.",
)
