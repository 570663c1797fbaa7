"""Which needs are emerging, as published: the trend of each need's high share over quarters
(Cochran-Armitage on the rounded counts, Holm over the needs) against a hand calculation, and
quarter cells settled so that no quarter, region or undated answers can be recovered."""

from __future__ import annotations

import math
import random

import pytest
from scipy.stats import norm

from services.feedback.domain.aggregates import ALL, ALL_TIME
from services.feedback.domain.disclosure import regions_withheld
from services.feedback.domain.emerging_needs import (
    emerging,
    need_trends,
    needs_by_quarter,
    quarter_ranking,
    trend_view,
)
from services.feedback.domain.insight import UNDATED, dated_cells_withheld, quarter_ordinal
from services.feedback.domain.needs import NEEDS
from shared.disclosure import THRESHOLD, margin_relations, shown_count

QUARTERS = ["2026-Q1", "2026-Q2", "2026-Q3"]
RISING, FLAT = "innovation", "leadership"


def answers(high: dict[str, int], n: int) -> list[tuple]:
    """n answers: each need in `high` rated 5 by that many of them, 2 by the rest; others 3."""
    rows = []
    for i in range(n):
        rows.append({need: (5 if i < high[need] else 2) if need in high else 3 for need in NEEDS})
    return rows


def quarter_cells(by_quarter: dict[str, dict[str, int]], n: int = 20) -> dict:
    rows = [("Y56", q, ratings, 1) for q, high in by_quarter.items() for ratings in answers(high, n)]
    return {q: figures for (_, q), figures in needs_by_quarter(rows).items()}


def test_a_need_that_clearly_rises_is_emerging_with_the_hand_calculated_statistic():
    # 20 respondents a quarter; the rising need rated high by 5, 10, 15; the flat one by 10 each.
    # By hand: N = 60, p = 1/2, centred scores -1, 0, 1, T = -5 + 15 = 10,
    # Var(T) = p(1 - p) * (20 + 0 + 20) = 10, so z = 10 / sqrt(10) = 3.1623, p = 0.00157.
    shown = quarter_cells({q: {RISING: h, FLAT: 10} for q, h in zip(QUARTERS, (5, 10, 15))})
    trends = {t.need: t for t in need_trends(QUARTERS, shown, 4)}
    rising = trends[RISING]
    assert rising.trend.z == pytest.approx(math.sqrt(10))
    assert rising.trend.p_value == pytest.approx(2 * norm.sf(math.sqrt(10)))
    assert rising.trend.p_value == pytest.approx(0.001565, abs=1e-6)
    # Seven needs, two testable (the rest are rated 3 by everyone: nothing to test): Holm times 2.
    assert rising.adjusted_p == pytest.approx(2 * rising.trend.p_value)
    assert rising.direction == "rising" and rising.high_shares == (0.25, 0.5, 0.75)
    assert trends[FLAT].trend.z == pytest.approx(0) and trends[FLAT].direction == "steady"
    assert trends["strategy"].trend is None and trends["strategy"].direction == "steady"
    assert emerging(list(trends.values())) == [RISING]
    view = trend_view(rising)
    assert view == {
        "need": RISING,
        "direction": "rising",
        "high_shares": [0.25, 0.5, 0.75],
        "z": 3.16,
        "p_value": 0.0016,
        "adjusted_p": 0.0031,
    }


def test_a_falling_need_is_named_falling_and_never_emerging():
    shown = quarter_cells({q: {RISING: h} for q, h in zip(QUARTERS, (16, 10, 3))})
    [first, *_] = trends = need_trends(QUARTERS, shown, 4)
    falling = next(t for t in trends if t.need == RISING)
    assert falling.direction == "falling" and falling.trend.z < 0 and emerging(trends) == []
    assert first.trend is not None  # the testable needs come first, the untestable last
    assert trends[-1].trend is None


def test_the_trend_reads_the_published_rounded_counts_and_a_withheld_quarter_takes_no_part():
    # 22 respondents (published 20), 7 of them high (published 5): the test sees 5 of 20.
    shown = quarter_cells({"2026-Q1": {RISING: 7}, "2026-Q3": {RISING: 16}}, n=22)
    trends = {t.need: t for t in need_trends(QUARTERS, shown, 4)}
    rising = trends[RISING]
    assert rising.high_shares == (0.25, None, 0.75)
    # By hand, on 5/20 and 15/20 at scores 0 and 2 (Q2 withheld): centred -1, 1; T = -5 + 15 = 10;
    # Var(T) = 1/4 * (20 + 20) = 10.
    assert rising.trend.z == pytest.approx(math.sqrt(10)) and rising.trend.n == 40


