"""Feedback's use cases on an in-memory unit of work: SQLite in memory, events kept in a memory
outbox, the marker pepper and the personal-data key given in the settings. No Kafka, no files."""

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select

from services.feedback.settings import FeedbackSettings
from services.feedback.store import aggregates, metadata, projections
from services.feedback.store import tables as t
from services.feedback.usecases import answers, attendance, erasure, goals, rebuild
from shared import data_keys
from shared.auth import Principal, Role
from shared.clock import utcnow
from shared.contracts.feedback import NEEDS_REPORTED, SUMMARY_UPDATED
from shared.errors import Conflict
from shared.outbox import MemoryOutbox
from shared.sealing import new_kek_text
from shared.unit import Unit

ENDS = utcnow().replace(microsecond=0) - timedelta(days=1)
GOOD = {"overall": 5, "usefulness": 4, "will_apply": 3, "recommend": "very_good"}
RATINGS = {
    "leadership": 5,
    "collaboration": 4,
    "dealing_with_conflict": 3,
    "innovation": 2,
    "teamwork": 1,
    "strategy": 3,
    "engagement": 4,
}
SCORES = {"confidence": 3, "isolation": 5, "trust_in_group": 4, "sense_of_direction": 2}


@pytest.fixture
def conn():
    engine = create_engine("sqlite://")
    data_keys.bind(engine, SETTINGS)  # comments are sealed under the settings' key
    with engine.begin() as connection:
        metadata.create_all(connection)
        yield connection
    engine.dispose()


SETTINGS = FeedbackSettings(marker_pepper="p" * 40, personal_data_key=new_kek_text())


def unit_of(conn, person: str | None = None, region: str = "Y56") -> Unit:
    principal = None if person is None else Principal(person, Role.PARTICIPANT, region)
    return Unit(conn, MemoryOutbox(), SETTINGS, principal)


def held_session(conn, *, present=("p1",), offer_known=True) -> None:
    """A session of an action learning set in London, held yesterday, with who was there."""
    if offer_known:
        attendance.learn_offer(
            unit_of(conn),
            {"offer_id": "o1", "region": "Y56", "offer_type": "action_learning_set", "status": "published"},
        )
    projections.save_session(
        conn,
        {
            "session_id": "s1",
            "offer_id": "o1",
            "region": "Y56",
            "starts_at": ENDS - timedelta(hours=2),
            "ends_at": ENDS,
            "sequence": 0,
            "status": "scheduled",
        },
    )
    for person in present:
        attendance.record_attendance(
            unit_of(conn),
            {
                "session_id": "s1",
                "offer_id": "o1",
                "region": "Y56",
                "participant_id": person,
                "attendance": "present",
                "recorded_at": ENDS,
            },
        )


def stats_rows(conn, family: str = "feedback") -> dict:
    """{(scope, key, period, measure): count} of the stored aggregate rows of a family."""
    c = t.aggregate_stats.c
    rows = conn.execute(select(c.scope, c.key, c.period, c.measure, c["count"]).where(c.family == family))
    return {(row.scope, row.key, row.period, row.measure): row.count for row in rows}


def attendee_rows(conn) -> dict:
    c = t.attendee_counts.c
    return {
        (row.scope, row.key, row.period): row.attendees
        for row in conn.execute(select(c.scope, c.key, c.period, c.attendees))
    }


def count(conn, table) -> int:
    return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_one_feedback_answer_adds_to_the_aggregates_in_one_write_counted_once_in_each_of_its_rows(conn, monkeypatch):
    held_session(conn)
    writes = []
    add = aggregates.add
    monkeypatch.setattr(aggregates, "add", lambda c, counted: writes.append(counted) or add(c, counted))
    answers.give_feedback(unit_of(conn, "p1"), "s1", GOOD)
    assert len(writes) == 1
    rows = stats_rows(conn)
    assert len(rows) == 6 * 4 and set(rows.values()) == {1}
    month = ENDS.astimezone(projections.UK).strftime("%Y-%m")
    assert {(scope, key, period) for scope, key, period, _ in rows} == {
        ("session", "s1", "all"),
        ("offer", "o1", "all"),
        ("offer_type", "action_learning_set", "all"),
        ("offer_type", "action_learning_set", month),
        ("region", "Y56", "all"),
        ("region", "Y56", month),
    }


