"""Outcome measures: one questionnaire before an offer and one after, each measure 1-7, and
the within-person change of the people who gave both (also by quarter, with its interval).

"After" needs the offer to have run
-----------------------------------
An "after" measures what the offer changed, so it is taken only once the offer has run: when
enrolment has completed it, or when at least a set share (`OUTCOME_AFTER_MIN_SHARE`, default
0.5) of its planned sessions (enrolment's `planned_sessions`) have been held. A group offer's
session is held once it has ended and was not cancelled (scheduling's session events); a 1:1
coaching offer's sessions are each coachee's own, so there it counts the sessions the person was
present at (scheduling's attendance). Before that an "after" answers 409 `offer_not_run_yet`,
naming `phase`, and nothing is stored. An offer whose planned sessions feedback does not know
yet takes an "after" only once completed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from services.feedback.domain.answers import FieldErrors, checked_rating, unknown_fields
from services.feedback.domain.insight_statistics import mean_interval_of
from services.feedback.domain.running_stats import RunningStats
from services.feedback.domain.scales import OUTCOME_7, Scale
from shared.disclosure import SMALL_NUMBERS, shown_count, shown_ratio
from shared.errors import Conflict

OUTCOME_MEASURES = ("confidence", "isolation", "trust_in_group", "sense_of_direction")
# Isolation is the one measure where a fall is the good news.
LOWER_IS_BETTER = frozenset({"isolation"})
OUTCOME_PHASES = ("before", "after")


@dataclass(frozen=True)
class OutcomeChange:
    """Paired before/after answers on one outcome measure (1-7).

    Only participants who answered both are added, as a pair, so `change` is the mean
    within-person change. `improvement` flips the sign for measures where lower is better
    (isolation), so a positive improvement always means things got better.
    """

    measure: str
    lower_is_better: bool = False
    before: RunningStats = field(default_factory=lambda: RunningStats(OUTCOME_7))
    after: RunningStats = field(default_factory=lambda: RunningStats(OUTCOME_7))

    @property
    def count(self) -> int:
        return self.before.count

    def add_pair(self, before: int, after: int) -> OutcomeChange:
        return OutcomeChange(self.measure, self.lower_is_better, self.before.add(before), self.after.add(after))

    def merge(self, other: OutcomeChange) -> OutcomeChange:
        if (other.measure, other.lower_is_better) != (self.measure, self.lower_is_better):
            raise ValueError("cannot merge changes of different measures")
        return OutcomeChange(
            self.measure, self.lower_is_better, self.before.merge(other.before), self.after.merge(other.after)
        )

    @property
    def change(self) -> float | None:
        if self.count == 0:
            return None
        return (self.after.total - self.before.total) / self.count

    @property
    def improvement(self) -> float | None:
        c = self.change
        if c is None:
            return None
        return -c if self.lower_is_better else c

    def summary(self) -> dict:
        return {
            "measure": self.measure,
            "pairs": self.count,
            "mean_before": self.before.mean,
            "mean_after": self.after.mean,
            "change": self.change,
            "improvement": self.improvement,
            "lower_is_better": self.lower_is_better,
        }


@dataclass(frozen=True)
class OutcomeAnswers:
    phase: str
    scores: dict[str, int]


@dataclass(frozen=True)
class OutcomeResponse:
    participant_id: str
    offer_id: str
    phase: str
    scores: Mapping[str, int]


def accept_outcome(phase: Any, scores: Mapping[str, Any], *, already_given: bool) -> OutcomeAnswers:
    """Validate one before/after questionnaire: every measure 1-7 (field `scores.<measure>`).

    Once per person, offer and phase: `already_given` -> Conflict `outcome_already_given`.
    """
    errors = FieldErrors()
    if phase not in OUTCOME_PHASES:
        errors.add("phase", "unknown_choice", "phase must be before or after.")
    if not isinstance(scores, Mapping):
        errors.add("scores", "invalid_type", "scores must map each measure to a score.")
        errors.raise_if_any()
    unknown_fields(errors, scores, OUTCOME_MEASURES, prefix="scores.")
    clean = {m: checked_rating(errors, f"scores.{m}", scores.get(m), 1, 7) for m in OUTCOME_MEASURES}
    errors.raise_if_any()
    if already_given:
        raise Conflict("outcome_already_given", f"The {phase} questionnaire for this offer has already been given.")
    return OutcomeAnswers(phase=phase, scores=clean)


@dataclass(frozen=True)
class OfferProgress:
    """How far an offer has run, as feedback knows it from enrolment's and scheduling's events."""

    status: str
    planned_sessions: int | None
    held_sessions: int


def has_run(progress: OfferProgress, min_share: float) -> bool:
    """Completed, or at least `min_share` of its planned sessions held (compared exactly)."""
    if progress.status == "completed":
        return True
    if not progress.planned_sessions:
        return False
    return Fraction(progress.held_sessions, progress.planned_sessions) >= Fraction(str(min_share))


def check_phase_allowed(phase: str, progress: OfferProgress, min_share: float) -> None:
    """A "before" is always welcome; an "after" only once the offer has run (`has_run`)."""
    if phase == "after" and not has_run(progress, min_share):
        planned = progress.planned_sessions
        needed = (
            "its completion"
            if not planned
            else (
                f"its completion or {_share(min_share)} of its {planned} planned sessions held "
                f"({progress.held_sessions} so far)"
            )
        )
        raise Conflict(
            "offer_not_run_yet", f"An after questionnaire is taken once the offer has run: {needed}.", field="phase"
        )


def _share(min_share: float) -> str:
    return f"{round(min_share * 100)}%"


def empty_outcome_changes() -> dict[str, OutcomeChange]:
    return {m: OutcomeChange(m, lower_is_better=m in LOWER_IS_BETTER) for m in OUTCOME_MEASURES}


def add_outcome_pair(
    changes: Mapping[str, OutcomeChange], before: Mapping[str, int], after: Mapping[str, int]
) -> dict[str, OutcomeChange]:
    """Count one participant's before/after pair. Call when the second of the two arrives."""
    return {
        m: changes.get(m, OutcomeChange(m, m in LOWER_IS_BETTER)).add_pair(before[m], after[m])
        for m in OUTCOME_MEASURES
    }


