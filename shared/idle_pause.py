"""How long a polling loop waits when it found nothing to do.

An idle relay used to read its outbox every 10 ms for ever: about 9 % of a core per worker,
doing nothing. Waiting longer costs latency only for the first event after a quiet spell, so
the pause stays short while work is recent (a steady trickle, as in the end-to-end benchmark,
never leaves it) and grows only after a stretch of idleness.
"""

from __future__ import annotations

import time

SHORT_FOR_SECONDS = 1.0  # idleness that still counts as "between two events of a stream"


class IdlePause:
    def __init__(self, shortest: float, longest: float, *, clock=time.monotonic):
        self.shortest = shortest
        self.longest = max(longest, shortest)
        self.clock = clock
        self._idle_since: float | None = None
        self._current = shortest

    def worked(self) -> None:
        """Something was done: the next pause is the shortest again."""
        self._idle_since = None
        self._current = self.shortest

    def next(self) -> float:
        """The pause after a round that found nothing to do."""
        now = self.clock()
        if self._idle_since is None:
            self._idle_since = now
        if now - self._idle_since < SHORT_FOR_SECONDS:
            return self.shortest
        self._current = min(self._current * 2, self.longest)
        return self._current
