"""Per-token request limits: a caller that floods an endpoint gets 429 with Retry-After.

Fixed one-minute windows. RATE_LIMIT_STORAGE_URI says where they are counted: `memory://`, the
embedded default, counts in each web process (no thread, no store; the limit a token meets
grows with the processes); any other URI names a store of the `limits` library, such as
`redis://host:6379/0`, which shares the count across every process and pod of a deployment, as
Docker Compose and Kubernetes configure it. When that store cannot be reached the request goes
on (logged): a limiter must not take the service down with it.
"""

from __future__ import annotations

import logging
import threading
import time

from limits import storage

log = logging.getLogger(__name__)
WINDOW_SECONDS = 60


class RateLimiter:
    def __init__(self, per_minute: int, storage_uri: str = "memory://"):
        self.per_minute = per_minute
        self._shared = None if storage_uri.startswith("memory://") else storage.storage_from_string(storage_uri)
        self._window = 0
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def refuse(self, subject: str, now: float | None = None) -> int:
        """0 when the request may go on; otherwise the seconds until the next window."""
        if self.per_minute <= 0:
            return 0
        now = time.time() if now is None else now
        window = int(now // WINDOW_SECONDS)
        count = self._count_here(subject, window) if self._shared is None else self._count_shared(subject, window)
        return 0 if count <= self.per_minute else max(int(WINDOW_SECONDS - now % WINDOW_SECONDS), 1)

    def _count_here(self, subject: str, window: int) -> int:
        with self._lock:
            if window != self._window:
                self._window, self._counts = window, {}
            self._counts[subject] = self._counts.get(subject, 0) + 1
            return self._counts[subject]

    def _count_shared(self, subject: str, window: int) -> int:
        try:
            # Kept for two windows: a window's key outlives its minute, never another's.
            return self._shared.incr(f"convene:rate:{subject}:{window}", 2 * WINDOW_SECONDS)
        except Exception as error:
            log.warning("rate limit store unavailable", extra={"error": type(error).__name__})
            return 0
