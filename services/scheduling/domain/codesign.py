"""Co-design: a cohort's development needs, ranked, become its sessions' topics.

Each needs survey answer rates needs 1..5 (5 = needed most). A need's score is its mean
rating over the answers that rated it; ties go to the need more people rated, then to
the need's name, so the ranking is the same however the answers arrived. `assign_topics`
(below) turns the ranking into one topic per upcoming session.

Pure: stdlib and ``shared.errors`` only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shared.errors import RuleViolation


@dataclass(frozen=True)
class NeedScore:
    need: str
    score: float  # mean rating, 3 decimals
    responses: int  # answers that rated this need


def rank_needs(answers: Iterable[Mapping[str, int]]) -> list[NeedScore]:
    """The needs of a cohort, most needed first."""
    totals: dict[str, list[int]] = {}
    for ratings in answers:
        for need, rating in ratings.items():
            totals.setdefault(need, []).append(rating)
    scores = [NeedScore(need, round(sum(r) / len(r), 3), len(r)) for need, r in totals.items()]
    return sorted(scores, key=lambda s: (-s.score, -s.responses, s.need))


def topic_label(need: str) -> str:
    """The session topic for a need code: "dealing_with_conflict" → "Dealing with conflict"."""
    return need.replace("_", " ").strip().capitalize()


def assign_topics(needs: Iterable[tuple[str, float]], session_count: int) -> list[str]:
    """Topics for `session_count` sessions from a cohort's ranked development needs.

    Highest score first (ties keep the order given); repeated needs (case-insensitive,
    trimmed) count once at their best score; blank needs are dropped. With fewer needs
    than sessions the ranking is cycled, so the top need comes round again first.
    """
    if isinstance(session_count, bool) or not isinstance(session_count, int) or session_count < 0:
        raise RuleViolation("invalid_count", "The number of sessions cannot be negative.", field="count")
    best: dict[str, list] = {}  # casefolded need -> [best score, first position, first spelling]
    for position, (need, score) in enumerate(needs):
        label = need.strip()
        key = label.casefold()
        if not key:
            continue
        if key not in best:
            best[key] = [score, position, label]
        elif score > best[key][0]:
            best[key][0] = score
    ranked = [label for _, _, label in sorted(best.values(), key=lambda v: (-v[0], v[1]))]
    if session_count and not ranked:
        raise RuleViolation(
            "no_development_needs",
            "The cohort has no development needs to choose topics from.",
            field="needs",
        )
    return [ranked[i % len(ranked)] for i in range(session_count)]