def test_quarters_are_scored_by_their_place_in_time():
    assert quarter_ordinal("2027-Q1") - quarter_ordinal("2026-Q4") == 1
    assert quarter_ordinal("2026-Q3") - quarter_ordinal("2026-Q1") == 2


def test_a_quarter_ranking_publishes_rounded_respondents_and_shares_and_a_withheld_one_nothing():
    figures = quarter_cells({"2026-Q1": {RISING: 12}}, n=23)["2026-Q1"]
    view = quarter_ranking("2026-Q1", figures, None, 4)
    assert view["respondents"] == 25 and view["suppressed"] is False and view["reason"] is None
    first, second = view["needs"][:2]
    # 12 of 23 rated it 5, 11 rated it 2: mean 3.57; high share from the published 10 of 25, not 12/23.
    assert first == {"need": RISING, "rank": 1, "mean": 3.57, "high_share": 0.4}
    assert shown_count(12) / shown_count(23) == 0.4
    assert second == {"need": "collaboration", "rank": 2, "mean": 3.0, "high_share": 0.0}
    assert quarter_ranking("2026-Q1", figures, "complementary", 4) == {
        "quarter": "2026-Q1",
        "suppressed": True,
        "reason": "small_numbers",
        "respondents": None,
        "needs": [],
    }


def test_answers_without_a_quarter_are_counted_as_undated():
    rows = [("Y56", None, {need: 4 for need in NEEDS}, 3), ("Y56", "2026-Q1", {need: 5 for need in NEEDS}, 2)]
    cells = needs_by_quarter(rows)
    assert cells[("Y56", UNDATED)].count == 3 and cells[("Y56", "2026-Q1")].count == 2


REGIONS = ("Y56", "Y58", "Y60")


def _settled(counts):
    totals = {r: sum(n for (region, _), n in counts.items() if region == r) for r in REGIONS}
    region_reasons, national = regions_withheld(totals)
    published = {(r,): region_reasons.get(r) for r in REGIONS} | {(ALL,): national}
    return published, dated_cells_withheld(counts, [(ALL, REGIONS)], published)


def test_no_quarter_region_or_undated_answers_can_be_recovered_from_what_is_shown():
    rng = random.Random(18)
    for _ in range(200):
        periods = (*QUARTERS, UNDATED)
        counts = {(r, q): rng.choice((0, 0, 1, 2, 3, 6, 9, 20)) for r in REGIONS for q in periods}
        counts = {cell: n for cell, n in counts.items() if n}
        published, withheld = _settled(counts)
        full = {}
        for (r, q), n in counts.items():
            for cell in ((r, q), (ALL, q), (r, ALL_TIME), (ALL, ALL_TIME)):
                full[cell] = full.get(cell, 0) + n

        # Everything anyone can work out: the shown cells, then whatever a relation with one
        # other member gives by subtraction, again and again.
        known = {c for c in full if c[1] not in (ALL_TIME, UNDATED) and withheld.get(c) is None}
        known |= {c for c in full if c[1] == ALL_TIME and published.get(c[:1]) is None}
        from_published = _closure({c for c in known if c[1] == ALL_TIME}, full, periods)
        for cell, n in full.items():
            if cell[1] not in (ALL_TIME, UNDATED) and n < THRESHOLD:
                assert withheld[cell] is not None
        for cell in _closure(known, full, periods) - from_published:
            assert full[cell] >= THRESHOLD, (counts, cell)
        for total, parts in margin_relations([(ALL, REGIONS), (ALL_TIME, periods)]):
            hidden = [c for c in parts if full.get(c, 0) > 0 and c not in known]
            if total in known:
                assert not 0 < sum(full[c] for c in hidden) < THRESHOLD, (counts, total, hidden)


def _closure(known, full, periods):
    known = set(known)
    changed = True
    while changed:
        changed = False
        for total, parts in margin_relations([(ALL, REGIONS), (ALL_TIME, periods)]):
            unknown = [c for c in (total, *parts) if full.get(c, 0) > 0 and c not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                changed = True
    return known


def test_a_few_undated_answers_make_a_shown_quarter_withhold_to_cover_them():
    counts = {("Y56", "2026-Q1"): 10, ("Y56", "2026-Q2"): 12, ("Y56", UNDATED): 2}
    _, withheld = _settled(counts)
    # Region all time (24, shown by the ranking) minus two shown quarters would give the 2.
    assert withheld[("Y56", "2026-Q1")] is not None
