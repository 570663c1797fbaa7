"""Are we creating the conditions for a learning community (GET /v1/insight/conditions), on both
databases: enrolment's and scheduling's events fill each group's membership, start and marks
through feedback's own handlers; each group's continuity, changes, size and risks are published
as the disclosure policy allows, the at-risk groups listed for their region's administrator, and
the association of continuity with trust and direction checked against scipy on the same data."""

import math
import random
import statistics
from datetime import timedelta

import pytest
from kafka import KafkaProducer
from scipy.stats import norm, spearmanr

from services.feedback.store import tables as store
from shared.contracts import enrolment, scheduling
from shared.envelope import Envelope
from tests.harness import eventually
from tests.integration.test_feedback_handlers import HANDLERS, NOW, FeedbackWorld

FORMED = NOW - timedelta(days=60)  # every group here first met then
WEEK = timedelta(days=7)
SCORES = {"confidence": 4, "isolation": 4, "trust_in_group": 4, "sense_of_direction": 4}


@pytest.fixture
def world(databases, kafka_bootstrap, signing_keys):
    running = Groups(databases.new("feedback"), kafka_bootstrap, signing_keys[1], RATE_LIMIT_PER_MINUTE="0")
    yield running
    running.service.stop()


class Groups(FeedbackWorld):
    """Feedback told of groups forming, members joining and leaving, at the times the events say."""

    def at(self, event_type, data: dict, time) -> None:
        envelope = Envelope(type=event_type.type, source=event_type.source, data=event_type.validate(data), time=time)
        with self.runtime.db.transaction() as conn:
            HANDLERS[event_type.type](envelope, self.runtime.unit(conn))

    def group(self, offer_id, region="Y58", offer_type="action_learning_set", formed=FORMED):
        self.offer(offer_id, region, offer_type)
        self.at(enrolment.OFFER_STARTED, self._offer(offer_id, region, offer_type, "started"), formed)

    def _offer(self, offer_id, region, offer_type, status):
        return {
            "offer_id": offer_id,
            "region": region,
            "offer_type": offer_type,
            "title": "Set",
            "capacity": 30,
            "status": status,
            "planned_sessions": 1,
        }

    def enrolment(self, event_type, offer_id, person, time, region="Y58", offer_type="action_learning_set"):
        status = {
            enrolment.ENROLMENT_CONFIRMED: "confirmed",
            enrolment.ENROLMENT_PROMOTED: "confirmed",
            enrolment.ENROLMENT_WAITLISTED: "waitlisted",
            enrolment.ENROLMENT_WITHDRAWN: "withdrawn",
            enrolment.ENROLMENT_COMPLETED: "completed",
        }[event_type]
        data = {
            "enrolment_id": f"e-{offer_id}-{person}",
            "offer_id": offer_id,
            "participant_id": person,
            "region": region,
            "offer_type": offer_type,
            "role": "gp",
            "status": status,
            "changed_at": time.isoformat(),
        }
        self.at(event_type, data, time)

    def joined(self, offer_id, people, time=FORMED - timedelta(days=5), **where):
        for person in people:
            self.enrolment(enrolment.ENROLMENT_CONFIRMED, offer_id, person, time, **where)

    def left(self, offer_id, people, time, **where):
        for person in people:
            self.enrolment(enrolment.ENROLMENT_WITHDRAWN, offer_id, person, time, **where)

    def meeting(self, offer_id, number, present, absent=(), region="Y58"):
        """The group's session `number` (weekly from an hour after it formed), its marks."""
        ends_at = FORMED + number * WEEK + timedelta(hours=3)
        session_id = f"{offer_id}-s{number}"
        self.session(session_id, offer_id, region, ends_at)
        for person in present:
            self.attend(session_id, offer_id, person, region, ends_at)
        for person in absent:
            self.attend(session_id, offer_id, person, region, ends_at, attendance="absent")


