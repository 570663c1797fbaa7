"""When a notification that failed to go is tried again: exponential backoff with full jitter
(so a mail server coming back is not met by every waiting notification at once), and parked
after a number of failures for an operator to look at."""

from __future__ import annotations

from datetime import datetime, timedelta


def next_attempt(attempts: int, now: datetime, *, base_seconds: float, max_seconds: float, draw: float) -> datetime:
    """After `attempts` failures (1 or more), the time of the next try. `draw` is a random number
    in [0, 1): the delay is a share of base * 2^(attempts-1) (at most `max_seconds`), at least a
    tenth of it, so retries spread out but never hammer."""
    ceiling = min(base_seconds * 2 ** min(attempts - 1, 60), max_seconds)
    return now + timedelta(seconds=ceiling * (0.1 + 0.9 * draw))


def parks(attempts: int, max_attempts: int) -> bool:
    """Whether a notification that has failed `attempts` times is parked rather than tried again."""
    return attempts >= max_attempts