def outcome_changes(
    responses: Iterable[OutcomeResponse], offers: Mapping[str, tuple[str, str]]
) -> dict[tuple[str, str], dict[str, OutcomeChange]]:
    """Paired change per (offer_type, region): mean(after) - mean(before) over people who
    gave both for the same offer. `offers` maps offer_id to (offer_type, region).

    `OutcomeChange.change` is the raw difference; for isolation a negative change is an
    improvement, which `OutcomeChange.improvement` reports as positive.
    """
    by_person: dict[tuple[str, str], dict[str, Mapping[str, int]]] = {}
    for r in responses:
        if r.offer_id not in offers:
            raise ValueError("response for an unknown offer")
        # Only one per phase is accepted; were there more, the last one read wins.
        by_person.setdefault((r.participant_id, r.offer_id), {})[r.phase] = r.scores
    result: dict[tuple[str, str], dict[str, OutcomeChange]] = {}
    for (_, offer_id), phases in by_person.items():
        if "before" in phases and "after" in phases:
            group = offers[offer_id]
            result[group] = add_outcome_pair(
                result.get(group) or empty_outcome_changes(), phases["before"], phases["after"]
            )
    return result


# --- changes by quarter, with their intervals -----------------------------------------------

# A within-person change on a 1-7 measure: after - before.
CHANGE = Scale("outcome_change", tuple(range(-6, 7)))


def changes_of(pairs: Iterable[tuple[Mapping[str, int], Mapping[str, int]]]) -> dict[str, RunningStats]:
    """Each measure's within-person changes (after - before) over the (before, after) pairs given."""
    counts: dict[str, dict[int, int]] = {m: {} for m in OUTCOME_MEASURES}
    for before, after in pairs:
        for m in OUTCOME_MEASURES:
            change = after[m] - before[m]
            counts[m][change] = counts[m].get(change, 0) + 1
    return {m: RunningStats.from_counts(CHANGE, by_change) for m, by_change in counts.items()}


def quarter_changes_view(quarter: str, changes: Mapping[str, RunningStats] | None, withheld: str | None) -> dict:
    """One quarter of a cell's outcome changes as published, or only the fact that it is withheld.

    A change is the mean within-person change, to two places, as the outcome table writes it;
    its 95 % interval is centred on it with the half-width the t distribution gives over the
    *published* distribution of changes (each bucket rounded to 5), as `insight` does for a
    feedback mean: never over the exact variance, which with the mean would pin down the count.
    Null below 2 rounded answers."""
    count = 0 if not changes else max(s.count for s in changes.values())
    if withheld or not count:
        return {"quarter": quarter, "suppressed": True, "reason": SMALL_NUMBERS, "respondents": None, "measures": {}}
    return {
        "quarter": quarter,
        "suppressed": False,
        "reason": None,
        "respondents": shown_count(count),
        "measures": {m: change_view(changes[m]) for m in OUTCOME_MEASURES},
    }


def change_view(stats: RunningStats) -> dict:
    published = RunningStats.from_counts(CHANGE, {v: shown_count(n) for v, n in zip(CHANGE.values, stats.histogram)})
    interval, mean = mean_interval_of(published), stats.mean
    if interval is None or mean is None:
        return {"change": shown_ratio(mean), "low": None, "high": None}
    half = interval.high - interval.estimate
    bottom, top = CHANGE.values[0], CHANGE.values[-1]
    return {
        "change": shown_ratio(mean),
        "low": shown_ratio(max(bottom, mean - half)),
        "high": shown_ratio(min(top, mean + half)),
    }
