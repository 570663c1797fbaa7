"""Demo data, so that a new user meets a living system after `make up`: every region, dozens
of PCNs with their practices, a few hundred participants of every role and experience,
offers of every type in every state, enrolments, waitlists and a national offer.

Generated from a fixed seed (the same data on every machine) and loaded through the same
use cases as the API, in one transaction, so every event reaches the other services through
the outbox. Loading twice changes nothing. Everyone is obviously synthetic: surnames such as
"Example" and "Placeholder", e-mail addresses at demo.convene.invalid (a reserved domain).
`python -m services.cli demo`.
"""

from __future__ import annotations

import csv
import io
import random
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Connection

from services.demo import DEMO_PARTICIPANT, DEMO_REGION, ENROLLED_BEFORE
from services.enrolment.domain.offers import OfferAction
from services.enrolment.store import attendance
from services.enrolment.usecases import enrolments, offers, reference
from services.enrolment.usecases import participants as participant_cases
from shared.auth import Principal, Role
from shared.clock import as_of
from shared.contracts.common import LEADERSHIP_EXPERIENCE, PARTICIPANT_ROLES
from shared.contracts.vocabulary import NATIONAL
from shared.regions import REGIONS
from shared.unit import Unit

SEED = 20260401
# The groups that have met since early in the year (`_since_the_spring`): formed this many days
# ago (three quarters and more), three of the set leaving this many days in, and the people of
# each region they take (after the 23 the other offers take).
HISTORY_DAYS = 280
LEFT_AFTER_DAYS = 150
LONG_RUNNING_PEOPLE = 43
EMAIL_DOMAIN = "demo.convene.invalid"
PCNS_PER_REGION = 5
PRACTICES_PER_PCN = 3
PEOPLE = 400
FIRST_NAMES = (
    "Alex",
    "Sam",
    "Jo",
    "Robin",
    "Charlie",
    "Morgan",
    "Jamie",
    "Casey",
    "Riley",
    "Taylor",
    "Jordan",
    "Avery",
    "Quinn",
    "Rowan",
    "Sasha",
    "Kit",
)
SURNAMES = ("Example", "Sample", "Placeholder", "Testperson", "Fictional", "Specimen", "Demo", "Madeup")
PLACES = ("Ash", "Oak", "Elm", "Brook", "Mill", "Stone", "Kings", "Castle", "River", "Fern", "Briar", "Heath")
ENDINGS = ("field", "ford", "ton", "bury", "ley", "wick", "mere", "dale")
QUARTERS = ("North", "South", "Central", "Vale", "Coast")
# Most people are practice or PCN staff with little board experience; a few have sat on boards.
ROLE_WEIGHTS = (0, 14, 16, 24, 18, 12, 6)  # clinical directors are placed one per PCN first
EXPERIENCE_WEIGHTS = (35, 35, 20, 10)


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    role: str
    pcn_code: str
    practice_code: str
    leadership_experience: str


@dataclass(frozen=True)
class DemoData:
    epcn_csv: str
    practice_map_csv: str
    pcns: dict[str, list[str]]  # region -> its PCN codes
    people: list[Person]


