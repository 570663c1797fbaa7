"""Coaching goals: what a coaching enrolment is for — chosen types and the coachee's own words —
and the progress coach and coachee note at its sessions.

Who reads what: the words and the progress notes are personal free text, so only the coachee
and their coach read them; the region's administrator sees which types were chosen, nothing
more; nobody else sees either (events carry the types only, never the words).

Pure: stdlib, the published vocabulary and ``shared.errors`` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.contracts.vocabulary import CoachingGoal, OfferType
from shared.errors import Conflict, RuleViolation

from .recurrence import require_aware
from .sessions import Session, is_cancelled, offer_has_ended

MAX_WORDS = 1000  # characters of the coachee's own words about their goals
MAX_NOTE = 2000  # characters of one progress note


class Reader(StrEnum):
    """Who reads a coachee's goals, as far as the goals are concerned."""

    COACHEE = "coachee"
    COACH = "coach"
    ADMIN = "admin"


# Who may read the words and the progress notes: the people in the coaching relationship.
PRIVATE_READERS = (Reader.COACHEE, Reader.COACH)


@dataclass(frozen=True)
class CoachingGoals:
    offer_id: str
    participant_id: str
    goal_types: tuple[str, ...]  # in the vocabulary's order, each once
    words: str
    set_at: datetime


@dataclass(frozen=True)
class ProgressNote:
    """What the coach or the coachee noted at one coaching session (one note each per session)."""

    session_id: str
    offer_id: str
    coachee_id: str
    author: Reader  # COACH or COACHEE
    note: str
    noted_at: datetime


def set_goals(
    previous: CoachingGoals | None,
    *,
    offer_id: str,
    participant_id: str,
    offer_type: str,
    offer_status: str,
    is_member: bool,
    goal_types: Iterable[str],
    words: str,
    now: datetime,
) -> tuple[CoachingGoals, bool]:
    """A coachee's goals as they set or change them, and whether the chosen TYPES changed (the
    first setting counts as a change): only then does anyone outside the coaching relationship
    need to hear of it. Refused unless the offer is a coaching offer still running and the
    coachee on its roster; the types must be the vocabulary's, each once, at least one; the
    words must say something, within MAX_WORDS characters."""
    require_aware(now, "now")
    ensure_coaching(offer_type)
    if offer_has_ended(offer_status):
        raise Conflict("offer_closed", f"The offer is {offer_status}: its goals can no longer change.")
    if not is_member:
        raise RuleViolation(
            "not_a_member", "The participant is not a member of this coaching offer.", field="participant_id"
        )
    types = _goal_types(goal_types)
    text = _bounded_text(words, MAX_WORDS, "words", "goal_words")
    goals = CoachingGoals(offer_id, participant_id, types, text, now)
    return goals, previous is None or previous.goal_types != types


def ensure_coaching(offer_type: str) -> None:
    if offer_type != OfferType.COACHING:
        raise RuleViolation("not_coaching", "Only a coaching enrolment has coaching goals.")


def _goal_types(chosen: Iterable[str]) -> tuple[str, ...]:
    chosen = list(chosen)
    known = CoachingGoal.values()
    unknown = [kind for kind in chosen if kind not in known]
    if unknown:
        raise RuleViolation("unknown_goal_type", f"Goal types are {', '.join(known)}.", field="goal_types")
    if not chosen:
        raise RuleViolation("goal_types_required", "Choose at least one goal type.", field="goal_types")
    if len(set(chosen)) != len(chosen):
        raise RuleViolation("duplicate_goal_type", "Each goal type is chosen once.", field="goal_types")
    return tuple(kind for kind in known if kind in chosen)


def _bounded_text(text: str, limit: int, field: str, rule: str) -> str:
    text = text.strip()
    if not text:
        raise RuleViolation(f"{rule}_required", f"Say something in {field}.", field=field)
    if len(text) > limit:
        raise RuleViolation(
            f"{rule}_too_long", f"{field} is at most {limit} characters.", field=field, extra={"limit": limit}
        )
    return text


def goals_seen_by(
    goals: CoachingGoals | None, reader: Reader, notes: Iterable[ProgressNote], *, offer_id: str, participant_id: str
) -> dict:
    """The goals as `reader` may see them: the coachee and their coach the types, the words and
    every progress note; the region's administrator the types only. No goals set yet: no types."""
    seen = {
        "offer_id": offer_id,
        "participant_id": participant_id,
        "goal_types": list(goals.goal_types) if goals else [],
        "set_at": goals.set_at if goals else None,
    }
    if reader in PRIVATE_READERS:
        seen["words"] = goals.words if goals else None
        seen["progress"] = [note_seen(n) for n in sorted(notes, key=lambda n: (n.noted_at, n.author))]
    return seen


def note_seen(note: ProgressNote) -> dict:
    return {
        "session_id": note.session_id,
        "offer_id": note.offer_id,
        "coachee_id": note.coachee_id,
        "noted_by": note.author.value,
        "note": note.note,
        "noted_at": note.noted_at,
    }


def note_progress(
    session: Session, *, kind: str, offer_id: str, coachee_id: str | None, author: Reader, note: str, now: datetime
) -> ProgressNote:
    """A progress note of the coach or the coachee at a coaching session: one that has begun
    (it happened) and was not cancelled. A second note of the same author replaces the first."""
    require_aware(now, "now")
    if kind != "coaching" or coachee_id is None:
        raise RuleViolation("not_coaching_session", "Progress is noted at 1:1 coaching sessions only.")
    if author not in PRIVATE_READERS:
        raise RuleViolation("not_in_the_coaching", "Only the coach and the coachee note progress.")
    if is_cancelled(session.status):
        raise Conflict(
            "session_cancelled",
            f"Session {session.id} was cancelled: there is no progress to note.",
            extra={"session_id": session.id},
        )
    if session.starts_at > now:
        raise Conflict(
            "session_not_started",
            f"Session {session.id} has not started yet: progress is noted once it has.",
            extra={"session_id": session.id},
        )
    return ProgressNote(session.id, offer_id, coachee_id, author, _bounded_text(note, MAX_NOTE, "note", "note"), now)
