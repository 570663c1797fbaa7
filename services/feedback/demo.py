"""Feedback's demo data: session feedback from most people present at the demo's held
sessions, development-needs surveys that differ by region and shift over the last quarters, and
outcome measures before and after. Answers of the past are given at their own time
(`shared.clock.as_of`), so the commissioners' insight has several quarters to show.
`python -m services.cli demo` runs it after scheduling's demo (see `services.demo`).

Feedback learns sessions, attendance, offers and members only from events, so the loader
first waits until its projections hold the demo's held sessions, their attendance and the
offers' members. Every answer then goes through the use cases, as a participant, so the
running aggregates, the suppression pattern and the national-summary stream update as they
would for a real answer. One region (the last with held sessions) hears from only three
people, so its figures are withheld outside the region: suppression is there to see.

London's demo participant (services.demo DEMO_PARTICIPANT) answers nothing here, so a newcomer
signed in as them finds session feedback, the needs survey and outcome measures still to give.

Loading twice changes nothing: a session that has feedback, a region that has needs surveys
and an offer that has outcome measures are left alone. Seeded per session, region and offer,
so the same shape on every machine. Comments are synthetic and say nothing about anyone.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from services.demo import DEMO_PARTICIPANT, WAIT_SECONDS, until_settled, wait_for
from services.feedback.domain.needs import NEEDS
from services.feedback.domain.outcomes import OUTCOME_MEASURES
from services.feedback.store.tables import (
    attendance,
    feedback_responses,
    members,
    needs_responses,
    offers,
    outcome_responses,
    participants,
    sessions,
)
from services.feedback.usecases import answers as answer_usecases
from shared.auth import Principal, Role
from shared.clock import as_of, as_utc, utcnow
from shared.contracts.vocabulary import Recommend
from shared.unit import Unit

SEED = 20260403
ANSWERED_AFTER = timedelta(days=1)  # session feedback comes the day after a session
NEEDS_QUARTERS = 3  # quarters before this one in which each region's members answered the needs survey
RISING, FALLING = "innovation", "dealing_with_conflict"  # needs that move across those quarters
HISTORY_AFTER_DAYS = 60  # a group whose first session is older has met for months (scheduling's demo)
# What each PCN of a region needs more than its region does, in turn, so PCNs differ and group.
PCN_NEEDS = ({"teamwork": 1.2}, {"strategy": 1.0, "leadership": 0.6}, {"engagement": 1.1})
GROWS_WITH_THE_GROUP = ("trust_in_group", "sense_of_direction")
MEMBERS = answer_usecases.MEMBERS
QUIET_RESPONDENTS = 3  # below the threshold of 5
ANSWER_RATE, NEEDS_RATE, BEFORE_RATE = 0.85, 0.8, 0.9
ANONYMOUS_SHARE, COMMENT_SHARE = 0.15, 0.25
COMMENTS = (
    "Useful to hear how other PCNs approach this.",
    "More time for reflection next session, please.",
    "The case discussion was the most helpful part.",
    "Good pace; I will try the framework with my team.",
    "Felt safe to raise a difficult issue.",
    "Would like a shorter first half.",
)
OTHER_NEEDS = ("Succession planning for the PCN team.", "Working with the wider system on estates.")
# The recommend answer a person whose overall score is n tends to give.
RECOMMEND_OF_SCORE = {
    5: Recommend.VERY_GOOD.value,
    4: Recommend.GOOD.value,
    3: Recommend.NEITHER.value,
    2: Recommend.POOR.value,
    1: Recommend.VERY_POOR.value,
}
# Outcome measures 1-7: where people start, and how far they move by the end (isolation falls).
BEFORE = {"confidence": 3.4, "isolation": 4.6, "trust_in_group": 3.5, "sense_of_direction": 3.3}
CHANGE = {"confidence": 1.2, "isolation": -1.0, "trust_in_group": 1.5, "sense_of_direction": 1.1}


def load(
    runtime, *, rosters: dict | None = None, held: dict | None = None, seed: int = SEED, timeout: float = WAIT_SECONDS
) -> dict:
    """Load the demo into feedback. `rosters` (offer id → (status, members), from enrolment)
    and `held` (session id → attendance marks, from scheduling) say what the projections
    must hold first; without them the loader waits until the projections stop changing."""
    wait_for(_projections_missing(runtime, rosters, held), timeout=timeout, what="feedback's projections")
    report = {"feedback": 0, "anonymous": 0, "comments": 0, "needs": 0, "outcomes": 0, "pairs": 0}
    _session_feedback(runtime, held, seed, report)
    _needs_surveys(runtime, rosters, seed, report)
    _outcome_measures(runtime, rosters, seed, report)
    report["loaded"] = any(report[k] for k in ("feedback", "needs", "outcomes"))
    return report


def _projections_missing(runtime, rosters: dict | None, held: dict | None):
    def counts(conn) -> tuple[dict, dict, dict, dict]:
        known = select(sessions.c.session_id).select_from(
            sessions.join(offers, offers.c.offer_id == sessions.c.offer_id)
        )
        marks = select(attendance.c.session_id, func.count()).group_by(attendance.c.session_id)
        in_offer = (
            select(members.c.offer_id, func.count()).where(members.c.status.in_(MEMBERS)).group_by(members.c.offer_id)
        )
        statuses = select(offers.c.offer_id, offers.c.status)
        return (
            {s: True for s in conn.execute(known).scalars()},
            *(dict(conn.execute(q).all()) for q in (marks, in_offer, statuses)),
        )

    def missing() -> str | None:
        with runtime.db.read() as conn:
            known, marks, in_offer, statuses = counts(conn)
        sessions_behind = [s for s, n in (held or {}).items() if s not in known or marks.get(s, 0) != n]
        offers_behind = [
            o for o, (status, n) in (rosters or {}).items() if statuses.get(o) != status or in_offer.get(o, 0) != n
        ]
        if sessions_behind or offers_behind:
            return (
                f"{len(sessions_behind)} of {len(held or {})} held sessions, {len(offers_behind)} of "
                f"{len(rosters or {})} offers"
            )
        return None

    def snapshot() -> tuple:
        with runtime.db.read() as conn:
            known, marks, in_offer, _ = counts(conn)
        return len(known), sum(marks.values()), sum(in_offer.values())

    return missing if rosters is not None or held is not None else until_settled(snapshot)


def _participant(person: str, region: str, conn, runtime) -> Unit:
    return runtime.unit(conn, Principal(person, Role.PARTICIPANT, region))


def _score(rng: random.Random, mean: float, high: int = 5) -> int:
    return max(1, min(high, round(rng.gauss(mean, 0.85))))


# --- session feedback -------------------------------------------------------------------


def _open_sessions(runtime, held: dict | None) -> list[dict]:
    """Held sessions, each with who was present, oldest first per region."""
    now = utcnow()
    query = (
        select(sessions)
        .where(sessions.c.status == "scheduled")
        .order_by(sessions.c.region, sessions.c.starts_at, sessions.c.session_id)
    )
    with runtime.db.read() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings() if held is None or r["session_id"] in held]
        rows = [r for r in rows if as_utc(r["ends_at"]) <= now]
        for row in rows:
            present = select(attendance.c.participant_id).where(
                attendance.c.session_id == row["session_id"], attendance.c.present.is_(True)
            )
            row["present"] = sorted(p for p in conn.execute(present).scalars() if p != DEMO_PARTICIPANT)
            row["answered"] = (
                conn.execute(
                    select(func.count()).where(feedback_responses.c.session_id == row["session_id"])
                ).scalar_one()
                > 0
            )
    return rows


def _session_feedback(runtime, held: dict | None, seed: int, report: dict) -> None:
    """Most people present answer, the day after the session (`as_of`: a session of the spring
    is answered in the spring). The quiet region hears from three people at its latest session
    and from nobody at the others."""
    rows = _open_sessions(runtime, held)
    quiet_region = max((r["region"] for r in rows), default=None)
    quiet_session = [r["session_id"] for r in rows if r["region"] == quiet_region][-1:]  # its latest
    for index, row in enumerate(rows):
        if row["answered"]:
            continue
        rng = random.Random(f"{seed}/feedback/{row['region']}/{index}")
        mood = 3.5 + random.Random(f"{seed}/mood/{row['region']}").random()  # how well the region's sessions go
        if row["region"] == quiet_region:
            people = row["present"][:QUIET_RESPONDENTS] if row["session_id"] in quiet_session else []
        else:
            people = [p for p in row["present"] if rng.random() < ANSWER_RATE]
        if not people:
            continue
        with runtime.db.transaction() as conn, as_of(_answered_at(row)):
            for person in people:
                answer_usecases.give_feedback(
                    _participant(person, row["region"], conn, runtime), row["session_id"], _answer(rng, mood, report)
                )
                report["feedback"] += 1


def _answered_at(session: dict) -> datetime:
    """The day after the session, or when it was put in the calendar if that was later (feedback
    opens then), and never later than now."""
    opens = max(as_utc(session["ends_at"]), as_utc(session["recorded_at"]) or as_utc(session["ends_at"]))
    return min(utcnow(), max(as_utc(session["ends_at"]) + ANSWERED_AFTER, opens))


def _answer(rng: random.Random, mood: float, report: dict) -> dict:
    overall = _score(rng, mood)
    recommend = (
        Recommend.DONT_KNOW.value
        if rng.random() < 0.03
        else RECOMMEND_OF_SCORE[max(1, min(5, overall + (rng.random() < 0.3)))]
    )
    anonymous = rng.random() < ANONYMOUS_SHARE
    comment = rng.choice(COMMENTS) if rng.random() < COMMENT_SHARE else None
    report["anonymous"] += anonymous
    report["comments"] += comment is not None
    answer = {
        "overall": overall,
        "usefulness": _score(rng, overall),
        "will_apply": _score(rng, mood - 0.2),
        "recommend": recommend,
    }
    return answer | {"comment": comment, "anonymous": anonymous}


# --- development-needs surveys and outcome measures ------------------------------------------


def _members_by_offer(runtime, rosters: dict | None, statuses: tuple) -> list[tuple[dict, list[str]]]:
    """(offer, its members) of the offers in `statuses`, by region, type and id."""
    query = (
        select(offers)
        .where(offers.c.status.in_(statuses))
        .order_by(offers.c.region, offers.c.offer_type, offers.c.offer_id)
    )
    with runtime.db.read() as conn:
        chosen = [dict(r) for r in conn.execute(query).mappings() if rosters is None or r["offer_id"] in rosters]
        people = select(members.c.participant_id).where(
            members.c.status.in_(MEMBERS), members.c.participant_id != DEMO_PARTICIPANT
        )
        return [
            (offer, sorted(conn.execute(people.where(members.c.offer_id == offer["offer_id"])).scalars()))
            for offer in chosen
        ]


def _needs_surveys(runtime, rosters: dict | None, seed: int, report: dict) -> None:
    """Each member answers once (for their first offer) now, and in each of the last
    `NEEDS_QUARTERS` quarters before it for their region (`as_of` the middle of that quarter).
    Each region has needs of its own, and each PCN some of its own (`PCN_NEEDS`), the answer
    naming the person's PCN where feedback knows it; across the quarters one need rises
    everywhere (`RISING`) and one falls (`FALLING`), so there is a trend to find."""
    by_region: dict[str, dict[str, str]] = {}
    for offer, people in _members_by_offer(runtime, rosters, ("published", "started", "completed")):
        if offer["region"] != "national":
            for person in people:
                by_region.setdefault(offer["region"], {}).setdefault(person, offer["offer_id"])
    with runtime.db.read() as conn:
        pcn_of = dict(conn.execute(select(participants.c.participant_id, participants.c.pcn_code)).all())
    for region, people in sorted(by_region.items()):
        pcns = sorted({pcn_of[p] for p in people if p in pcn_of})
        with runtime.db.transaction() as conn:
            if conn.execute(select(needs_responses.c.id).where(needs_responses.c.region == region).limit(1)).first():
                continue
            rng = random.Random(f"{seed}/needs/{region}")
            high, low = rng.sample(NEEDS, 2), rng.choice(NEEDS)
            profile = {need: 2.8 + 1.5 * (need in high) - 1.2 * (need == low and need not in high) for need in NEEDS}
            for back in range(NEEDS_QUARTERS, -1, -1):  # the oldest quarter first; 0 is now
                shift = {RISING: -0.5 * back, FALLING: 0.4 * back}
                moment = utcnow() if back == 0 else _middle_of_quarter_before(back)
                with as_of(moment):
                    for person, offer_id in sorted(people.items()):
                        if rng.random() < NEEDS_RATE:
                            other = rng.choice(OTHER_NEEDS) if rng.random() < 0.05 else None
                            pcn = pcn_of.get(person)
                            own = PCN_NEEDS[pcns.index(pcn) % len(PCN_NEEDS)] if pcn else {}
                            ratings = {
                                need: _score(rng, mean + shift.get(need, 0) + own.get(need, 0))
                                for need, mean in profile.items()
                            }
                            body = {
                                "ratings": ratings,
                                "other_needs": other,
                                "offer_id": offer_id if back == 0 else None,
                                "pcn_code": pcn,
                            }
                            answer_usecases.answer_needs(_participant(person, region, conn, runtime), body)
                            report["needs"] += 1


def _middle_of_quarter_before(back: int) -> datetime:
    """The middle of the calendar quarter `back` quarters before this one."""
    today = utcnow().date()
    index = today.year * 4 + (today.month - 1) // 3 - back
    return datetime(index // 4, 3 * (index % 4) + 2, 15, 12, 0, tzinfo=UTC)


def _outcome_measures(runtime, rosters: dict | None, seed: int, report: dict) -> None:
    """Started groups answer before; completed ones, and groups that have met for months, before
    and after (the pairs that count). In a group that has met for months, trust and sense of
    direction grow with how much of it a person attended, as the programme expects; each of
    their "before" answers is given when the group formed (`as_of`)."""
    for offer, people in _members_by_offer(runtime, rosters, ("started", "completed")):
        history = _attendance_shares(runtime, offer["offer_id"])
        with runtime.db.transaction() as conn:
            if conn.execute(
                select(outcome_responses.c.id).where(outcome_responses.c.offer_id == offer["offer_id"]).limit(1)
            ).first():
                continue
            rng = random.Random(f"{seed}/outcomes/{offer['region']}/{offer['offer_type']}")
            completed, long_running = offer["status"] == "completed", history is not None
            for person in people:
                if not completed and rng.random() >= BEFORE_RATE:
                    continue
                before = {m: _score(rng, BEFORE[m], 7) for m in OUTCOME_MEASURES}
                grown = _grown_by_attendance(history.get(person, 0.0)) if long_running else 1.0
                change = {m: CHANGE[m] * (grown if m in GROWS_WITH_THE_GROUP else 1.0) for m in OUTCOME_MEASURES}
                after = {m: max(1, min(7, before[m] + round(rng.gauss(change[m], 0.8)))) for m in OUTCOME_MEASURES}
                answers = [("before", before)] + ([("after", after)] if completed or long_running else [])
                for phase, scores in answers:
                    unit = _participant(person, offer["region"], conn, runtime)
                    given_at = history.formed + timedelta(days=1) if long_running and phase == "before" else utcnow()
                    with as_of(given_at):
                        report["pairs"] += answer_usecases.give_outcome(
                            unit, {"offer_id": offer["offer_id"], "phase": phase, "scores": scores}
                        )["paired"]
                    report["outcomes"] += 1


def _grown_by_attendance(share: float) -> float:
    """How much of the usual change in trust and direction a member of a long-running group
    shows: a little for one who rarely came, more than usual for one who always did."""
    return 0.2 + 1.2 * share


class _History(dict):
    """person -> share of the group's sessions they attended while a member; and when it formed."""

    formed: datetime


def _attendance_shares(runtime, offer_id: str) -> _History | None:
    """For a group that has met since early in the year (its first session is more than
    `HISTORY_AFTER_DAYS` old), each member's attendance share; None for any other offer."""
    with runtime.db.read() as conn:
        first = conn.execute(select(func.min(sessions.c.starts_at)).where(sessions.c.offer_id == offer_id)).scalar()
        if first is None or as_utc(first) > utcnow() - timedelta(days=HISTORY_AFTER_DAYS):
            return None
        held = select(sessions.c.session_id).where(sessions.c.offer_id == offer_id)
        marks = conn.execute(
            select(attendance.c.participant_id, attendance.c.present).where(attendance.c.session_id.in_(held))
        ).all()
    history = _History()
    history.formed = as_utc(first) - timedelta(weeks=1)
    for person in {p for p, _ in marks}:
        mine = [present for p, present in marks if p == person]
        history[person] = sum(mine) / len(mine)
    return history