def test_one_feedback_answer_records_only_withheld_summaries_and_no_event_of_its_own(conn):
    held_session(conn)
    unit = unit_of(conn, "p1")
    answers.give_feedback(unit, "s1", GOOD | {"comment": "Helpful."})
    recorded = unit.outbox.recorded
    # National, regional and offer-type cells, each for all time and the session's month.
    assert unit.outbox.types() == [SUMMARY_UPDATED.type] * 6
    assert all(e.data["suppressed"] and e.data["respondents"] is None and e.data["measures"] == {} for e in recorded)
    assert not any("Helpful." in str(e.data) for e in recorded)


def test_an_anonymous_answer_is_stored_without_its_author_or_date_and_its_marker_apart(conn):
    held_session(conn)
    receipt = answers.give_feedback(unit_of(conn, "p1"), "s1", GOOD | {"anonymous": True})
    [row] = conn.execute(select(t.feedback_responses)).mappings().all()
    assert receipt == {"session_id": "s1", "anonymous": True}
    assert row["participant_id"] is None and row["given_on"] is None and row["anonymous"] is True
    [marker] = conn.execute(select(t.feedback_responded.c.marker)).scalars().all()
    assert "p1" not in marker and marker != row["id"]


def test_a_second_answer_on_the_same_session_is_refused_and_counts_nothing_more(conn):
    held_session(conn)
    answers.give_feedback(unit_of(conn, "p1"), "s1", GOOD)
    with pytest.raises(Conflict) as refused:
        answers.give_feedback(unit_of(conn, "p1"), "s1", GOOD)
    assert refused.value.rule == "feedback_already_given"
    assert count(conn, t.feedback_responses) == 1 and set(stats_rows(conn).values()) == {1}


def test_attendance_is_counted_in_the_rows_of_the_session_and_its_offer_type_waits_for_the_offer(conn):
    held_session(conn, present=("p1", "p2"), offer_known=False)
    assert not any(scope == "offer_type" for scope, _, _ in attendee_rows(conn))
    assert attendee_rows(conn)[("session", "s1", "all")] == 2
    attendance.learn_offer(
        unit_of(conn), {"offer_id": "o1", "region": "Y56", "offer_type": "coaching", "status": "published"}
    )
    filed = attendee_rows(conn)
    assert filed[("offer_type", "coaching", "all")] == 2 and filed[("region", "Y56", "all")] == 2
    assert sum(scope == "offer_type" for scope, _, _ in filed) == 2


def test_a_needs_answer_naming_an_offer_counts_for_its_region_and_records_needs_reported_without_a_pcn(conn):
    projections.save_member(conn, "o1", "p1", "confirmed")
    unit = unit_of(conn, "p1")
    receipt = answers.answer_needs(unit, {"ratings": RATINGS, "offer_id": "o1"})
    assert receipt == {"region": "Y56", "pcn_code": None, "offer_id": "o1", "replaced": False}
    assert {(scope, key) for scope, key, _, _ in stats_rows(conn, "needs")} == {("region", "Y56")}
    [event] = unit.outbox.recorded
    assert event.type == NEEDS_REPORTED.type and event.data["pcn_code"] is None and event.data["ratings"] == RATINGS


def test_a_members_second_needs_answer_for_an_offer_replaces_the_first_in_co_design_and_counts_once_in_the_figures(
    conn,
):
    for person in ("p1", "p2"):
        projections.save_member(conn, "o1", person, "confirmed")
    first, second, other = unit_of(conn, "p1"), unit_of(conn, "p1"), unit_of(conn, "p2")
    answers.answer_needs(first, {"ratings": RATINGS, "offer_id": "o1"})
    receipt = answers.answer_needs(second, {"ratings": dict(RATINGS, leadership=1), "offer_id": "o1"})
    answers.answer_needs(other, {"ratings": RATINGS, "offer_id": "o1"})
    assert receipt["replaced"] is True
    [(_, earlier)], [(_, later)], [(_, theirs)] = (
        [(e.type, e.data) for e in u.outbox.recorded] for u in (first, second, other)
    )
    assert earlier["response_id"] == later["response_id"] != theirs["response_id"]  # one voice each
    assert later["ratings"]["leadership"] == 1 and "p1" not in later["response_id"]
    assert stats_rows(conn, "needs")[("region", "Y56", "all", "leadership")] == 2  # two people
    assert count(conn, t.needs_responses) == 2 and count(conn, t.needs_voices) == 2