def conditions(world, headers, **query):
    response = world.client.get("/v1/insight/conditions", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def changes(world, offer_id=None):
    rows = world.rows(
        store.membership_changes, *([store.membership_changes.c.offer_id == offer_id] if offer_id else [])
    )
    return sorted((r["participant_id"], r["change"]) for r in rows)


# --- the inputs, from events ---------------------------------------------------------------------


def test_joining_and_leaving_are_kept_once_and_completing_or_waitlisting_is_no_change(world):
    world.group("o1")
    world.joined("o1", ["p1", "p2"])
    world.joined("o1", ["p1"])  # the same event again (same time): nothing more
    world.enrolment(enrolment.ENROLMENT_WAITLISTED, "o1", "p3", FORMED)
    world.enrolment(enrolment.ENROLMENT_PROMOTED, "o1", "p3", FORMED + WEEK)
    world.enrolment(enrolment.ENROLMENT_COMPLETED, "o1", "p2", FORMED + 4 * WEEK)
    world.left("o1", ["p1"], FORMED + 2 * WEEK)
    world.left("o1", ["p1"], FORMED + 2 * WEEK)
    assert changes(world, "o1") == [("p1", "joined"), ("p1", "left"), ("p2", "joined"), ("p3", "joined")]
    [promoted] = world.rows(store.membership_changes, store.membership_changes.c.participant_id == "p3")
    assert promoted["at"].replace(tzinfo=None) == (FORMED + WEEK).replace(tzinfo=None)

    world.offer("c1", "Y58", "coaching")
    world.joined("c1", ["p1"], offer_type="coaching")  # a coachee and a coach are no group
    assert changes(world, "c1") == []


def test_a_group_formed_when_enrolment_said_it_started_and_later_offer_events_keep_it(world):
    world.offer("o1")
    assert world.rows(store.offers)[0]["started_at"] is None
    world.group("o1")
    world.offer("o1", status="completed", event=enrolment.OFFER_COMPLETED)
    [offer] = world.rows(store.offers)
    assert offer["status"] == "completed" and offer["started_at"].replace(tzinfo=None) == FORMED.replace(tzinfo=None)


def test_an_erased_member_s_joining_and_leaving_go_and_the_others_stay(world):
    world.group("o1")
    world.joined("o1", ["p1", "p2"])
    world.left("o1", ["p1"], FORMED + WEEK)
    world.deliver(enrolment.PARTICIPANT_ERASED, {"participant_id": "p1", "region": "Y58", "erased_at": NOW.isoformat()})
    assert changes(world) == [("p2", "joined")]


def test_a_group_s_events_reach_its_conditions_through_the_broker(
    databases, kafka_bootstrap, signing_keys, topic_prefix, as_
):
    """The same inputs as enrolment and scheduling publish them: CloudEvents on their topics,
    consumed by feedback's worker, each event's time the time of the change."""
    world = Groups(databases.new("feedback"), kafka_bootstrap, signing_keys[1], CONVENE_TOPIC_PREFIX=topic_prefix)
    world.service.start_worker()
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)

    def publish(event_type, data, time):
        envelope = Envelope(type=event_type.type, source=event_type.source, data=data, time=time)
        topic = event_type.topic.address(topic_prefix)
        producer.send(topic, key=event_type.key_of(data).encode(), value=envelope.value(), headers=envelope.headers())

    try:
        offer = world._offer("o1", "Y58", "action_learning_set", "published")
        publish(enrolment.OFFER_PUBLISHED, offer, FORMED - 2 * WEEK)
        people = [f"p{i}" for i in range(7)]
        for person in people:
            data = {
                "enrolment_id": f"e-{person}",
                "offer_id": "o1",
                "participant_id": person,
                "region": "Y58",
                "offer_type": "action_learning_set",
                "role": "gp",
                "status": "confirmed",
                "changed_at": (FORMED - WEEK).isoformat(),
            }
            publish(enrolment.ENROLMENT_CONFIRMED, data, FORMED - WEEK)
        publish(enrolment.OFFER_STARTED, offer | {"status": "started"}, FORMED)
        left = FORMED + timedelta(minutes=30)  # before its first session
        publish(
            enrolment.ENROLMENT_WITHDRAWN,
            data | {"status": "withdrawn", "reason": "withdrew", "changed_at": left.isoformat()},
            left,
        )
        starts_at = FORMED + timedelta(hours=1)
        session = {
            "session_id": "s1",
            "offer_id": "o1",
            "region": "Y58",
            "kind": "group",
            "sequence": 0,
            "status": "scheduled",
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
        }
        publish(scheduling.SESSION_SCHEDULED, session, FORMED - WEEK)
        for person in people[:3]:
            mark = {
                "session_id": "s1",
                "offer_id": "o1",
                "region": "Y58",
                "participant_id": person,
                "attendance": "present",
                "session_starts_at": session["starts_at"],
                "session_ends_at": session["ends_at"],
                "recorded_at": (starts_at + WEEK).isoformat(),
            }
            publish(scheduling.ATTENDANCE_RECORDED, mark, starts_at + WEEK)
        producer.flush()

        def the_group():
            body = conditions(world, as_("regional_admin", "Y58"))
            return body["groups"][0] if body["groups"] and body["groups"][0]["attendance_share"] == 0.5 else None

        # Seven joined before it formed, one left before its session: six expected, three came.
        group = eventually(the_group, timeout=60, message="the group's events to be consumed")
        assert (group["size"], group["joined"], group["left"], group["continuity"]) == (5, 0, 0, 0.5)
        assert changes(world) == sorted([(p, "joined") for p in people] + [("p6", "left")])
        assert world.rows(store.offers)[0]["started_at"].replace(tzinfo=None) == FORMED.replace(tzinfo=None)
    finally:
        producer.close()
        world.service.stop()


