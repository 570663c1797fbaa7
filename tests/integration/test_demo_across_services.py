"""The demo across the three services over the real broker: enrolment's people and offers,
then scheduling's sessions and attendance, then feedback's answers, each loader waiting for
the events of the one before. Loading it all again adds nothing anywhere."""

from collections import Counter

import pytest
from sqlalchemy import func, select

from services.demo import demo_runtimes, load_all
from services.feedback.store.tables import feedback_responses
from services.scheduling.store.tables import attendance, sessions
from shared.disclosure import shown_count
from tests.harness import RunningService, eventually, service_environment

SERVICES = ("enrolment", "scheduling", "feedback")


@pytest.fixture
def stack(databases, kafka_bootstrap, topic_prefix, signing_keys):
    running = {
        name: RunningService(
            name, service_environment(databases.new(name), kafka_bootstrap, topic_prefix, signing_keys[1])
        ).start_worker()
        for name in SERVICES
    }
    yield running
    for service in running.values():
        service.stop()


def row_counts(stack) -> dict:
    counts = {}
    for name, service in stack.items():
        with service.runtime.db.read() as conn:
            for table in service.runtime.db.metadata.sorted_tables:
                counts[f"{name}.{table.name}"] = conn.execute(select(func.count()).select_from(table)).scalar_one()
    return counts


def settled(stack) -> dict:
    """Row counts once every outbox is published and nothing has changed for a second."""
    seen = []

    def quiet():
        unpublished = 0
        for service in stack.values():
            outbox = service.runtime.db.tables.outbox
            with service.runtime.db.read() as conn:
                unpublished += conn.execute(select(func.count()).where(outbox.c.published_at.is_(None))).scalar_one()
        seen.append(row_counts(stack))
        return unpublished == 0 and len(seen) > 1 and seen[-1] == seen[-2] and seen[-1]

    return eventually(quiet, timeout=120, interval=1.0, message="the services to settle")


def test_the_demo_fills_every_service_and_loading_it_again_adds_nothing(stack, make_token):
    runtimes = {name: service.runtime for name, service in stack.items()}
    first = load_all(runtimes, timeout=120)
    assert [first[name]["loaded"] for name in SERVICES] == [True, True, True]
    assert (
        first["scheduling"]["sessions"] > 50 and first["scheduling"]["coaching"] > 0 and first["feedback"]["pairs"] >= 5
    )

    with stack["scheduling"].runtime.db.read() as conn:
        offer_id, region = conn.execute(
            select(attendance.c.offer_id, sessions.c.region)
            .join(sessions, sessions.c.id == attendance.c.session_id)
            .limit(1)
        ).one()
    continuity = (
        stack["scheduling"]
        .client.get(f"/v1/offers/{offer_id}/continuity", headers=bearer(make_token, "regional_admin", region))
        .json
    )
    assert len(continuity["sessions"]) >= 4 and all(s["expected"] > 0 for s in continuity["sessions"])
    assert 0.5 < continuity["attendance_rate"] < 1 and continuity["mean_stability"] > 0

    with stack["feedback"].runtime.db.read() as conn:
        answers = Counter(conn.execute(select(feedback_responses.c.region)).scalars())
    summary = stack["feedback"].client.get("/v1/national/summary", headers=bearer(make_token, "national")).json
    regions = {cell["region"]: cell for cell in summary["regions"]}
    shown = [
        r
        for r, n in answers.items()
        if n >= 5 and not regions[r]["suppressed"] and regions[r]["respondents"] == shown_count(n)
    ]
    small = [r for r, n in answers.items() if 0 < n < 5]
    assert shown and small and all(regions[r]["suppressed"] and regions[r]["respondents"] is None for r in small)
    assert not summary["national"]["suppressed"] and summary["national"]["respondents"] == shown_count(
        sum(answers.values())
    )

    loaded = settled(stack)
    again = load_all(runtimes, timeout=120)
    assert [again[name]["loaded"] for name in SERVICES] == [False, False, False]
    assert settled(stack) == loaded


def test_the_demo_loads_only_enrolment_where_one_database_url_would_serve_all_three(tmp_path):
    one = f"sqlite:///{tmp_path / 'one.db'}"
    runtimes, left_out = demo_runtimes({"DATABASE_URL": one})
    assert list(runtimes) == ["enrolment"] and left_out == ["scheduling", "feedback", "subscriptions"]
    apart = {
        "DATABASE_URL": one,
        "SCHEDULING__DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}",
        "FEEDBACK__DATABASE_URL": f"sqlite:///{tmp_path / 'f.db'}",
        "SUBSCRIPTIONS__DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
    }
    runtimes, left_out = demo_runtimes(apart)
    assert {name: r.settings.database_url for name, r in runtimes.items()} == {
        "enrolment": one,
        "scheduling": apart["SCHEDULING__DATABASE_URL"],
        "feedback": apart["FEEDBACK__DATABASE_URL"],
        "subscriptions": apart["SUBSCRIPTIONS__DATABASE_URL"],
    }
    assert left_out == []
    for runtime in runtimes.values():
        runtime.db.dispose()


def bearer(make_token, role, region=None):
    return {"Authorization": "Bearer " + make_token(role, region)}
