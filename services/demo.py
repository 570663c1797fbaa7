"""The demo across the three services, in the order events flow between them: enrolment's
people and offers; then scheduling's facilitators, sessions and attendance, once its roster
projection has caught up with enrolment's events; then feedback's answers, once it knows the
sessions held and who was present. `python -m services.cli demo` runs `load_all` while the
workers are up. Every loader is idempotent, so running it again changes nothing.

Services never read each other's databases; this operator tool does, only to tell each
loader what to wait for (how many members each offer has, which sessions were held).

A newcomer signs in as one of the demo people (services/console/identity_provider.py
DEMO_PEOPLE). A participant, facilitator or coach is known to the services by their Convene id,
which is random for everyone else; so the loaders give London's demo participant, facilitator and
coach the fixed ids below, which the development identity provider also names.

One process reaches all three databases. Each service's settings are read from the
environment with `<SERVICE>__NAME` variables taking the place of NAME (for example
SCHEDULING__DATABASE_URL, FEEDBACK__CONVENE_DATA_DIR, which holds feedback's development
pepper). Without them `make up`'s services get a SQLite file each; where one DATABASE_URL
would make scheduling or feedback write into enrolment's database, only enrolment's demo loads.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import timedelta

from sqlalchemy import func, select

WAIT_SECONDS = 180.0
POLL_SECONDS = 0.5
ROSTER_STATUSES = ("published", "started", "completed")  # offers whose rosters travel as events
MEMBER_STATUSES = ("confirmed", "completed")


def demo_id(who: str) -> str:
    """The fixed Convene id of a demo person: the same on every machine and every load."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://demo.convene.invalid/people/{who}"))


# London's demo people, as enrolment and scheduling know them. The participant is in London's
# started action learning set and present at every session it has held, and has answered nothing
# in feedback yet; the facilitator leads that set; the coach holds London's coaching bookings.
DEMO_REGION = "Y56"
DEMO_PARTICIPANT = demo_id("participant-y56")
DEMO_FACILITATOR = demo_id("facilitator-y56")
DEMO_COACH = demo_id("coach-y56")

# Enrolment's demo enrols a started group's members this long before the group starts, in its
# own time (shared.clock.as_of); scheduling's demo reads when a group formed from that.
ENROLLED_BEFORE = timedelta(days=14)


class DemoTimeout(RuntimeError):
    """A loader gave up waiting for events from another service (are the workers running?)."""


def wait_for(missing: Callable[[], str | None], *, timeout: float, what: str) -> None:
    """Poll until `missing()` answers None; `missing()` says what is still missing."""
    deadline = time.monotonic() + timeout
    while (gap := missing()) is not None:
        if time.monotonic() > deadline:
            raise DemoTimeout(f"{what}: still missing after {timeout:.0f}s: {gap} (are the workers and Kafka running?)")
        time.sleep(POLL_SECONDS)


def until_settled(snapshot: Callable[[], tuple], polls: int = 4) -> Callable[[], str | None]:
    """A `missing` check for when nobody says what to expect: something has arrived and
    `snapshot()` (counts of the projection) stayed the same over `polls` polls."""
    seen: list[tuple] = []

    def missing() -> str | None:
        seen.append(snapshot())
        recent = seen[-polls:]
        if not any(recent[-1]):
            return "nothing has arrived yet"
        return None if len(recent) == polls and len(set(recent)) == 1 else "events are still arriving"

    return missing


def enrolment_rosters(runtime) -> dict[str, tuple[str, int]]:
    """offer id → (status, members) of every offer enrolment has published: what the other
    services' projections will hold once enrolment's events have reached them."""
    from services.enrolment.store.tables import enrolments, offers

    members = func.count(enrolments.c.id).filter(enrolments.c.status.in_(MEMBER_STATUSES))
    query = (
        select(offers.c.id, offers.c.status, members)
        .select_from(offers.outerjoin(enrolments, enrolments.c.offer_id == offers.c.id))
        .where(offers.c.status.in_(ROSTER_STATUSES))
        .group_by(offers.c.id, offers.c.status)
    )
    with runtime.db.read() as conn:
        return {offer_id: (status, count) for offer_id, status, count in conn.execute(query)}


def service_environ(service: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment `service`'s settings are read from: `<SERVICE>__NAME` stands for NAME."""
    prefix = f"{service.upper()}__"
    return {
        **environ,
        **{name.removeprefix(prefix): value for name, value in environ.items() if name.startswith(prefix)},
    }


def demo_runtimes(environ: Mapping[str, str] | None = None) -> tuple[dict, list[str]]:
    """Each service's runtime, and the services left out because they would share
    enrolment's database (their tables would land in it)."""
    from services.registry import SERVICES, declaration

    environ = os.environ if environ is None else environ
    settings = {name: declaration(name).load_settings(service_environ(name, environ)) for name in SERVICES}
    shared = [name for name in SERVICES[1:] if settings[name].database_url == settings["enrolment"].database_url]
    chosen = SERVICES[:1] if shared else SERVICES
    return {name: declaration(name).build_runtime(settings[name]) for name in chosen}, shared


def load_all(runtimes: dict, *, timeout: float = WAIT_SECONDS) -> dict[str, dict]:
    """Run the loaders in order; `runtimes` maps each service's name to its runtime
    (enrolment alone, or all three)."""
    from services.registry import declaration

    enrolment = declaration("enrolment").demo(runtimes["enrolment"])
    if "scheduling" not in runtimes:
        return {"enrolment": enrolment}
    rosters = enrolment_rosters(runtimes["enrolment"])
    scheduling = declaration("scheduling").demo(runtimes["scheduling"], rosters=rosters, timeout=timeout)
    feedback = declaration("feedback").demo(
        runtimes["feedback"], rosters=rosters, held=scheduling["held"], timeout=timeout
    )
    return {"enrolment": enrolment, "scheduling": scheduling, "feedback": feedback}
