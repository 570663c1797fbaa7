"""The steady client load of the drills: enrolments at a fixed rate, each with its own
Idempotency-Key, retried with the same key until answered (connection refused, timeout or
5xx: the client cannot know whether the first attempt committed); and every few accepted
places, a withdrawal, so that waitlisted people are promoted and order per offer matters."""

from __future__ import annotations

import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

RETRY_FOR_SECONDS = 180.0
TIMEOUT_SECONDS = 5.0
WITHDRAW_EVERY = 5


@dataclass
class Order:
    key: str
    offer_id: str
    participant_id: str
    attempts: int = 0
    answers: list = field(default_factory=list)  # (status, enrolment id, replayed) of each answered attempt
    withdrawn: bool = False

    @property
    def accepted(self) -> dict | None:
        """The 201 the client finally holds (its first one: every later one must repeat it)."""
        return next(({"id": a[1], "replayed": a[2]} for a in self.answers if a[0] == 201), None)


class EnrolmentLoad:
    def __init__(
        self, base_url: str, headers: dict, offers: list[str], participants: list[str], *, rate: float, seed: int = 1
    ):
        self.base_url, self.headers, self.offers = base_url, headers, offers
        self.people = list(participants)
        self.rate = rate
        self.orders: list[Order] = []
        self.withdrawals: list[tuple[str, int]] = []  # (enrolment id, final status)
        self.failures: list[str] = []
        self._random = random.Random(seed)
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=16)
        self._thread = threading.Thread(target=self._schedule, daemon=True)
        self._lock = threading.Lock()

    def start(self) -> EnrolmentLoad:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sending new orders and wait until every order in flight was answered or gave up."""
        self._stop.set()
        self._thread.join()
        self._pool.shutdown(wait=True)

    def _schedule(self) -> None:
        started, sent = time.monotonic(), 0
        while not self._stop.is_set() and self.people:
            due = started + sent / self.rate
            if (wait := due - time.monotonic()) > 0 and self._stop.wait(wait):
                break
            order = Order(str(uuid.uuid4()), self._random.choice(self.offers), self.people.pop())
            with self._lock:
                self.orders.append(order)
            self._pool.submit(self._place, order)
            sent += 1

    def _place(self, order: Order) -> None:
        url = f"{self.base_url}/v1/offers/{order.offer_id}/enrolments"
        headers = {**self.headers, "Idempotency-Key": order.key}
        status = self._until_answered(
            order,
            lambda: requests.post(
                url, json={"participant_id": order.participant_id}, headers=headers, timeout=TIMEOUT_SECONDS
            ),
        )
        if status == 201 and order.answers[-1][1] and self._due_withdrawal():
            self._withdraw(order)

    def _due_withdrawal(self) -> bool:
        with self._lock:
            accepted = sum(1 for o in self.orders if o.accepted)
        return accepted % WITHDRAW_EVERY == 0

    def _withdraw(self, order: Order) -> None:
        enrolment_id = order.accepted["id"]
        url = f"{self.base_url}/v1/enrolments/{enrolment_id}/withdraw"
        attempts = []
        status = self._until_answered(
            None, lambda: requests.post(url, headers=self.headers, timeout=TIMEOUT_SECONDS), attempts
        )
        # A retried withdrawal whose first attempt committed is refused as already withdrawn.
        order.withdrawn = status == 200 or (status == 409 and len(attempts) > 1)
        with self._lock:
            self.withdrawals.append((enrolment_id, status))

    def _until_answered(self, order: Order | None, send, attempts: list | None = None) -> int:
        attempts = attempts if attempts is not None else []
        deadline = time.monotonic() + RETRY_FOR_SECONDS
        delay = 0.2
        while True:
            attempts.append(1)
            if order is not None:
                order.attempts += 1
            try:
                response = send()
                if response.status_code < 500:
                    if order is not None:
                        body = response.json() if response.content else {}
                        order.answers.append(
                            (
                                response.status_code,
                                body.get("id"),
                                response.headers.get("Idempotent-Replayed") == "true",
                            )
                        )
                        if response.status_code != 201:
                            self.failures.append(
                                f"order {order.key}: HTTP {response.status_code} {body.get('type', '')}"
                            )
                    return response.status_code
            except requests.RequestException:
                pass  # not answered: the first attempt may or may not have committed
            if time.monotonic() > deadline:
                self.failures.append("a request was never answered within the retry window")
                return 0
            time.sleep(delay)
            delay = min(delay * 1.5, 2.0)

    def counts(self) -> dict:
        accepted = [o for o in self.orders if o.accepted]
        return {
            "orders": len(self.orders),
            "accepted": len(accepted),
            "retried": sum(1 for o in self.orders if o.attempts > 1),
            "answered_from_idempotency_record": sum(1 for o in accepted if any(a[2] for a in o.answers)),
            "withdrawals": sum(1 for o in self.orders if o.withdrawn),
            "client_failures": len(self.failures),
        }
