"""Keyed has-answered markers: one-way, per subject and person, under a pepper kept outside
the database (`settings.marker_pepper`). Session feedback and the needs survey each keep
"once each" with their own marker set; each names its own context, so no marker of one set
can ever equal a marker of the other."""

from __future__ import annotations

import hashlib
import hmac

MIN_PEPPER_BYTES = 32


def keyed_marker(context: bytes, pepper: bytes, *parts: str) -> str:
    """HMAC-SHA256(pepper, context, parts). Parts are length-prefixed so ("ab", "c") and
    ("a", "bc") cannot collide. The pepper is a secret outside the database, so a copy of a
    marker table alone cannot be tested against a list of ids."""
    if not isinstance(pepper, bytes) or len(pepper) < MIN_PEPPER_BYTES:
        raise ValueError(f"pepper must be at least {MIN_PEPPER_BYTES} bytes")
    message = context
    for part in parts:
        encoded = part.encode("utf-8")
        message += len(encoded).to_bytes(4, "big") + encoded
    return hmac.new(pepper, message, hashlib.sha256).hexdigest()
