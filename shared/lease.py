"""A lease in the database: the right to do one thing (publish a service's outbox, send its
e-mails) held by one process at a time, by name, in the shared `relay_lease` table.

It is renewed only once less than `renew_within` seconds are left, not every round: an idle
holder then costs one read per round, not a committed write (an fsync on PostgreSQL) many
times a second. The holder's own clock (monotonic) says how long it surely holds it.
"""

from __future__ import annotations

import socket
import time
import uuid
from datetime import timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from shared.clock import utcnow
from shared.db import Database


class Lease:
    def __init__(self, db: Database, name: str, *, seconds: float, renew_within: float):
        self.db, self.name = db, name
        self.seconds, self.renew_within = seconds, renew_within
        self.table = db.tables.relay_lease
        self.holder = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self._held_until = 0.0  # monotonic time until which the lease surely holds

    def hold(self) -> bool:
        """True while this process holds the lease (taking or renewing it when due)."""
        if self._held_until - time.monotonic() > self.renew_within:
            return True
        started = time.monotonic()
        if self._take():
            self._held_until = started + self.seconds
            return True
        self._held_until = 0.0
        return False

    def lapse(self) -> None:
        """Forget that it is held (after an outage that may have outlasted it): take it again first."""
        self._held_until = 0.0

    def release(self) -> None:
        """Give it up now, so another process need not wait for it to expire."""
        self._held_until = 0.0
        with self.db.transaction() as conn:
            conn.execute(
                update(self.table)
                .where(self.table.c.name == self.name, self.table.c.holder == self.holder)
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )

    def _take(self) -> bool:
        now = utcnow()
        with self.db.transaction() as conn:
            taken = conn.execute(
                update(self.table)
                .where(self.table.c.name == self.name)
                .where((self.table.c.holder == self.holder) | (self.table.c.expires_at < now))
                .values(holder=self.holder, expires_at=now + timedelta(seconds=self.seconds))
            ).rowcount
            if taken:
                return True
            exists = conn.execute(select(self.table.c.name).where(self.table.c.name == self.name)).first()
        return False if exists else self._create(now)

    def _create(self, now) -> bool:
        try:
            with self.db.transaction() as conn:
                conn.execute(
                    insert(self.table).values(
                        name=self.name, holder=self.holder, expires_at=now + timedelta(seconds=self.seconds)
                    )
                )
            return True
        except IntegrityError:
            return False  # another process created it first