def generate(seed: int = SEED) -> DemoData:
    """The demo's reference data and people: pure, the same for the same seed."""
    rng = random.Random(seed)
    epcn, practice_map = io.StringIO(), io.StringIO()
    epcn_rows, map_rows = csv.writer(epcn), csv.writer(practice_map)
    map_rows.writerow(
        [
            "PRACTICE_CODE",
            "PRACTICE_NAME",
            "PCN_CODE",
            "PCN_NAME",
            "SUB_ICB_LOCATION_CODE",
            "ICB_CODE",
            "COMM_REGION_CODE",
            "COMM_REGION_NAME",
        ]
    )
    pcns: dict[str, list[str]] = {}
    practices: dict[str, list[str]] = {}
    for r, (region, region_name) in enumerate(sorted(REGIONS.items()), start=1):
        for i in range(1, PCNS_PER_REGION + 1):
            code, name, sub_icb = (
                f"U9{r}{i:03d}",
                f"{rng.choice(PLACES)}{rng.choice(ENDINGS)} {rng.choice(QUARTERS)} PCN",
                f"9{r}{'ABCDE'[i - 1]}",
            )
            epcn_rows.writerow(
                [
                    code,
                    name.upper(),
                    sub_icb,
                    f"NHS DEMO ICB {r} - {sub_icb}",
                    "20190701",
                    "",
                    "1 DEMO ROAD",
                    "",
                    "",
                    "",
                    "",
                    f"ZZ{r} {i}AA",
                ]
            )
            pcns.setdefault(region, []).append(code)
            for j in range(1, PRACTICES_PER_PCN + 1):
                practice = f"Z{r}{i:02d}{j:02d}"
                map_rows.writerow(
                    [
                        practice,
                        f"{rng.choice(PLACES).upper()} SURGERY",
                        code,
                        name.upper(),
                        sub_icb,
                        f"QZ{r}",
                        region,
                        region_name.upper(),
                    ]
                )
                practices.setdefault(code, []).append(practice)
    people = [_person(rng, n, pcn, practices, "clinical_director") for n, pcn in enumerate(sorted(practices))]
    codes = sorted(practices)
    while len(people) < PEOPLE:
        role = rng.choices(PARTICIPANT_ROLES, ROLE_WEIGHTS)[0]
        people.append(_person(rng, len(people), rng.choice(codes), practices, role))
    return DemoData(epcn.getvalue(), practice_map.getvalue(), pcns, people)


def _person(rng: random.Random, n: int, pcn: str, practices: dict, role: str) -> Person:
    first, surname = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
    return Person(
        name=f"{first} {surname}",
        email=f"{first}.{surname}.{n + 1:03d}@{EMAIL_DOMAIN}".lower(),
        role=role,
        pcn_code=pcn,
        practice_code=rng.choice(practices[pcn]),
        leadership_experience=rng.choices(LEADERSHIP_EXPERIENCE, EXPERIENCE_WEIGHTS)[0],
    )


class Actor:
    """Runs use cases in one open transaction as a given principal (the demo's administrators)."""

    def __init__(self, runtime, conn: Connection):
        self.runtime, self.conn = runtime, conn

    def unit(self, role: Role, region: str | None) -> Unit:
        return self.runtime.unit(self.conn, Principal(f"demo-{role.value}-{region}", role, region))

    def admin(self, region: str) -> Unit:
        return self.unit(Role.NATIONAL, None) if region == NATIONAL else self.unit(Role.REGIONAL_ADMIN, region)

    def offer(self, region: str, **details) -> dict:
        """A new draft offer of `region`, made by its administrator."""
        return offers.create(
            self.admin(region), {"pcn_code": None, "basis": None, "session_allowance": None, **details}
        )

    def advance(self, offer: dict, lifecycle) -> None:
        for action in lifecycle:
            offers.change_status(self.admin(offer["region"]), offer["id"], action)


@contextmanager
def acting(runtime):
    with runtime.db.transaction() as conn:
        yield Actor(runtime, conn)


def demo_participant(data: DemoData) -> Person:
    """London's demo participant (services.demo DEMO_PARTICIPANT), whom a newcomer signs in as: a
    practice manager in the region's second PCN (the first is the team's)."""
    pcn = data.pcns[DEMO_REGION][1]
    return Person(
        name="Jo Example",
        email=f"demo-participant-y56@{EMAIL_DOMAIN}",
        role="practice_manager",
        pcn_code=pcn,
        practice_code=next(p.practice_code for p in data.people if p.pcn_code == pcn),
        leadership_experience="practice",
    )


