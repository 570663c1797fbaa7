"""Enrolment's worker with one more consumer whose handler never returns, as a handler stuck on
a lock or a call without a timeout would: its loop stops making progress while the relay goes
on. `python -m tests.integration.stalling_worker`."""

from __future__ import annotations

import threading

from services.enrolment.app import build_runtime
from shared.consumer import Subscription
from shared.contracts.enrolment import ENROLMENT_WAITLISTED
from shared.worker import main


def hang(_envelope, _conn) -> None:
    threading.Event().wait()  # never set


if __name__ == "__main__":
    main(build_runtime, [Subscription("hangs", {ENROLMENT_WAITLISTED.type: hang})])