# --- the endpoint ---------------------------------------------------------------------------------

EIGHT = [f"r{i}" for i in range(8)]
STAYERS, LEAVERS = EIGHT[:5], EIGHT[5:]


def _seed_region(world):
    """Y58: a set losing three of eight and its stayers' attendance, a steady cohort, a team too
    small to show, and offers that are no group (coaching, a set not yet started); Y56: a set."""
    world.group("y58-set")
    world.joined("y58-set", EIGHT)
    for n in range(3):
        world.meeting("y58-set", n, present=EIGHT)
    world.left("y58-set", LEAVERS, FORMED + 2 * WEEK + timedelta(days=1))
    for n in range(3, 6):
        world.meeting("y58-set", n, present=STAYERS[:3], absent=STAYERS[3:])

    cohort = [f"c{i}" for i in range(6)]
    where = {"offer_type": "regional_programme"}
    world.group("y58-cohort", offer_type="regional_programme")
    world.joined("y58-cohort", cohort, **where)
    world.joined("y58-cohort", ["late"], FORMED + WEEK + timedelta(days=1), **where)
    for n in range(5):
        # The late joiner's mark at the first session, before they joined, is not theirs to count.
        world.meeting("y58-cohort", n, present=cohort + ["late"], absent=())

    world.group("y58-team", offer_type="pcn_team")
    world.joined("y58-team", ["t1", "t2", "t3", "t4"], offer_type="pcn_team")
    world.meeting("y58-team", 0, present=["t1"])

    world.group("y58-coaching", offer_type="coaching")
    world.joined("y58-coaching", ["k1"], offer_type="coaching")
    world.meeting("y58-coaching", 0, present=["k1"])
    world.offer("y58-unstarted")
    world.joined("y58-unstarted", [f"u{i}" for i in range(6)])

    world.group("y56-set", region="Y56")
    world.joined("y56-set", [f"s{i}" for i in range(5)], region="Y56")
    world.meeting("y56-set", 0, present=[f"s{i}" for i in range(5)], region="Y56")