def test_erasure_deletes_the_voice_secret_so_the_members_pseudonym_cannot_be_made_again(conn):
    projections.save_member(conn, "o1", "p1", "confirmed")
    unit = unit_of(conn, "p1")
    answers.answer_needs(unit, {"ratings": RATINGS, "offer_id": "o1"})
    erasure.participant_erased(unit_of(conn), "p1", utcnow())
    assert count(conn, t.needs_voices) == 0 and count(conn, t.needs_answered) == 0
    assert stats_rows(conn, "needs")[("region", "Y56", "all", "leadership")] == 1  # still counted
    projections.save_member(conn, "o1", "p1", "confirmed")  # were the old id ever to come back
    again = unit_of(conn, "p1")
    answers.answer_needs(again, {"ratings": RATINGS, "offer_id": "o1"})
    assert again.outbox.recorded[0].data["response_id"] != unit.outbox.recorded[0].data["response_id"]


def test_an_outcome_pair_is_counted_once_when_its_second_answer_arrives(conn):
    attendance.learn_offer(
        unit_of(conn), {"offer_id": "o1", "region": "Y56", "offer_type": "coaching", "status": "completed"}
    )
    projections.save_member(conn, "o1", "p1", "confirmed")
    first = answers.give_outcome(unit_of(conn, "p1"), {"offer_id": "o1", "phase": "before", "scores": SCORES})
    assert first["paired"] is False and stats_rows(conn, "outcomes") == {}
    second = answers.give_outcome(
        unit_of(conn, "p1"), {"offer_id": "o1", "phase": "after", "scores": SCORES | {"confidence": 6}}
    )
    rows = stats_rows(conn, "outcomes")
    assert second["paired"] is True and len(rows) == 16 and set(rows.values()) == {1}  # 8 measures in each of 2 rows
    assert {(scope, key, period) for scope, key, period, _ in rows} == {
        ("offer_type", "coaching", "all"),
        ("goals", "not_set", "all"),
    }


def test_an_after_on_an_offer_that_has_not_run_is_refused_and_stores_nothing_then_taken_once_half_its_sessions_are_held(
    conn,
):
    attendance.learn_offer(
        unit_of(conn),
        {
            "offer_id": "o1",
            "region": "Y56",
            "offer_type": "action_learning_set",
            "status": "started",
            "planned_sessions": 2,
        },
    )
    projections.save_member(conn, "o1", "p1", "confirmed")
    answers.give_outcome(unit_of(conn, "p1"), {"offer_id": "o1", "phase": "before", "scores": SCORES})
    upcoming = {"offer_id": "o1", "region": "Y56", "sequence": 0, "status": "scheduled"}
    projections.save_session(
        conn,
        upcoming
        | {"session_id": "s-later", "starts_at": utcnow() + timedelta(days=6), "ends_at": utcnow() + timedelta(days=7)},
    )
    with pytest.raises(Conflict) as caught:
        answers.give_outcome(unit_of(conn, "p1"), {"offer_id": "o1", "phase": "after", "scores": SCORES})
    assert (
        caught.value.rule == "offer_not_run_yet"
        and count(conn, t.outcome_responses) == 1
        and stats_rows(conn, "outcomes") == {}
    )
    projections.save_session(
        conn, upcoming | {"session_id": "s-held", "starts_at": ENDS - timedelta(hours=2), "ends_at": ENDS}
    )
    assert (
        answers.give_outcome(unit_of(conn, "p1"), {"offer_id": "o1", "phase": "after", "scores": SCORES})["paired"]
        is True
    )


