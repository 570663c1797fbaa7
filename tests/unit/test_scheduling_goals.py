"""Coaching goals, the rule: a coaching enrolment's goals are chosen types of the published
vocabulary and the coachee's own words, bounded; the words and the progress notes are for the
coachee and their coach, the region's administrator sees the types; progress is noted at a
coaching session that happened."""

from datetime import UTC, datetime, timedelta

import pytest

from services.scheduling.domain.goals import (
    MAX_NOTE,
    MAX_WORDS,
    CoachingGoals,
    ProgressNote,
    Reader,
    goals_seen_by,
    note_progress,
    set_goals,
)
from services.scheduling.domain.sessions import Session, SessionStatus
from shared.errors import Conflict, RuleViolation

NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)
OPEN = {
    "offer_id": "o1",
    "participant_id": "p1",
    "offer_type": "coaching",
    "offer_status": "started",
    "is_member": True,
    "now": NOW,
}


def goals(types=("coaching_skills",), words="Run my own action learning set", previous=None, **changes):
    return set_goals(previous, **{**OPEN, **changes}, goal_types=list(types), words=words)


def test_a_coachees_goals_are_their_chosen_types_in_the_vocabularys_order_and_their_own_words_trimmed():
    chosen, changed = goals(["facilitation_skills", "leadership_goal"], "  Chair the PCN board well \n")
    assert (chosen.goal_types, chosen.words, chosen.set_at, changed) == (
        ("leadership_goal", "facilitation_skills"),
        "Chair the PCN board well",
        NOW,
        True,
    )


def test_changing_only_the_words_is_no_change_of_types_but_choosing_another_type_is():
    first, _ = goals(["leadership_goal"])
    _, words_only = goals(["leadership_goal"], "Other words", previous=first)
    _, reordered = goals(["leadership_goal"], previous=first)
    _, new_type = goals(["leadership_goal", "coaching_skills"], previous=first)
    assert (words_only, reordered, new_type) == (False, False, True)


@pytest.mark.parametrize(
    "types, words, rule, field",
    [
        ([], "Something", "goal_types_required", "goal_types"),
        (["leadership_goal", "leadership_goal"], "Something", "duplicate_goal_type", "goal_types"),
        (["world_peace"], "Something", "unknown_goal_type", "goal_types"),
        (["leadership_goal"], "   ", "goal_words_required", "words"),
        (["leadership_goal"], "x" * (MAX_WORDS + 1), "goal_words_too_long", "words"),
    ],
)
def test_goals_without_a_known_type_each_once_or_without_words_within_the_limit_are_refused_naming_the_field(
    types, words, rule, field
):
    with pytest.raises(RuleViolation) as refused:
        goals(types, words)
    assert (refused.value.rule, refused.value.field) == (rule, field)


def test_only_a_running_coaching_offer_and_a_coachee_on_its_roster_have_goals():
    with pytest.raises(RuleViolation) as group:
        goals(offer_type="action_learning_set")
    with pytest.raises(Conflict) as ended:
        goals(offer_status="completed")
    with pytest.raises(RuleViolation) as stranger:
        goals(is_member=False)
    assert (group.value.rule, ended.value.rule, stranger.value.rule, stranger.value.field) == (
        "not_coaching",
        "offer_closed",
        "not_a_member",
        "participant_id",
    )


def test_the_coachee_and_their_coach_read_the_words_and_notes_and_the_administrator_the_types_only():
    chosen = CoachingGoals("o1", "p1", ("coaching_skills",), "Coach my practice managers", NOW)
    note = ProgressNote("s1", "o1", "p1", Reader.COACH, "Tried the GROW model", NOW)
    private = {
        "offer_id": "o1",
        "participant_id": "p1",
        "goal_types": ["coaching_skills"],
        "set_at": NOW,
        "words": "Coach my practice managers",
    }
    for reader in (Reader.COACHEE, Reader.COACH):
        assert goals_seen_by(chosen, reader, [note], offer_id="o1", participant_id="p1") == {
            **private,
            "progress": [
                {
                    "session_id": "s1",
                    "offer_id": "o1",
                    "coachee_id": "p1",
                    "noted_by": "coach",
                    "note": "Tried the GROW model",
                    "noted_at": NOW,
                }
            ],
        }
    admin = goals_seen_by(chosen, Reader.ADMIN, [note], offer_id="o1", participant_id="p1")
    assert admin == {"offer_id": "o1", "participant_id": "p1", "goal_types": ["coaching_skills"], "set_at": NOW}


def test_goals_not_set_yet_read_as_no_types():
    assert goals_seen_by(None, Reader.ADMIN, [], offer_id="o1", participant_id="p1") == {
        "offer_id": "o1",
        "participant_id": "p1",
        "goal_types": [],
        "set_at": None,
    }


def coaching_session(hours_from_now: float, status=SessionStatus.SCHEDULED) -> Session:
    starts = NOW + timedelta(hours=hours_from_now)
    return Session("s1", starts, starts + timedelta(hours=1), status=status)


def test_progress_is_noted_by_the_coach_or_the_coachee_at_a_coaching_session_that_began():
    note = note_progress(
        coaching_session(-2),
        kind="coaching",
        offer_id="o1",
        coachee_id="p1",
        author=Reader.COACHEE,
        note=" Felt more confident ",
        now=NOW,
    )
    assert note == ProgressNote("s1", "o1", "p1", Reader.COACHEE, "Felt more confident", NOW)


@pytest.mark.parametrize(
    "session, kind, author, text, error, rule",
    [
        (coaching_session(3), "coaching", Reader.COACH, "Early", Conflict, "session_not_started"),
        (
            coaching_session(-3, SessionStatus.CANCELLED),
            "coaching",
            Reader.COACH,
            "Never met",
            Conflict,
            "session_cancelled",
        ),
        (coaching_session(-3), "group", Reader.COACHEE, "A group", RuleViolation, "not_coaching_session"),
        (coaching_session(-3), "coaching", Reader.ADMIN, "Not theirs", RuleViolation, "not_in_the_coaching"),
        (coaching_session(-3), "coaching", Reader.COACH, " ", RuleViolation, "note_required"),
        (coaching_session(-3), "coaching", Reader.COACH, "x" * (MAX_NOTE + 1), RuleViolation, "note_too_long"),
    ],
)
def test_progress_is_refused_before_a_session_begins_at_a_cancelled_or_group_session_by_others_or_without_a_fit_note(
    session, kind, author, text, error, rule
):
    with pytest.raises(error) as refused:
        note_progress(session, kind=kind, offer_id="o1", coachee_id="p1", author=author, note=text, now=NOW)
    assert refused.value.rule == rule