RISKY = {
    "group_id": "y58-set",
    "region": "Y58",
    "offer_type": "action_learning_set",
    "suppressed": False,
    "reason": None,
    "size": 5,  # five stayers
    "joined": 0,  # all joined before it formed
    "left": 5,  # three, rounded to 5
    "continuity": 1.0,  # shares 1, 1, 1 (stayers), 0.5, 0.5, 1, 1, 1 (leavers): median 1
    "attendance_share": 0.85,  # (24 + 9) / (24 + 15)
    "recent_share": 0.6,  # 9 / 15
    "earlier_share": 1.0,
    "at_risk": True,
    "risks": [
        {
            "code": "falling_attendance",
            "reason": "Attendance at the last 3 sessions is 15% or more below the earlier sessions.",
        },
        {"code": "members_leaving", "reason": "More than two members have left since the group formed."},
        {
            "code": "below_workable_size",
            "reason": "The group has fewer than 6 members, too few for its meetings to work well.",
        },
    ],
}
STEADY = {
    "group_id": "y58-cohort",
    "region": "Y58",
    "offer_type": "regional_programme",
    "suppressed": False,
    "reason": None,
    "size": 5,  # seven, rounded
    "joined": 0,  # one late joiner, rounded
    "left": 0,
    "continuity": 1.0,
    "attendance_share": 1.0,  # 6 * 5 + 3 (the late joiner from the third session) of as many
    "recent_share": 1.0,
    "earlier_share": 1.0,
    "at_risk": False,
    "risks": [],
}
SMALL = {
    "group_id": "y58-team",
    "region": "Y58",
    "offer_type": "pcn_team",
    "suppressed": True,
    "reason": "small_numbers",
    **dict.fromkeys(("size", "joined", "left", "continuity", "attendance_share", "recent_share", "earlier_share")),
    "at_risk": None,
    "risks": [],
}
POOLED = ("attendance_share", "recent_share", "earlier_share")


def beyond_the_register(view: dict) -> dict:
    """A group's view as anyone but its region's administrator reads it: no pooled shares, which
    read before and after a session would give its attendance count away."""
    return view | dict.fromkeys(POOLED)


TOO_FEW = [
    {
        "measure": m,
        "groups": 0,
        "rho": None,
        "p_value": None,
        "low": None,
        "high": None,
        "confidence": 0.95,
        "reason": "too_few_groups",
    }
    for m in ("trust_in_group", "sense_of_direction")
]


def test_each_group_s_conditions_are_published_and_the_group_at_risk_is_flagged(world, as_):
    _seed_region(world)
    body = conditions(world, as_("national"))
    assert (body["scope"], body["region"]) == ("national", None)
    assert [(g["region"], g["offer_type"], g["group_id"]) for g in body["groups"]] == [
        ("Y56", "action_learning_set", "y56-set"),
        ("Y58", "action_learning_set", "y58-set"),
        ("Y58", "pcn_team", "y58-team"),
        ("Y58", "regional_programme", "y58-cohort"),
    ]
    by_id = {g["group_id"]: g for g in body["groups"]}
    assert by_id["y58-set"] == beyond_the_register(RISKY) and by_id["y58-cohort"] == beyond_the_register(STEADY)
    assert by_id["y58-team"] == SMALL
    # Five members at one session: too few sessions to compare, still below a workable size.
    assert [r["code"] for r in by_id["y56-set"]["risks"]] == ["below_workable_size"]
    assert by_id["y56-set"]["recent_share"] is None and by_id["y56-set"]["continuity"] == 1.0
    assert [g["group_id"] for g in body["at_risk"]] == ["y56-set", "y58-set"]
    assert body["at_risk"][1] == beyond_the_register(RISKY)
    assert body["associations"] == TOO_FEW
    assert body["summary"] == {"groups": 4, "shown": 3, "withheld": 1, "at_risk": 2}


