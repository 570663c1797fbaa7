"""When a failed delivery is tried again: exponential backoff with full jitter, for a day.

The n-th retry waits a random time up to base * 2^(n-1) seconds, at most `cap`, but never less
than half of it (so retries of many subscriptions spread out without bunching at zero). Once
the first attempt is older than the retry window, the delivery gives up and the subscription
is paused (Svix's schedule is the model: minutes first, then hours, over about a day).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float
    cap_seconds: float
    window_seconds: float

    def delay(self, failed_attempts: int, rng: random.Random) -> float:
        """Seconds to wait after the `failed_attempts`-th failure (1 for the first)."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(failed_attempts - 1, 0))
        return ceiling / 2 + rng.random() * ceiling / 2

    def next_attempt(
        self, failed_attempts: int, first_attempt_at: datetime, now: datetime, rng: random.Random
    ) -> datetime | None:
        """When to try again after a failure, or None: the window is over, give up."""
        if now - first_attempt_at >= timedelta(seconds=self.window_seconds):
            return None
        return now + timedelta(seconds=self.delay(failed_attempts, rng))
