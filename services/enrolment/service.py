"""The enrolment service (reference data, participants, offers, enrolments, waitlists), declared once:
what shared/ and the tools are handed."""

from pathlib import Path

from services.enrolment import handlers
from services.enrolment.api import APIS
from services.enrolment.settings import EnrolmentSettings
from services.enrolment.store import metadata
from shared import data_keys
from shared.service import Service


def load_demo(runtime, **options) -> dict:
    """The demo seed, imported only when it runs: web and worker processes never need it."""
    from services.enrolment.demo import load

    return load(runtime, **options)


SERVICE = Service(
    name="enrolment",
    settings=EnrolmentSettings,
    metadata=metadata,
    apis=APIS,
    subscriptions=handlers.SUBSCRIPTIONS,
    migrations=Path(__file__).resolve().parent / "migrations",
    demo=load_demo,
    rewrap_personal_data=data_keys.rewrap,  # names and e-mails, each under its participant's data key
    title="Convene enrolment",
    description="Reference data, participants, offers, enrolments and waitlists for PCN leadership development.",
)
