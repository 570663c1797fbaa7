"""Signing secrets of a subscription (Standard Webhooks `whsec_` secrets) and their rotation.

A rotation keeps the previous secret for an overlap window, during which every delivery is
signed with both: a receiver can switch to the new secret at any moment of the window.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta

PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def rotated(current: str, now: datetime, overlap_seconds: float) -> dict:
    """The secret columns after a rotation: a new current secret, the old one kept for the overlap."""
    return {
        "secret": new_secret(),
        "previous_secret": current,
        "previous_secret_until": now + timedelta(seconds=overlap_seconds),
    }


def signing_secrets(secret: str, previous: str | None, previous_until: datetime | None, now: datetime) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous during its overlap."""
    if previous is not None and previous_until is not None and now < previous_until:
        return [secret, previous]
    return [secret]