def load(runtime, seed: int = SEED) -> dict:
    """Load the demo once; a second run finds it and changes nothing."""
    data = generate(seed)
    with acting(runtime) as actor:
        report = reference.import_files(actor.conn, data.epcn_csv, data.practice_map_csv)
        if participant_cases.registered(actor.conn, data.people[0].email):
            return {"reference": report, "loaded": False}
        people = [participant_cases.register(actor.admin(_region(data, p.pcn_code)), vars(p)) for p in data.people]
        demo = participant_cases.register(
            actor.admin(DEMO_REGION), vars(demo_participant(data)), participant_id=DEMO_PARTICIPANT
        )
        _offers(actor, data, people, random.Random(seed), demo)
    return {"reference": report, "loaded": True, "participants": len(people) + 1}


def _region(data: DemoData, pcn_code: str) -> str:
    return next(region for region, codes in data.pcns.items() if pcn_code in codes)


PUBLISH, START, COMPLETE, CANCEL = OfferAction.PUBLISH, OfferAction.START, OfferAction.COMPLETE, OfferAction.CANCEL


def _offers(actor: Actor, data: DemoData, people: list[dict], rng: random.Random, demo: dict) -> None:
    today = date.today()
    soon = {"starts_on": today + timedelta(days=21), "ends_on": today + timedelta(days=180)}
    running = {"starts_on": today - timedelta(days=30), "ends_on": today + timedelta(days=150)}
    past = {"starts_on": today - timedelta(days=200), "ends_on": today - timedelta(days=20)}
    for r, region in enumerate(sorted(data.pcns)):
        name, team_pcn = REGIONS[region], data.pcns[region][0]
        mine = [p for p in people if p["region"] == region]
        rng.shuffle(mine)
        if region == DEMO_REGION:
            mine.insert(0, demo)  # first into the started set, so surely confirmed in it

        def offer(title: str, offer_type: str, capacity: int, dates: dict, **details) -> dict:
            return actor.offer(
                region,
                offer_type=offer_type,
                title=title,
                capacity=capacity,
                planned_sessions=details.pop("sessions", 6),
                **dates,
                **details,
            )

        directors = [p for p in mine if p["role"] == "clinical_director"]
        _enrol(
            actor,
            offer(f"{name} clinical directors' leadership programme", "regional_programme", 20, soon, sessions=8),
            directors,
            then=(PUBLISH,),
        )
        team = offer(f"Leadership team development: {team_pcn}", "pcn_team", 12, soon, sessions=5, pcn_code=team_pcn)
        actor.advance(team, (PUBLISH,))
        enrolments.enrol_team(actor.admin(region), team["id"], [p["id"] for p in mine if p["pcn_code"] == team_pcn][:6])
        # A full set that started a month ago (closed: the two who were waiting are released,
        # offered the region's set still open), enrolled and started in its own time (`as_of`);
        # one filling up, one not yet open.
        with as_of(_at(running["starts_on"] - ENROLLED_BEFORE)):
            population = offer(
                f"{name} action learning set: population health", "action_learning_set", 8, running, basis="project"
            )
            _enrol(actor, population, mine[:10], then=(PUBLISH,))
        with as_of(_at(running["starts_on"])):
            actor.advance(population, (START,))
        _enrol(
            actor,
            offer(f"{name} action learning set: place-based working", "action_learning_set", 8, soon, basis="place"),
            mine[10:15],
            then=(PUBLISH,),
        )
        offer(f"{name} action learning set: new clinical directors", "action_learning_set", 6, soon, basis="individual")
        _enrol(
            actor,
            offer(f"{name} leadership coaching", "coaching", 1, soon, session_allowance=6),
            mine[15:17],
            then=(PUBLISH,),
        )
        # One more offer per region: cancelled, completed or open, in turn.
        masterclass = offer(
            f"{name} collaboration and conflict masterclass", "regional_programme", 15, past, sessions=4
        )
        lifecycle = ((CANCEL,), (PUBLISH, START, COMPLETE), (PUBLISH,))[r % 3]
        _enrol(actor, masterclass, mine[17:23] if lifecycle[0] is PUBLISH else [], then=lifecycle[:2])
        if COMPLETE in lifecycle:  # an offer completes only once it has held a session
            _held_before_convene(actor, masterclass, mine[17:23], sessions=4)
            actor.advance(masterclass, (COMPLETE,))
        _since_the_spring(actor, offer, name, mine[23:LONG_RUNNING_PEOPLE], leavers=r % 2 == 1)
    managers = [
        next(p for p in people if p["role"] == "pcn_manager" and p["region"] == region) for region in sorted(data.pcns)
    ]
    national = actor.offer(
        NATIONAL,
        offer_type="action_learning_set",
        title="National action learning set for PCN managers",
        capacity=8,
        planned_sessions=6,
        basis="individual",
        **soon,
    )
    _enrol(actor, national, managers, then=(PUBLISH,))


