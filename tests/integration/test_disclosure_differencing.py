"""The disclosure policy against a differencing attack, on both databases (docs/disclosure.md).

A world full of small groups (sessions, offers, regions, months, PCNs with 1 to 4 people
beside larger ones) is answered through the real API. Then each role fetches everything it
may fetch — every scope, filter and period of the figures, the national summary, needs and
outcomes — and the search tries every count alone, every single subtraction, every margin
and every two-filter overlap (tests/disclosure_search.py). Nothing may give 1 to 4 people.
The insight's quarters (three months merged on read) are fetched too, every filter of them, so
the search sets quarters against months, all time and each other; the needs differences
(tests across regions and PCNs, PCNs grouped by needs), whose groups may name only PCNs the
needs ranking shows; the emerging needs' quarters and the outcome changes by quarter, with
needs and outcome pairs given in two quarters (the service's clock set to a day in each), so the
search sets those quarters against the all-time ranking and outcome table; and the conditions of
each learning community (its members now, joined and left), under every filter and in the
at-risk lists.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from services.feedback.domain.aggregates import month_of
from services.feedback.domain.insight import quarter_of, quarter_of_day
from services.feedback.usecases import answers as answer_use_case
from shared.contracts import enrolment
from shared.contracts.common import OFFER_TYPES
from tests.conftest import DatabaseFactory
from tests.disclosure_search import Figure, search
from tests.integration.test_feedback_handlers import NOW, FeedbackWorld

REGIONS = ("Y56", "Y58", "Y60")
TYPES = ("action_learning_set", "coaching", "regional_programme")
GROUP_TYPES = ("action_learning_set", "pcn_team", "regional_programme")  # /v1/insight/conditions' filter
DAYS_AGO = (2, 40, 130)  # three different months in at least two quarters, inside the feedback window set below
SIZES = (1, 1, 2, 3, 4, 5, 6, 7, 9, 12)
ANSWER = {"overall": 4, "usefulness": 5, "will_apply": 3, "recommend": "good"}
RATINGS = {
    "leadership": 5,
    "collaboration": 4,
    "dealing_with_conflict": 2,
    "innovation": 3,
    "teamwork": 4,
    "strategy": 1,
    "engagement": 2,
}
SCORES = {"confidence": 3, "isolation": 6, "trust_in_group": 4, "sense_of_direction": 2}
ANSWERED = (NOW - timedelta(days=2), NOW - timedelta(days=130))  # needs and outcome pairs: two quarters
UK = ZoneInfo("Europe/London")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def published(request, tmp_path_factory, kafka_bootstrap, signing_keys, make_token):
    """One seeded world on each database, and every figure each role fetched from it."""
    admin_url = request.getfixturevalue("postgres_admin_url") if request.param == "postgres" else None
    factory = DatabaseFactory(request.param, tmp_path_factory.mktemp(request.param), admin_url)

    def headers(role, region=None, subject=None):
        return {"Authorization": "Bearer " + make_token(role, region, subject)}

    world = FeedbackWorld(
        factory.new("feedback"), kafka_bootstrap, signing_keys[1], FEEDBACK_WINDOW_DAYS="150", RATE_LIMIT_PER_MINUTE="0"
    )
    try:
        seed = _seed(world, headers)
        yield seed, {role: _fetch(world, headers, seed, *role) for role in _roles()}
    finally:
        world.service.stop()
        factory.drop_all()


def _roles():
    return [("regional_admin", r) for r in (*REGIONS, "Y61")] + [("national", None), ("service", None)]


class Seed:
    """What was answered, known only to the test: which sessions, offers, PCNs exist."""

    def __init__(self):
        self.sessions: dict[str, dict] = {}  # id -> region, offer_type, offer, month
        self.offers: dict[str, tuple] = {}  # id -> (region, offer_type)
        self.needs: dict[tuple, int] = defaultdict(int)  # (region, pcn, quarter) -> answers
        self.pairs: dict[tuple, int] = defaultdict(int)  # (offer, quarter of the after) -> before/after pairs
        self.respondents: dict[str, int] = {}  # session -> answers
        self.months: set[str] = set()
        self.members: dict[str, int] = defaultdict(int)  # group offer -> members now


def _seed(world, headers) -> Seed:
    with pytest.MonkeyPatch.context() as clock:
        return _seed_answers(world, headers, clock)


def _seed_answers(world, headers, clock) -> Seed:
    rng, seed, person = random.Random(13), Seed(), 0
    rng_leaving = random.Random(17)  # its own, so the rest of the world is seeded as before
    for region in REGIONS:
        for offer_type in TYPES:
            for o in range(2):
                offer_id = f"{region}-{offer_type}-{o}"
                world.offer(offer_id, region, offer_type, status="completed")  # their "after" measures need them run
                seed.offers[offer_id] = (region, offer_type)
                if offer_type != "coaching":  # a group: it formed, then ran its course
                    world.offer(offer_id, region, offer_type, event=enrolment.OFFER_STARTED, status="started")
                    world.offer(offer_id, region, offer_type, event=enrolment.OFFER_COMPLETED, status="completed")
                for days in DAYS_AGO:
                    session_id, ends_at = f"{offer_id}-{days}", NOW - timedelta(days=days)
                    world.session(session_id, offer_id, region, ends_at)
                    month = ends_at.strftime("%Y-%m")
                    seed.sessions[session_id] = {
                        "region": region,
                        "offer_type": offer_type,
                        "offer": offer_id,
                        "month": month,
                    }
                    seed.months.add(month)
                    answering = seed.respondents[session_id] = rng.choice(SIZES)
                    for i in range(answering + 2):
                        person += 1
                        world.attend(session_id, offer_id, f"p{person}", region, ends_at)
                        if i < answering:
                            rating = {
                                **ANSWER,
                                "overall": rng.randint(1, 5),
                                "recommend": rng.choice(("very_good", "good", "poor")),
                            }
                            response = world.client.post(
                                f"/v1/sessions/{session_id}/feedback",
                                json=rating | {"anonymous": i % 2 == 0},
                                headers=headers("participant", region, f"p{person}"),
                            )
                            assert response.status_code == 201, response.json
            pairs = rng.choice(SIZES)
            offer_id = f"{region}-{offer_type}-0"
            for i in range(pairs):
                person += 1
                world.member(offer_id, f"p{person}", region, offer_type)
                moment = rng.choice(ANSWERED)
                clock.setattr(answer_use_case, "utcnow", lambda moment=moment: moment)
                for phase in ("before", "after"):
                    body = {"offer_id": offer_id, "phase": phase, "scores": SCORES | {"confidence": rng.randint(1, 7)}}
                    assert (
                        world.client.post(
                            "/v1/outcome-measures", json=body, headers=headers("participant", region, f"p{person}")
                        ).status_code
                        == 201
                    )
                clock.undo()  # session feedback is given now
                seed.pairs[(offer_id, quarter_of_day(moment.date()))] += 1
            seed.members[offer_id] = pairs - _some_leave(
                world, rng_leaving, offer_id, region, offer_type, person, pairs
            )
        for p, pcn in enumerate(f"U{REGIONS.index(region)}000{p}" for p in range(3)):
            for i in range(rng.choice(SIZES)):
                person += 1
                world.registered(f"p{person}", region, pcn)
                # Each of Y56's PCNs has its first answer in an older quarter: a small quarter there.
                moment = ANSWERED[1] if (region, i) == (REGIONS[0], 0) else ANSWERED[0]
                clock.setattr(answer_use_case, "utcnow", lambda moment=moment: moment)
                body = {"ratings": {need: rng.randint(1, 5) for need in RATINGS}, "pcn_code": pcn}
                response = world.client.post(
                    "/v1/needs-surveys/responses", json=body, headers=headers("participant", region, f"p{person}")
                )
                assert response.status_code == 201, response.json
                clock.undo()
                seed.needs[(region, pcn, quarter_of(month_of(moment.astimezone(UK).date())))] += 1
    return seed


def _some_leave(world, rng, offer_id, region, offer_type, last_person, members) -> int:
    """Some of a group's members (the last `members` people made) withdraw; how many. A group
    large enough to stay shown loses three (published as 5), a smaller one any number of its own."""
    leaving = 3 if members >= 8 else rng.randint(0, members)
    for person in range(last_person - leaving + 1, last_person + 1):
        data = {
            "enrolment_id": f"e-p{person}",
            "offer_id": offer_id,
            "participant_id": f"p{person}",
            "region": region,
            "offer_type": offer_type,
            "role": "gp",
            "status": "withdrawn",
            "changed_at": NOW.isoformat(),
        }
        world.deliver(enrolment.ENROLMENT_WITHDRAWN, data)
    return leaving


# --- fetching everything a role may fetch --------------------------------------------------


def _fetch(world, headers, seed: Seed, role: str, region: str | None) -> list[Figure]:
    me = headers(role, region)
    periods = ("all", *sorted(seed.months))
    regions = [region] if role == "regional_admin" else list(REGIONS)
    figures = []

    def get(path):
        response = world.client.get(path, headers=me)
        return response.json if response.status_code == 200 else None

    for period in periods:
        summary = get(f"/v1/national/summary?period={period}")
        for cell in [summary["national"], *summary["regions"], *summary["offer_types"]]:
            figures.append(
                _feedback_figure(
                    seed, f"summary {cell['scope']} {cell['region']} {cell['offer_type']} {period}", cell, period
                )
            )
        queries = ["scope=national"] + [f"scope=region&region={r}" for r in regions]
        queries += [
            f"scope=offer_type&offer_type={t}" + (f"&region={r}" if r else "")
            for t in OFFER_TYPES
            for r in (None, *regions)
        ]
        for query in queries:
            cell = get(f"/v1/aggregates?{query}&period={period}")
            if cell is not None:
                figures.append(_feedback_figure(seed, f"aggregate {query} {period}", cell, period))
    for scope, ids in (("offer", seed.offers), ("session", seed.sessions)):
        for key in ids:
            cell = get(f"/v1/aggregates?scope={scope}&id={key}")
            if cell is not None:
                figures.append(_feedback_figure(seed, f"{scope} {key}", cell, "all"))
    ranking = get("/v1/needs/ranking")
    for place in [ranking["national"] or {}, *ranking["regions"], *ranking["pcns"]]:
        if place:
            figures.append(_needs_figure(seed, place))
    for cell in get("/v1/outcomes/changes")["cells"]:
        figures.append(_outcome_figure(seed, cell))
    insight = [""] + [f"offer_type={t}" for t in OFFER_TYPES]
    insight += [f"region={r}" + (f"&offer_type={t}" if t else "") for r in regions for t in (None, *OFFER_TYPES)]
    for query in insight:
        body = get(f"/v1/insight/learned?{query}")
        if body is not None:
            for row in [body["national"], *body["regions"]]:
                figures += [_quarter_figure(seed, row, cell) for cell in row["quarters"]]
            offer_type = next((q.split("=")[1] for q in query.split("&") if q.startswith("offer_type=")), None)
            outcomes = [(None, body["outcomes"]["national"])]
            outcomes += [(row["region"], row["quarters"]) for row in body["outcomes"]["regions"]]
            for place, cells in outcomes:
                figures += [_outcome_quarter_figure(seed, place, offer_type, cell) for cell in cells]
    for query in [""] + [f"?region={r}" for r in regions]:
        body = get(f"/v1/insight/needs{query}")
        if body is not None:
            figures += [_needs_quarter_figure(seed, body["region"], cell) for cell in body["ranking"]]
    for query in [""] + [f"?region={r}" for r in regions]:
        body = get(f"/v1/insight/differences{query}")
        if body is not None:
            figures += _differences_figures(seed, body)
    conditions = [""] + [f"offer_type={t}" for t in GROUP_TYPES]
    conditions += [f"region={r}" + (f"&offer_type={t}" if t else "") for r in regions for t in (None, *GROUP_TYPES)]
    for query in conditions:
        body = get(f"/v1/insight/conditions?{query}")
        if body is not None:
            figures += [_group_figure(group) for group in body["groups"] + body["at_risk"]]
    return figures


def _group_figure(group: dict) -> Figure:
    """A group's counts of people: its members now, those who joined and who left after it formed."""
    name, population = f"conditions group {group['group_id']}", frozenset({("group", group["group_id"])})
    if group["suppressed"]:
        return Figure(name, "conditions group", population)
    return Figure(name, "conditions group", population, {k: group[k] for k in ("size", "joined", "left")})