def test_a_regional_administrator_sees_its_own_region_s_groups_and_those_at_risk(world, as_):
    _seed_region(world)
    admin = conditions(world, as_("regional_admin", "Y58"))
    assert (admin["scope"], admin["region"]) == ("region", "Y58")
    assert [g["group_id"] for g in admin["groups"]] == ["y58-set", "y58-team", "y58-cohort"]
    assert admin["at_risk"] == [RISKY]
    assert admin["summary"] == {"groups": 3, "shown": 2, "withheld": 1, "at_risk": 1}
    # The national team reads the same views of the region but the pooled shares, which only the
    # region's administrator, who keeps the register, reads.
    national = conditions(world, as_("national"), region="Y58")
    assert national["groups"] == [beyond_the_register(g) for g in admin["groups"]]
    assert national["at_risk"] == [beyond_the_register(g) for g in admin["at_risk"]]
    assert all(national["groups"][0][share] is None for share in POOLED) and admin["groups"][0]["recent_share"]
    teams = conditions(world, as_("regional_admin", "Y58"), offer_type="pcn_team")
    assert teams["groups"] == [SMALL] and teams["at_risk"] == []
    assert teams["summary"] == {"groups": 1, "shown": 0, "withheld": 1, "at_risk": 0}

    other = world.client.get("/v1/insight/conditions?region=Y56", headers=as_("regional_admin", "Y58"))
    assert other.status_code == 404 and [e["field"] for e in other.json["errors"]] == ["region"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("offer_type=coaching", "offer_type"), ("offer_type=cohort", "offer_type"), ("region=Z99", "region")],
)
def test_a_bad_filter_is_refused_naming_its_field(world, as_, query, field):
    response = world.client.get(f"/v1/insight/conditions?{query}", headers=as_("national"))
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert field in [e["field"] for e in response.json["errors"]]


def test_a_participant_may_not_read_the_conditions(world, as_):
    assert world.client.get("/v1/insight/conditions", headers=as_("participant", "Y58", "p1")).status_code == 403


# --- the association across groups, against scipy -----------------------------------------------


def test_continuity_s_association_with_trust_and_direction_is_scipy_s_spearman_with_its_fisher_interval(world, as_):
    rng = random.Random(7)
    expected_pairs = []
    for g in range(12):
        offer_id, region = f"g{g}", ("Y56", "Y58", "Y60")[g % 3]
        people = [f"g{g}p{m}" for m in range(5)]
        world.group(offer_id, region=region)
        world.joined(offer_id, people, region=region)
        attended = {p: rng.randint(1, 5) for p in people}  # each member comes to their first k of 5 sessions
        for n in range(5):
            world.meeting(
                offer_id,
                n,
                present=[p for p in people if attended[p] > n],
                absent=[p for p in people if attended[p] <= n],
                region=region,
            )
        answering = people if g < 11 else people[:4]  # the last group's four answers are too few to use
        trust, direction = [], []
        for p in answering:
            t = min(7, max(1, round(attended[p] + rng.uniform(-1, 2)))) if g % 4 else rng.randint(1, 7)
            d = rng.randint(1, 7)
            trust.append(t)
            direction.append(d)
            scores = SCORES | {"trust_in_group": t, "sense_of_direction": d}
            answer = {"offer_id": offer_id, "phase": "after", "scores": scores}
            response = world.client.post("/v1/outcome-measures", json=answer, headers=as_("participant", region, p))
            assert response.status_code == 201, response.json
        if g < 11:
            continuity = statistics.median(attended[p] / 5 for p in people)
            expected_pairs.append((continuity, statistics.mean(trust), statistics.mean(direction)))

    body = conditions(world, as_("national"))
    assert body["summary"]["groups"] == 12 and body["summary"]["shown"] == 12
    found = {a["measure"]: a for a in body["associations"]}
    x = [c for c, _, _ in expected_pairs]
    for measure, y in (
        ("trust_in_group", [t for _, t, _ in expected_pairs]),
        ("sense_of_direction", [d for *_, d in expected_pairs]),
    ):
        expected = spearmanr(x, y)
        rho, n = float(expected.statistic), len(x)
        half = norm.ppf(0.975) * math.sqrt(1.06 / (n - 3))
        assert found[measure] == {
            "measure": measure,
            "groups": 11,
            "rho": round(rho, 2),
            "p_value": round(float(expected.pvalue), 2),
            "low": round(math.tanh(math.atanh(rho) - half), 2),
            "high": round(math.tanh(math.atanh(rho) + half), 2),
            "confidence": 0.95,
            "reason": None,
        }
    assert found["trust_in_group"]["rho"] > 0.3  # the seeded trust follows attendance

    one_region = conditions(world, as_("regional_admin", "Y56"))
    assert [a["reason"] for a in one_region["associations"]] == ["too_few_groups", "too_few_groups"]
    assert [a["groups"] for a in one_region["associations"]] == [4, 4]
