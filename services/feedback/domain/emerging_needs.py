"""Which development needs are emerging: the needs ranking per quarter, and each need's trend over
the quarters (the share of respondents rating it 4 or 5), nationally and per region. Pure Python.

A needs answer keeps its UK calendar quarter (`needs_responses.quarter`); answers kept before
that count in all time only (`insight.UNDATED`). Quarter cells (a region's or the nation's
quarter) are new cells beside the published ranking, so they are settled against it before
anything is shown (`insight.dated_cells_withheld`, regions as parts of the nation, quarters and
the undated answers as parts of all time, the ranking's all-time cells as published).

What each figure is computed from: a shown quarter's respondents and each need's mean as the
ranking publishes a region's (`figures.ranking_view`: rounded counts, means to two places); its
high share from the rounded counts (`shown_share`). The trend (Cochran-Armitage,
`insight_statistics.trend_in_proportions`) takes the *published* counts only, each shown
quarter's high ratings and respondents rounded to 5, so its z and p-value follow from figures
anyone may read (module docstring of `insight`); a withheld quarter takes no part. The quarters
are scored by their place in time, so a gap of a quarter with no answers counts as a gap. Holm
corrects over the needs of one scope (the nation, or one region): each scope's list of emerging
needs is one family of statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from services.feedback.domain.figures import Figures, ranking_view
from services.feedback.domain.insight import UNDATED, quarter_ordinal
from services.feedback.domain.insight_statistics import ALPHA, Trend, holm, trend_in_proportions
from services.feedback.domain.needs import NEEDS
from services.feedback.domain.scales import LIKERT_5
from shared.disclosure import SMALL_NUMBERS, shown_count, shown_ratio, shown_share

P_PLACES = 4


def needs_by_quarter(rows: Iterable[tuple[str, str | None, Mapping[str, int], int]]) -> dict[tuple, Figures]:
    """{(region, quarter | UNDATED): needs Figures} from (region, quarter or None, ratings, answers)."""
    counts: dict[tuple, dict[str, dict[int, int]]] = {}
    for region, quarter, ratings, answers in rows:
        cell = counts.setdefault((region, quarter or UNDATED), {need: {} for need in NEEDS})
        for need, rating in ratings.items():
            cell[need][rating] = cell[need].get(rating, 0) + answers
    return {cell: Figures.from_counts("needs", by_need) for cell, by_need in counts.items()}


def high_count(figures: Figures, need: str, high_from: int) -> int:
    return figures.stats[need].count_of([v for v in LIKERT_5.values if v >= high_from])


def quarter_ranking(quarter: str, figures: Figures | None, withheld: str | None, high_from: int) -> dict:
    """One quarter of a scope's ranking as published, or only the fact that it is withheld."""
    if withheld or figures is None:
        return {"quarter": quarter, "suppressed": True, "reason": SMALL_NUMBERS, "respondents": None, "needs": []}
    respondents = figures.count
    return {
        "quarter": quarter,
        "suppressed": False,
        "reason": None,
        "respondents": shown_count(respondents),
        "needs": [
            {
                "need": r["need"],
                "rank": r["rank"],
                "mean": r["mean"],
                "high_share": shown_share(high_count(figures, r["need"], high_from), respondents),
            }
            for r in ranking_view(figures)
        ],
    }


@dataclass(frozen=True)
class NeedTrend:
    need: str
    high_shares: tuple[float | None, ...]
    trend: Trend | None
    adjusted_p: float | None

    @property
    def direction(self) -> str:
        if self.trend is None or self.adjusted_p is None or self.adjusted_p >= ALPHA:
            return "steady"
        return "rising" if self.trend.z > 0 else "falling"


def need_trends(quarters: list[str], shown: Mapping[str, Figures], high_from: int) -> list[NeedTrend]:
    """Every need's trend over `quarters` from the published counts of the quarters `shown`
    ({quarter: Figures}, withheld ones left out), Holm-corrected over the needs; fastest rising
    first, the untestable last."""
    scores = [quarter_ordinal(q) for q in quarters]
    totals = [shown_count(shown[q].count) if q in shown else 0 for q in quarters]
    trends: dict[str, tuple[tuple, Trend | None]] = {}
    for need in NEEDS:
        high = [shown_count(high_count(shown[q], need, high_from)) if q in shown else 0 for q in quarters]
        shares = tuple(
            shown_share(high_count(shown[q], need, high_from), shown[q].count) if q in shown else None for q in quarters
        )
        trends[need] = (shares, trend_in_proportions(high, totals, scores))
    tested = [need for need, (_, trend) in trends.items() if trend is not None]
    adjusted = dict(zip(tested, holm([trends[need][1].p_value for need in tested])))
    found = [NeedTrend(need, shares, trend, adjusted.get(need)) for need, (shares, trend) in trends.items()]
    return sorted(found, key=lambda t: (t.trend is None, -(t.trend.slope if t.trend else 0), t.need))


def emerging(trends: list[NeedTrend]) -> list[str]:
    """The needs clearly rising, fastest first."""
    return [t.need for t in trends if t.direction == "rising"]


def trend_view(t: NeedTrend) -> dict:
    return {
        "need": t.need,
        "direction": t.direction,
        "high_shares": list(t.high_shares),
        "z": None if t.trend is None else shown_ratio(t.trend.z),
        "p_value": None if t.trend is None else round(t.trend.p_value, P_PLACES),
        "adjusted_p": None if t.adjusted_p is None else round(t.adjusted_p, P_PLACES),
    }