def _differences_figures(seed: Seed, body: dict) -> list[Figure]:
    """The tests' counts of high ratings over the regions or PCNs tested, and each PCN a group
    names (a figure with no count: that it is shown)."""
    figures = []
    for between in ("regions", "pcns"):
        test = body[between]
        if test is not None:
            population = frozenset(
                key for key in seed.needs if (key[0] if between == "regions" else key[1]) in test["rows"]
            )
            figures.append(
                Figure(
                    f"differences {between} {test['rows']}",
                    f"differences {between}",
                    population,
                    {"high ratings": test["n"]},
                )
            )
    for group in body["groups"]:
        for pcn in group["pcns"]:
            key = (pcn["region"], pcn["pcn_code"])
            answered = frozenset(k for k in seed.needs if k[:2] == key)
            figures.append(Figure(f"differences group pcn {key}", "differences group pcn", answered, {}))
    return figures


def _needs_quarter_figure(seed: Seed, region: str | None, cell: dict) -> Figure:
    population = frozenset(key for key in seed.needs if region in (None, key[0]) and key[2] == cell["quarter"])
    kind = "needs quarter " + ("region" if region else "national")
    name = f"emerging needs {region} {cell['quarter']}"
    return Figure(name, kind, population, None if cell["suppressed"] else {"respondents": cell["respondents"]})


