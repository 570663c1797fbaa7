"""Rebuild the roster projection from enrolment's topic.

The projection tables (offers and memberships) are emptied, then enrolment's topic is read
from its beginning up to the offsets it had when the rebuild began, under a fresh consumer
name (so its inbox starts empty), each event going through the same validation, inbox and
`handlers.PROJECTION` as live. Only the projection is rebuilt: the reactions that changed
scheduling's own sessions happened once and are not repeated. Stop the worker while it runs.

Operators reach the same machinery with `python -m services.cli replay scheduling` (which
replays the live subscriptions; their reactions are idempotent). The topic's retention bounds
what can be rebuilt, so it must keep enrolment's events for the life of an offer.
"""

from __future__ import annotations

import uuid

from services.scheduling.handlers import PROJECTION
from services.scheduling.store.tables import PROJECTION_TABLES
from shared import operations
from shared.config import Settings
from shared.consumer import Subscription
from shared.db import Database


def rebuild_rosters(settings: Settings, db: Database) -> int:
    """Empty the projection and replay the topic into it; returns the number of events applied."""
    subscription = Subscription(f"rosters-rebuild-{uuid.uuid4().hex[:12]}", PROJECTION)
    return operations.replay(settings, db, subscription, PROJECTION_TABLES, progress=False)
