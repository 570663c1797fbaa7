"""Calendar feeds: a participant's sessions, or an offer's, as iCalendar."""

from __future__ import annotations

import hashlib
import secrets

from services.scheduling.domain.calendars import feed
from services.scheduling.store import calendar_feeds as feeds
from services.scheduling.store import calendars as store
from services.scheduling.store.erasures import ERASURES
from services.scheduling.usecases import access
from shared.clock import utcnow
from shared.errors import Conflict, NotFound
from shared.unit import Unit

FEED_PATH = "/v1/calendar-feeds/{secret}.ics"
SECRET_BYTES = 32


def participant_calendar(unit: Unit, participant_id: str) -> bytes:
    region = access.participant_scope(unit, participant_id)
    return _participant_feed(unit, participant_id, region)


def _participant_feed(unit: Unit, participant_id: str, region: str | None) -> bytes:
    return feed(store.participant_calendar(unit.conn, participant_id, region), now=utcnow())


def subscribe(unit: Unit, participant_id: str, base_url: str) -> dict:
    """A new secret address of the participant's own calendar, replacing (revoking) any earlier
    one. The address is answered once: only its secret's SHA-256 is stored."""
    access.participant_scope(unit, participant_id)
    if ERASURES.find(unit, participant_id) is not None:  # erasure deleted their address: none again
        raise Conflict("participant_erased", "This participant's personal data is erased: no calendar address.")
    secret = secrets.token_urlsafe(SECRET_BYTES)
    created_at = utcnow()
    feeds.replace_feed(unit.conn, participant_id, _digest(secret), created_at)
    return {"url": base_url.rstrip("/") + FEED_PATH.format(secret=secret), "created_at": created_at}


def unsubscribe(unit: Unit, participant_id: str) -> None:
    """Revoke the participant's address (nothing to revoke is no error)."""
    access.participant_scope(unit, participant_id)
    feeds.revoke_feed(unit.conn, participant_id)


def subscribed_calendar(unit: Unit, secret: str) -> bytes:
    """The calendar a secret address names: its participant's, as they read it themselves.
    An unknown or revoked secret is one answer, found (or not) by its hash."""
    participant_id = feeds.feed_owner(unit.conn, _digest(secret))
    if participant_id is None:
        raise NotFound("calendar_feed_not_found", "No such calendar address: it may have been revoked.")
    return _participant_feed(unit, participant_id, None)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def offer_calendar(unit: Unit, offer_id: str) -> bytes:
    """The offer's sessions the caller takes part in (an administrator: all of them)."""
    offer = access.offer(unit, offer_id)
    return feed(
        store.offer_calendar(unit.conn, offer_id, access.sessions_seen(unit)), now=utcnow(), name=offer["title"]
    )