def _outcome_quarter_figure(seed: Seed, region: str | None, offer_type: str | None, cell: dict) -> Figure:
    population = frozenset(
        (o, q)
        for (o, q) in seed.pairs
        if q == cell["quarter"] and region in (None, seed.offers[o][0]) and offer_type in (None, seed.offers[o][1])
    )
    kind = "outcomes quarter " + (
        "+".join(k for k, v in (("region", region), ("offer_type", offer_type)) if v) or "all"
    )
    name = f"outcomes {region} {offer_type} {cell['quarter']}"
    return Figure(name, kind, population, None if cell["suppressed"] else {"pairs": cell["respondents"]})


def _quarter_figure(seed: Seed, row: dict, cell: dict) -> Figure:
    population = frozenset(
        session_id
        for session_id, session in seed.sessions.items()
        if row["region"] in (None, session["region"])
        and row["offer_type"] in (None, session["offer_type"])
        and quarter_of(session["month"]) == cell["quarter"]
    )
    kind = "insight " + ("+".join(k for k in ("region", "offer_type") if row[k]) or "national") + "+quarter"
    name = f"insight {row['region']} {row['offer_type']} {cell['quarter']}"
    if cell["suppressed"]:
        return Figure(name, kind, population)
    counts = {"respondents": cell["respondents"]} | {f"{m}.count": f["count"] for m, f in cell["measures"].items()}
    return Figure(name, kind, population, counts)


