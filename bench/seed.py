"""Data the benchmarks and drills start from, written straight into each service's tables (not
measured): reference data, participants, offers, a roster projection, and a million feedback
answers with the aggregates that feedback's own rebuild computes from them."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import Table, insert

from shared.contracts.vocabulary import NATIONAL, OfferType, Recommend, Region
from shared.db import Database
from shared.runtime import Runtime

SAMPLE = Path(__file__).resolve().parent.parent / "services" / "enrolment" / "data" / "sample"
LONDON, CAMDEN = "Y56", "U10001"  # a London PCN of the sample ODS files
BATCH = 20_000


def bulk_insert(db: Database, table: Table, rows: Iterable[dict], batch: int = BATCH) -> int:
    """Insert rows in large executemany batches, one transaction per batch."""
    count, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            count += _flush(db, table, chunk)
    return count + (_flush(db, table, chunk) if chunk else 0)


def _flush(db: Database, table: Table, chunk: list) -> int:
    with db.transaction() as conn:
        conn.execute(insert(table), chunk)
    size = len(chunk)
    chunk.clear()
    return size


# --- enrolment ---------------------------------------------------------------------------


def reference_data(enrolment: Runtime) -> None:
    from services.enrolment.usecases.reference import import_files

    with enrolment.db.transaction() as conn:
        import_files(conn, (SAMPLE / "epcn.csv").read_text(), (SAMPLE / "gp-reg-pat-prac-map.csv").read_text())


def participants(enrolment: Runtime, count: int, *, pcn: str = CAMDEN) -> list[str]:
    """`count` synthetic London participants (obviously fake: example.invalid addresses), their
    names and e-mails sealed under data keys of their own as registration seals them."""
    from services.enrolment import personal
    from services.enrolment.store.tables import data_keys
    from services.enrolment.store.tables import participants as table
    from shared import data_keys as keys
    from shared.sealing import new_data_key

    now = datetime.now(UTC)
    with enrolment.db.transaction() as conn:
        ring, index_key = keys.ring_of(conn), keys.service_key(conn, personal.EMAIL_INDEX_KEY)
    rows, wrapped = [], []
    for n in range(count):
        person_id, key, email = str(uuid.uuid4()), new_data_key(), f"bench{n}.{uuid.uuid4().hex[:6]}@example.invalid"
        rows.append(
            {
                "id": person_id,
                **personal.sealed_columns(key, person_id, f"Bench Person {n}", email),
                "email_index": personal.email_index(index_key, email),
                "role": "clinical_director",
                "pcn_code": pcn,
                "practice_code": None,
                "leadership_experience": "practice",
                "created_at": now,
            }
        )
        wrapped.append({"record_id": person_id, "wrapped": ring.wrap(key, person_id), "created_at": now})
    bulk_insert(enrolment.db, table, rows)
    bulk_insert(enrolment.db, data_keys, wrapped)
    return [row["id"] for row in rows]


def offers(
    base_url: str, headers: dict, count: int, *, capacity: int, offer_type: str = "regional_programme"
) -> list[str]:
    """Published offers created through the API, so their events are in the outbox."""
    body = {
        "offer_type": offer_type,
        "title": "Bench programme",
        "capacity": capacity,
        "starts_on": "2027-01-04",
        "ends_on": "2027-12-20",
        "planned_sessions": 6,
    }
    if offer_type == "action_learning_set":
        body["basis"] = "project"
    made = []
    with requests.Session() as http:
        for _ in range(count):
            created = http.post(f"{base_url}/v1/offers", json=body, headers=headers, timeout=30)
            created.raise_for_status()
            offer_id = created.json()["id"]
            http.post(f"{base_url}/v1/offers/{offer_id}/publish", headers=headers, timeout=30).raise_for_status()
            made.append(offer_id)
    return made


def enrolments(enrolment: Runtime, offer_ids: list[str], people: list[str], *, per_offer: int, capacity: int) -> int:
    """`per_offer` enrolments in each offer, written straight into the table: the first
    `capacity` confirmed, the rest waitlisted 1..n; then the offers' stored counts are set from
    them (store.offers.recount), as every write through the service keeps them."""
    from services.enrolment.store.offers import recount
    from services.enrolment.store.tables import enrolments as table

    if per_offer > len(people):
        raise ValueError(f"{per_offer} enrolments an offer need as many people; {len(people)} given")
    now = datetime.now(UTC)
    rows = (
        {
            "id": str(uuid.uuid4()),
            "offer_id": offer_id,
            "participant_id": people[k],
            "status": "confirmed" if k < capacity else "waitlisted",
            "waitlist_position": None if k < capacity else k - capacity + 1,
            "requested_at": now,
            "updated_at": now,
        }
        for offer_id in offer_ids
        for k in range(per_offer)
    )
    written = bulk_insert(enrolment.db, table, rows)
    with enrolment.db.transaction() as conn:
        recount(conn)
    return written


# --- scheduling ---------------------------------------------------------------------------


SEEDED_ROSTER_VERSION = 1  # of every seeded roster: what a conditional read names in If-None-Match


def rosters(scheduling: Runtime, offer_count: int, members_per_offer: int) -> list[str]:
    """Scheduling's roster projection as enrolment's events would leave it."""
    from services.scheduling.store.tables import memberships
    from services.scheduling.store.tables import offers as offer_table

    ids = [str(uuid.uuid4()) for _ in range(offer_count)]
    bulk_insert(
        scheduling.db,
        offer_table,
        (
            {
                "offer_id": o,
                "region": LONDON,
                "offer_type": "regional_programme",
                "title": "Bench programme",
                "capacity": members_per_offer,
                "status": "published",
                "session_allowance": None,
                "roster_version": SEEDED_ROSTER_VERSION,
            }
            for o in ids
        ),
    )
    joined = datetime.now(UTC) - timedelta(days=30)
    bulk_insert(
        scheduling.db,
        memberships,
        (
            {
                "offer_id": o,
                "participant_id": str(uuid.uuid4()),
                "enrolment_id": str(uuid.uuid4()),
                "status": "confirmed",
                "joined_at": joined + timedelta(seconds=n),
                "left_at": None,
            }
            for o in ids
            for n in range(members_per_offer)
        ),
    )
    return ids


# --- feedback ------------------------------------------------------------------------------


def feedback_answers(
    feedback: Runtime,
    responses: int,
    *,
    per_session: int = 20,
    sessions_per_offer: int = 25,
    months: int = 24,
    seed: int = 8,
) -> dict:
    """`responses` session-feedback answers over realistic groups (about `per_session` answers
    per session, a few more attendees than answers), then feedback's rebuild of its aggregates."""
    from services.feedback.rebuild import rebuild
    from services.feedback.store.tables import attendance, feedback_responses, sessions
    from services.feedback.store.tables import offers as offer_table

    rng = random.Random(seed)
    session_count = max(1, responses // per_session)
    offer_count = max(1, session_count // sessions_per_offer)
    regions = (*Region.values(), NATIONAL)
    offer_types = OfferType.values()
    offer_rows = [
        {
            "offer_id": str(uuid.uuid4()),
            "region": regions[n % len(regions)],
            "offer_type": offer_types[n % len(offer_types)],
            "status": "started",
        }
        for n in range(offer_count)
    ]
    first_day = datetime(2025, 1, 6, 10, tzinfo=UTC)
    session_rows = []
    for n in range(session_count):
        offer = offer_rows[n % offer_count]
        starts = first_day + timedelta(days=rng.randrange(months * 30), hours=rng.randrange(6))
        session_rows.append(
            {
                "session_id": str(uuid.uuid4()),
                "offer_id": offer["offer_id"],
                "region": offer["region"],
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2),
                "sequence": 0,
                "status": "scheduled",
            }
        )
    answers_of = _answers_per_session(responses, session_count)
    bulk_insert(feedback.db, offer_table, offer_rows)
    bulk_insert(feedback.db, sessions, session_rows)
    bulk_insert(feedback.db, attendance, _attendance(session_rows, answers_of))
    bulk_insert(
        feedback.db,
        feedback_responses,
        _responses(rng, session_rows, answers_of, {o["offer_id"]: o for o in offer_rows}),
    )
    started = time.perf_counter()
    rebuilt = rebuild(feedback)
    return {
        "responses": responses,
        "sessions": session_count,
        "offers": offer_count,
        **rebuilt,
        "rebuild_seconds": round(time.perf_counter() - started, 1),
    }


def _answers_per_session(responses: int, sessions: int) -> list[int]:
    base, extra = divmod(responses, sessions)
    return [base + (1 if n < extra else 0) for n in range(sessions)]


def _attendance(session_rows: list[dict], answers_of: list[int]) -> Iterator[dict]:
    for session, answers in zip(session_rows, answers_of):
        for k in range(answers + 2):  # two attendees who did not answer
            yield {
                "session_id": session["session_id"],
                "participant_id": f"{session['offer_id'][:8]}-{k}",
                "present": True,
                "recorded_at": session["ends_at"],
            }


def _responses(
    rng: random.Random, session_rows: list[dict], answers_of: list[int], offers_by_id: dict
) -> Iterator[dict]:
    for session, answers in zip(session_rows, answers_of):
        offer = offers_by_id[session["offer_id"]]
        for k in range(answers):
            anonymous = rng.random() < 0.3
            yield {
                "id": str(uuid.uuid4()),
                "session_id": session["session_id"],
                "offer_id": offer["offer_id"],
                "offer_type": offer["offer_type"],
                "region": offer["region"],
                "participant_id": None if anonymous else f"{offer['offer_id'][:8]}-{k}",
                "anonymous": anonymous,
                "overall": rng.randint(2, 5),
                "usefulness": rng.randint(1, 5),
                "will_apply": rng.randint(2, 5),
                "recommend": rng.choice(Recommend.values()),
                "comment": None,
                "given_on": None if anonymous else date(2025, 1, 6),
            }
