"""The figures of one cell (every measure of a family) and how a cell is shown.

A *family* is a set of measures answered together: session feedback, the needs survey,
outcome pairs. Each respondent answers every measure of its family, so a cell's count of
respondents is the count of any of its measures. Pure Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.feedback.domain.feedback import FEEDBACK_MEASURES
from services.feedback.domain.needs import NEEDS, rank_needs
from services.feedback.domain.outcomes import LOWER_IS_BETTER, OUTCOME_MEASURES, OUTCOME_PHASES, OutcomeChange
from services.feedback.domain.running_stats import RunningStats
from services.feedback.domain.scales import FFT_NEGATIVE, FFT_POSITIVE, LIKERT_5, OUTCOME_7
from shared.disclosure import SMALL_NUMBERS, shown_count, shown_ratio, shown_share

FAMILIES = {
    "feedback": dict(FEEDBACK_MEASURES),
    "needs": {need: LIKERT_5 for need in NEEDS},
    "outcomes": {f"{m}.{phase}": OUTCOME_7 for m in OUTCOME_MEASURES for phase in OUTCOME_PHASES},
}


@dataclass(frozen=True)
class Figures:
    """Every measure of one family in one cell."""

    family: str
    stats: Mapping[str, RunningStats]

    @classmethod
    def empty(cls, family: str) -> Figures:
        return cls(family, {m: RunningStats(scale) for m, scale in FAMILIES[family].items()})

    @classmethod
    def of(cls, family: str, stats: Mapping[str, RunningStats]) -> Figures:
        """The given measures, and an empty figure for each one missing."""
        return cls(family, {m: stats.get(m) or RunningStats(scale) for m, scale in FAMILIES[family].items()})

    @classmethod
    def answer(cls, family: str, values: Mapping[str, object]) -> Figures:
        """One respondent's answers as a figure to add."""
        return cls.from_counts(family, {m: {v: 1} for m, v in values.items()})

    @classmethod
    def from_counts(cls, family: str, counts: Mapping[str, Mapping]) -> Figures:
        """Figures from how many answered each value of each measure: {measure: {value: n}}."""
        return cls(
            family, {m: RunningStats.from_counts(FAMILIES[family][m], by_value) for m, by_value in counts.items()}
        )

    @property
    def count(self) -> int:
        return max((s.count for s in self.stats.values()), default=0)

    def merge(self, other: Figures) -> Figures:
        stats = dict(self.stats)
        for m, s in other.stats.items():
            stats[m] = stats[m].merge(s) if m in stats else s
        return Figures(self.family, stats)

    def summary(self) -> dict:
        return {m: s.summary() for m, s in self.stats.items()}


def merge_all(family: str, figures) -> Figures:
    total = Figures.empty(family)
    for f in figures:
        total = total.merge(f)
    return total


def ranking_view(figures: Figures) -> list[dict]:
    """Needs ranked by mean rating, as published: rounded counts, means to two places."""
    ranks = rank_needs(Figures.of("needs", figures.stats).stats)
    return [{"rank": r.rank, "need": r.need, "mean": shown_ratio(r.mean), "count": shown_count(r.count)} for r in ranks]


def changes_view(figures: Figures) -> list[dict]:
    """Mean before/after change per outcome measure (pairs only), as published."""
    full = Figures.of("outcomes", figures.stats).stats
    summaries = [
        OutcomeChange(m, m in LOWER_IS_BETTER, full[f"{m}.before"], full[f"{m}.after"]).summary()
        for m in OUTCOME_MEASURES
    ]
    ratios = ("mean_before", "mean_after", "change", "improvement")
    return [c | {"pairs": shown_count(c["pairs"])} | {k: shown_ratio(c[k]) for k in ratios} for c in summaries]


def feedback_view(figures: Figures, withheld: str | None, attendees: int | None = None) -> dict:
    """A feedback cell as published (the disclosure policy's numbers), or only the fact that
    it is withheld.

    A withheld cell hides its attendees too: respondents never exceed attendees, so the
    attendees of withheld regions beside a national total can bound, or even pin down,
    how many answered in one of them.
    """
    if withheld:
        return {
            "suppressed": True,
            "reason": SMALL_NUMBERS,
            "respondents": None,
            "attendees": None,
            "response_rate": None,
            "measures": {},
        }
    n = figures.count
    # An attendance corrected to absent after its feedback keeps counting: the person answered.
    shown_attendees = None if attendees is None else shown_count(max(attendees, n))
    rate = None if shown_attendees is None else shown_share(n, max(attendees, n))
    measures = {m: measure_view(s) for m, s in figures.stats.items()}
    return {
        "suppressed": False,
        "reason": None,
        "respondents": shown_count(n),
        "attendees": shown_attendees,
        "response_rate": rate,
        "measures": measures,
    }


def measure_view(stats: RunningStats) -> dict:
    """One measure as published: rounded counts and buckets, ratios to two places, shares
    from the rounded buckets. No variance: with the mean it would pin down the exact count."""
    s = stats.summary()
    fft = s.positive_share is not None
    return {
        "count": shown_count(s.count),
        "mean": shown_ratio(s.mean),
        "variance": None,
        "distribution": {str(k): shown_count(v) for k, v in s.distribution.items()},
        "positive_share": shown_share(stats.count_of(FFT_POSITIVE), s.count) if fft else None,
        "negative_share": shown_share(stats.count_of(FFT_NEGATIVE), s.count) if fft else None,
    }