def _feedback_figure(seed: Seed, name: str, cell: dict, period: str) -> Figure:
    def covers(session_id: str, session: dict) -> bool:
        if cell["scope"] == "session":
            return session_id == cell["id"]
        if cell["scope"] == "offer":
            return session["offer"] == cell["id"]
        return (
            cell["region"] in (None, session["region"])
            and cell["offer_type"] in (None, session["offer_type"])
            and period in ("all", session["month"])
        )

    population = frozenset(session_id for session_id, session in seed.sessions.items() if covers(session_id, session))
    kind = (
        cell["scope"]
        + ("+region" if cell["scope"] == "offer_type" and cell["region"] else "")
        + ("+month" if period != "all" else "")
    )
    if cell["suppressed"]:
        return Figure(name, kind, population)
    counts = {"respondents": cell["respondents"], "attendees": cell["attendees"]}
    for measure, figures in cell["measures"].items():
        counts[f"{measure}.count"] = figures["count"]
        counts |= {f"{measure}={value}": n for value, n in figures["distribution"].items()}
    return Figure(name, kind, population, counts)


def _needs_figure(seed: Seed, place: dict) -> Figure:
    population = frozenset(
        key for key in seed.needs if place["region"] in (None, key[0]) and place["pcn_code"] in (None, key[1])
    )
    kind = "pcn" if place["pcn_code"] else "region" if place["region"] else "national"
    name = f"needs {place['region']} {place['pcn_code']}"
    if place["suppressed"]:
        return Figure(name, f"needs {kind}", population)
    counts = {"respondents": place["respondents"]} | {f"{r['need']}.count": r["count"] for r in place["ranking"]}
    return Figure(name, f"needs {kind}", population, counts)