def test_a_coaching_offer_has_run_for_a_coachee_by_the_sessions_they_attended(conn):
    attendance.learn_offer(
        unit_of(conn),
        {"offer_id": "c1", "region": "Y56", "offer_type": "coaching", "status": "started", "planned_sessions": 2},
    )
    projections.save_member(conn, "c1", "p1", "confirmed")
    for session, person in (("s1", "p2"), ("s2", "p2"), ("s3", "p1")):  # someone else's sessions do not count for p1
        projections.save_session(
            conn,
            {
                "session_id": session,
                "offer_id": "c1",
                "region": "Y56",
                "starts_at": ENDS - timedelta(hours=1),
                "ends_at": ENDS,
                "sequence": 0,
                "status": "scheduled",
            },
        )
        attendance.record_attendance(
            unit_of(conn),
            {
                "session_id": session,
                "offer_id": "c1",
                "region": "Y56",
                "participant_id": person,
                "attendance": "present",
                "recorded_at": ENDS,
            },
        )
    assert projections.offer_progress(conn, dict(projections.offer_row(conn, "c1")), "p1", utcnow()).held_sessions == 1
    assert (
        answers.give_outcome(unit_of(conn, "p1"), {"offer_id": "c1", "phase": "after", "scores": SCORES})["paired"]
        is False
    )


def test_a_coaching_pair_is_filed_under_its_coachees_latest_goal_types_and_a_rebuild_files_it_alike_after_erasure(conn):
    attendance.learn_offer(
        unit_of(conn), {"offer_id": "c1", "region": "Y56", "offer_type": "coaching", "status": "completed"}
    )
    for person in ("p1", "p2"):
        projections.save_member(conn, "c1", person, "confirmed")
    later, earlier = utcnow(), utcnow() - timedelta(days=1)
    goals.goals_set(
        unit_of(conn),
        {
            "offer_id": "c1",
            "participant_id": "p1",
            "region": "Y56",
            "goal_types": ["leadership_goal", "coaching_skills"],
            "set_at": later,
        },
    )
    goals.goals_set(
        unit_of(conn),
        {
            "offer_id": "c1",
            "participant_id": "p1",
            "region": "Y56",
            "goal_types": ["facilitation_skills"],
            "set_at": earlier,
        },
    )  # late, older
    for person in ("p1", "p2"):
        for phase in ("before", "after"):
            answers.give_outcome(unit_of(conn, person), {"offer_id": "c1", "phase": phase, "scores": SCORES})
    filed = {
        key: n
        for (scope, key, _, measure), n in stats_rows(conn, "outcomes").items()
        if scope == "goals" and measure == "confidence.before"
    }
    assert filed == {"coaching_skills+leadership_goal": 1, "not_set": 1}
    erasure.participant_erased(unit_of(conn), "p1", utcnow())
    live = stats_rows(conn, "outcomes")
    rebuild.rebuild(unit_of(conn))
    assert stats_rows(conn, "outcomes") == live


def test_a_rebuild_files_every_figure_and_attendee_where_the_live_answers_did(conn):
    held_session(conn, present=("p1", "p2", "p3"))
    for person in ("p1", "p2", "p3"):
        answers.give_feedback(unit_of(conn, person), "s1", GOOD | {"overall": 2 if person == "p2" else 5})
    live = (stats_rows(conn), attendee_rows(conn), conn.execute(select(t.published_cells)).all())
    unit = unit_of(conn)
    assert rebuild.rebuild(unit) == {"sessions_with_feedback": 1}
    assert (stats_rows(conn), attendee_rows(conn), conn.execute(select(t.published_cells)).all()) == live
    assert unit.outbox.types() == [SUMMARY_UPDATED.type] * 6


def test_an_erased_participants_named_answer_loses_author_date_and_comment_and_their_markers_go_while_the_figures_stay(
    conn,
):
    held_session(conn)
    projections.save_member(conn, "o1", "p1", "confirmed")
    answers.give_feedback(unit_of(conn, "p1"), "s1", GOOD | {"comment": "Names a colleague."})
    answers.answer_needs(unit_of(conn, "p1"), {"ratings": RATINGS})
    figures = stats_rows(conn)
    erasure.participant_erased(unit_of(conn), "p1", utcnow())
    [row] = conn.execute(select(t.feedback_responses)).mappings().all()
    assert (
        row["participant_id"] is None
        and row["anonymous"] is True
        and row["given_on"] is None
        and row["comment"] is None
    )
    assert (
        count(conn, t.feedback_responded) == 0 and count(conn, t.needs_answered) == 0 and count(conn, t.attendance) == 0
    )
    assert stats_rows(conn) == figures
