"""Coaching goal types and the outcome figures split by them (scheduling's
`coaching.goals_set`: a coachee's goal types, never their words).

One person, one cell
--------------------
A coachee may have several goal types. Were each pair counted once under every type it has,
the cells would overlap: their sum would exceed the coaching total, and the difference
(sum of cells minus total) would be the figures of the people with more than one type, a
group that may well be 1 to 4 people; and "total minus one type" (those without it) would be
another. Complementary suppression protects sums of disjoint parts, so the split is made
disjoint: each pair is counted once, in the cell of its *combination* of goal types (for
example `coaching_skills+leadership_goal`), and pairs of coachees whose goals feedback did not
know when the pair was counted are one more part, `not_set`. The parts then add up exactly to
the coaching cell of the outcome table, and the two are settled as one table
(domain/disclosure.py, `outcome_cells_withheld`).

A pair is filed under the goal types known when its second answer arrives (an "after" waits
until the coaching has run, by when goals are set); a later change of goals does not move it.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations

from shared.contracts.vocabulary import CoachingGoal, OfferType

GOAL_TYPES = tuple(sorted(CoachingGoal.values()))
NOT_SET = "not_set"
SEPARATOR = "+"
COMBINATIONS = tuple(
    SEPARATOR.join(c) for size in range(1, len(GOAL_TYPES) + 1) for c in combinations(GOAL_TYPES, size)
)
GOAL_PARTS = (*COMBINATIONS, NOT_SET)  # the disjoint parts of a region's coaching pairs
SPLIT_OFFER_TYPE = OfferType.COACHING.value


def goal_combination(goal_types: Iterable[str] | None) -> str:
    """The one cell a coachee's pair counts in: their goal types, sorted and joined, or
    `not_set` when none are known."""
    chosen = sorted(set(goal_types or ()))
    unknown = [g for g in chosen if g not in GOAL_TYPES]
    if unknown:
        raise ValueError(f"not a coaching goal type: {unknown}")
    return SEPARATOR.join(chosen) if chosen else NOT_SET


def goal_types_of(combination: str) -> list[str]:
    """The goal types a cell stands for ([] for `not_set`)."""
    return [] if combination == NOT_SET else combination.split(SEPARATOR)