def _outcome_figure(seed: Seed, cell: dict) -> Figure:
    population = frozenset(
        (o, q)
        for (o, q), n in seed.pairs.items()
        if n and cell["region"] in (None, seed.offers[o][0]) and cell["offer_type"] in (None, seed.offers[o][1])
    )
    kind = "outcomes " + "+".join(k for k in ("region", "offer_type") if cell[k]) or "outcomes all"
    name = f"outcomes {cell['region']} {cell['offer_type']}"
    if cell["suppressed"]:
        return Figure(name, kind, population)
    counts = {"pairs": cell["pairs"]} | {f"{m['measure']}.pairs": m["pairs"] for m in cell["measures"]}
    return Figure(name, kind, population, counts)


# --- the attack ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", _roles(), ids=lambda role: "-".join(filter(None, role)))
def test_no_role_can_compute_a_group_of_one_to_four_from_what_it_may_fetch(published, role):
    seed, by_role = published
    figures = by_role[role]
    assert any(f.counts is None for f in figures) and any(f.counts is not None for f in figures)
    assert search(figures) == []


def test_no_group_of_one_to_four_follows_from_what_all_roles_fetch_together(published):
    seed, by_role = published
    assert search([f for figures in by_role.values() for f in figures]) == []


def test_the_seeded_world_is_full_of_small_groups_for_the_search_to_find(published):
    seed, by_role = published
    per_session = list(seed.respondents.values())
    assert sum(1 for n in per_session if 0 < n < 5) >= 10 and sum(1 for n in per_session if n >= 5) >= 10
    assert any(0 < n < 5 for n in seed.needs.values()) and any(0 < n < 5 for n in seed.pairs.values())
    quarters = [f for f in by_role[("national", None)] if f.kind.startswith("insight ")]
    assert len({quarter_of(m) for m in seed.months}) >= 2
    assert any(f.counts is None for f in quarters) and any(f.counts is not None for f in quarters)
    groups = {f.name: f for f in by_role[("national", None)] if f.kind == "conditions group"}
    assert any(0 < n < 5 for n in seed.members.values()) and any(n >= 5 for n in seed.members.values())
    assert len(groups) == 12  # every set and cohort: formed, and met or had members
    assert any(f.counts is None for f in groups.values()) and any(f.counts for f in groups.values())
    assert all(f.counts is None for f in groups.values() if seed.members.get(f.name.split()[-1], 0) < 5)
    assert any(f.counts["left"] for f in groups.values() if f.counts)

    for kind in ("needs quarter", "outcomes quarter"):
        dated = [f for f in by_role[("national", None)] if f.kind.startswith(kind)]
        assert len({f.name.split()[-1] for f in dated}) >= 2, kind  # two quarters
        assert any(f.counts is None for f in dated) and any(f.counts is not None for f in dated), kind


def test_the_needs_differences_name_only_pcns_the_needs_ranking_shows(published):
    seed, by_role = published
    grouped = {
        p for figures in by_role.values() for f in figures if f.kind == "differences group pcn" for p in f.population
    }
    shown = {
        p
        for figures in by_role.values()
        for f in figures
        if f.kind == "needs pcn" and f.counts is not None
        for p in f.population
    }
    per_pcn = defaultdict(int)
    for (region, pcn, _), n in seed.needs.items():
        per_pcn[(region, pcn)] += n
    assert grouped and grouped == shown and all(per_pcn[key[:2]] >= 5 for key in grouped)
    tested = [f for figures in by_role.values() for f in figures if f.kind.startswith("differences ") and f.counts]
    assert tested and all(f.counts["high ratings"] % 5 == 0 for f in tested)


def test_a_regional_admin_reads_the_same_figures_of_its_region_as_the_national_team(published):
    seed, by_role = published
    national = {(f.kind, f.population): f.counts for f in by_role[("national", None)]}
    for f in by_role[("regional_admin", "Y56")]:
        if (f.kind, f.population) in national:
            assert national[(f.kind, f.population)] == f.counts, f.name
