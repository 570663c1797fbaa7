"""Per-token request limits: a caller that floods an endpoint gets 429 with Retry-After.

Counted per web process in fixed one-minute windows: simple, no shared store, and each
process still protects itself (the limit a token meets is this figure per process).
"""
from __future__ import annotations

import threading
import time


class RateLimiter:
    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._window = 0
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def refuse(self, subject: str, now: float | None = None) -> int:
        """0 when the request may go on; otherwise the seconds until the next window."""
        if self.per_minute <= 0:
            return 0
        now = time.time() if now is None else now
        window = int(now // 60)
        with self._lock:
            if window != self._window:
                self._window, self._counts = window, {}
            self._counts[subject] = self._counts.get(subject, 0) + 1
            if self._counts[subject] <= self.per_minute:
                return 0
        return max(int(60 - now % 60), 1)
