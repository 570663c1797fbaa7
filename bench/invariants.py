"""What every drill checks at the end, from the client's records and the services' own tables:
each accepted enrolment is one row; every event enrolment wrote reached scheduling's roster
consumer exactly once in effect, in outbox order per offer; capacity was never exceeded."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from bench.drill_load import EnrolmentLoad
from shared.runtime import Runtime

JOINS = ("org.convene.enrolment.enrolment.confirmed.v1", "org.convene.enrolment.enrolment.promoted.v1")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


def roster_types() -> set[str]:
    from services.scheduling.handlers import SUBSCRIPTIONS

    return set(next(s for s in SUBSCRIPTIONS if s.name == "rosters").handlers)


def _handled_outbox(enrolment: Runtime) -> list:
    outbox = enrolment.db.tables.outbox
    with enrolment.db.read() as conn:
        rows = conn.execute(
            select(outbox.c.id, outbox.c.event_id, outbox.c.event_type, outbox.c.key, outbox.c.published_at).order_by(
                outbox.c.id
            )
        ).all()
    wanted = roster_types()
    return [row for row in rows if row.event_type in wanted]


def _inbox(scheduling: Runtime, group: str) -> dict:
    inbox = scheduling.db.tables.inbox
    with scheduling.db.read() as conn:
        return {
            row.event_id: row.processed_at
            for row in conn.execute(select(inbox.c.event_id, inbox.c.processed_at).where(inbox.c.consumer == group))
        }


def converge(enrolment: Runtime, scheduling: Runtime, group: str, timeout: float = 120.0) -> float:
    """Wait until every event is published and applied; the seconds it took (or raise)."""
    started = time.monotonic()
    while True:
        events = _handled_outbox(enrolment)
        if (
            events
            and all(e.published_at is not None for e in events)
            and {e.event_id for e in events} <= set(_inbox(scheduling, group))
        ):
            time.sleep(1.0)  # anything applied twice would show now
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"events did not all reach scheduling within {timeout:.0f}s")
        time.sleep(0.5)


def check_all(
    load: EnrolmentLoad,
    enrolment: Runtime,
    scheduling: Runtime,
    group: str,
    *,
    ignore_event_ids: frozenset = frozenset(),
) -> tuple[list[Check], dict]:
    from services.enrolment.store.offers import miscounted
    from services.enrolment.store.tables import enrolments, offers
    from services.scheduling.store.tables import memberships
    from services.scheduling.store.tables import offers as projected_offers

    events = _handled_outbox(enrolment)
    applied = {k: v for k, v in _inbox(scheduling, group).items() if k not in ignore_event_ids}
    with enrolment.db.read() as conn:
        rows = conn.execute(
            select(
                enrolments.c.id,
                enrolments.c.offer_id,
                enrolments.c.participant_id,
                enrolments.c.status,
                enrolments.c.waitlist_position,
            )
        ).all()
        capacity = dict(conn.execute(select(offers.c.id, offers.c.capacity)).all())
        wrong_counts = miscounted(conn)
    with scheduling.db.read() as conn:
        periods = conn.execute(
            select(memberships.c.offer_id, memberships.c.participant_id, memberships.c.left_at)
        ).all()
        projected_capacity = dict(conn.execute(select(projected_offers.c.offer_id, projected_offers.c.capacity)).all())
        membership_rows = conn.execute(select(func.count()).select_from(memberships)).scalar_one()
    checks = _client_checks(load, rows)
    sent = {e.event_id for e in events}
    lost, extra = sent - set(applied), set(applied) - sent
    checks.append(
        Check(
            "no event lost: every roster event of the outbox is in scheduling's inbox",
            not lost,
            f"{len(lost)} missing of {len(sent)}",
        )
    )
    checks.append(Check("nothing applied that enrolment did not write", not extra, f"{len(extra)} unknown event ids"))
    joins = sum(1 for e in events if e.event_type in JOINS)
    checks.append(
        Check(
            "no double application: one membership period per confirmed or promoted event",
            membership_rows == joins,
            f"{membership_rows} periods, {joins} join events",
        )
    )
    checks.append(_order_check(events, applied))
    checks += _projection_checks(rows, periods, capacity, projected_capacity)
    checks.append(
        Check(
            "each offer's stored places taken and waitlist length equal its enrolments' rows",
            not wrong_counts,
            f"{len(wrong_counts)} of {len(capacity)} offers miscounted: {wrong_counts[:3]}",
        )
    )
    counts = {
        "enrolments": len(rows),
        "roster_events": len(sent),
        "applied": len(set(applied) & sent),
        "membership_periods": membership_rows,
    }
    return checks, counts


def _client_checks(load: EnrolmentLoad, rows) -> list[Check]:
    by_id = {row.id: row for row in rows}
    accepted = [o for o in load.orders if o.accepted]
    mixed = [o.key for o in accepted if len({a[1] for a in o.answers if a[0] == 201}) > 1]
    unknown = [o.key for o in accepted if o.accepted["id"] not in by_id]
    per_person = Counter((row.offer_id, row.participant_id) for row in rows)
    return [
        Check(
            "every order was answered",
            len(accepted) == len(load.orders) and not load.failures,
            f"{len(accepted)} of {len(load.orders)} accepted; {load.failures[:3]}",
        ),
        Check(
            "a retried order got its original enrolment back, never a second one",
            not mixed and not unknown,
            f"{len(mixed)} changed, {len(unknown)} unknown ids",
        ),
        Check(
            "one enrolment row per accepted order",
            len(rows) == len(accepted) and max(per_person.values(), default=1) == 1,
            f"{len(rows)} rows for {len(accepted)} orders",
        ),
    ]


def _order_check(events, applied: dict) -> Check:
    by_key = defaultdict(list)
    for event in events:
        if event.event_id in applied:
            by_key[event.key].append((applied[event.event_id], event.id))
    out_of_order = [
        key
        for key, seen in by_key.items()
        if [outbox_id for _, outbox_id in sorted(seen)] != sorted(outbox_id for _, outbox_id in seen)
    ]
    return Check(
        "per-key order: each offer's events applied in outbox order",
        not out_of_order,
        f"{len(out_of_order)} of {len(by_key)} offers out of order",
    )


def _projection_checks(rows, periods, capacity: dict, projected_capacity: dict) -> list[Check]:
    confirmed = defaultdict(set)
    waitlist = defaultdict(list)
    for row in rows:
        if row.status == "confirmed":
            confirmed[row.offer_id].add(row.participant_id)
        elif row.status == "waitlisted":
            waitlist[row.offer_id].append(row.waitlist_position)
    members = defaultdict(set)
    for period in periods:
        if period.left_at is None:
            members[period.offer_id].add(period.participant_id)
    mismatched = [o for o in capacity if confirmed.get(o, set()) != members.get(o, set())]
    over = [o for o, places in capacity.items() if len(confirmed.get(o, ())) > places]
    over_projected = [o for o, ms in members.items() if o in projected_capacity and len(ms) > projected_capacity[o]]
    collisions = [o for o, positions in waitlist.items() if len(positions) != len(set(positions))]
    return [
        Check(
            "scheduling's rosters equal enrolment's confirmed members",
            not mismatched,
            f"{len(mismatched)} of {len(capacity)} offers differ",
        ),
        Check(
            "capacity never exceeded (enrolment and scheduling)",
            not over and not over_projected,
            f"{len(over)} over in enrolment, {len(over_projected)} in scheduling",
        ),
        Check(
            "waitlist positions unique per offer", not collisions, f"{len(collisions)} offers with a repeated position"
        ),
    ]