def _since_the_spring(actor: Actor, offer, name: str, people: list[dict], *, leavers: bool) -> None:
    """Two groups that have met since early in the year, an action learning set and a programme
    cohort, so the insight has several quarters and groups of every kind of continuity to show.
    Their history is played out at its own time (`shared.clock.as_of`): enrolled a fortnight
    before they formed, started when they formed and, in every other region, three of the set
    leaving five months in; so every service learns each step with the time it happened."""
    if len(people) < LONG_RUNNING_PEOPLE - 23:
        raise ValueError(f"the demo needs {LONG_RUNNING_PEOPLE} people in every region")
    formed = date.today() - timedelta(days=HISTORY_DAYS)
    dates = {"starts_on": formed, "ends_on": date.today() + timedelta(days=75)}
    with as_of(_at(formed - ENROLLED_BEFORE)):
        group = offer(
            f"{name} action learning set: workforce and wellbeing",
            "action_learning_set",
            8,
            dates,
            sessions=10,
            basis="project",
        )
        cohort = offer(f"{name} leadership programme, spring cohort", "regional_programme", 14, dates, sessions=10)
        actor.advance(group, (PUBLISH,))
        actor.advance(cohort, (PUBLISH,))
        places = [enrolments.enrol(actor.admin(p["region"]), group["id"], p["id"]) for p in people[:8]]
        for person in people[8:]:
            enrolments.enrol(actor.admin(person["region"]), cohort["id"], person["id"])
    with as_of(_at(formed)):
        actor.advance(group, (START,))
        actor.advance(cohort, (START,))
    if leavers:
        with as_of(_at(formed + timedelta(days=LEFT_AFTER_DAYS))):
            for place in places[-3:]:
                enrolments.withdraw(actor.admin(group["region"]), place["id"])


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=UTC)


def _held_before_convene(actor: Actor, offer: dict, people: list[dict], *, sessions: int) -> None:
    """The past masterclass met before Convene scheduled anything: its held sessions and
    everyone's attendance go straight into enrolment's projection, as scheduling's events would
    have put them, so that completing it is allowed and its members complete with it."""
    first_ends = datetime.combine(offer["starts_on"], time(11, 0), tzinfo=UTC)
    for n in range(sessions):
        session_id, ends_at = (
            str(uuid.uuid5(uuid.NAMESPACE_URL, f"convene-demo:{offer['id']}:{n}")),
            first_ends + timedelta(weeks=n),
        )
        attendance.save_session(actor.conn, session_id, offer["id"], ends_at, "scheduled", 0)
        for person in people:
            attendance.record_attendance(
                actor.conn,
                {
                    "session_id": session_id,
                    "offer_id": offer["id"],
                    "participant_id": person["id"],
                    "attendance": "present",
                    "session_ends_at": ends_at,
                    "recorded_at": ends_at,
                },
            )


def _enrol(actor: Actor, offer: dict, people: list[dict], then=()) -> None:
    """Enrol `people` in order (each by their own region's administrator) and move the offer
    on by `then` (a leading publish comes first, so there is something to enrol in)."""
    opening = tuple(then[:1]) if then[:1] == (OfferAction.PUBLISH,) else ()
    actor.advance(offer, opening)
    for person in people:
        enrolments.enrol(actor.admin(person["region"]), offer["id"], person["id"])
    actor.advance(offer, then[len(opening) :])
