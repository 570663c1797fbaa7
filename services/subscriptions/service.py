"""The subscriptions service (signed webhooks of Convene's events for outside systems), declared
once: what shared/ and the tools are handed."""

from pathlib import Path

from services.subscriptions import handlers
from services.subscriptions.api import APIS
from services.subscriptions.settings import SubscriptionsSettings
from services.subscriptions.store import metadata, secrets
from shared.service import Service

SERVICE = Service(
    name="subscriptions",
    settings=SubscriptionsSettings,
    metadata=metadata,
    apis=APIS,
    subscriptions=handlers.SUBSCRIPTIONS,
    migrations=Path(__file__).resolve().parent / "migrations",
    rewrap_personal_data=secrets.rewrap,  # signing secrets, each sealed with its own data key; the hash key
    title="Convene subscriptions",
    description="Webhook subscriptions of outside NHS systems to Convene's events: CloudEvents over HTTPS, "
    "signed per Standard Webhooks, at least once and in order per key.",
)
