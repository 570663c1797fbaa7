"""What have we learned so far, as published: quarters merged from months, the quarter table
settled against the published one, intervals from the published buckets only, and findings
that need a clear difference."""

from __future__ import annotations

import random

import pytest

from services.feedback.domain.aggregates import ALL, ALL_TIME
from services.feedback.domain.disclosure import quarter_cells_withheld, settle
from services.feedback.domain.figures import Figures
from services.feedback.domain.insight import (
    Compared,
    by_quarter,
    findings,
    quarter_of,
    quarter_view,
    quarters_between,
    shown_stats,
)
from services.feedback.domain.insight_statistics import mean_interval_of
from services.feedback.domain.running_stats import RunningStats
from services.feedback.domain.scales import LIKERT_5
from shared.disclosure import THRESHOLD, margin_relations, shown_ratio


def test_a_month_falls_in_its_calendar_quarter_and_a_range_keeps_the_quarters_inside_it():
    assert [quarter_of(m) for m in ("2026-01", "2026-03", "2026-04", "2026-09", "2026-12")] == [
        "2026-Q1",
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
        "2026-Q4",
    ]
    quarters = ["2026-Q2", "2025-Q4", "2026-Q1", "2026-Q1"]
    assert quarters_between(quarters, None, None) == ["2025-Q4", "2026-Q1", "2026-Q2"]
    assert quarters_between(quarters, "2026-Q1", "2026-Q1") == ["2026-Q1"]
    assert quarters_between(quarters, None, "2025-Q4") == ["2025-Q4"]


def _figures(values) -> Figures:
    return Figures.of("feedback", {"overall": RunningStats.of(LIKERT_5, values)})


def test_a_quarter_is_its_three_months_merged():
    months = {("Y56", ALL, "2026-07"): _figures([5, 4]), ("Y56", ALL, "2026-08"): _figures([3])}
    months[("Y56", ALL, "2026-10")] = _figures([1])
    quarters = by_quarter(months)
    assert quarters[("Y56", ALL, "2026-Q3")].stats["overall"] == RunningStats.of(LIKERT_5, [5, 4, 3])
    assert quarters[("Y56", ALL, "2026-Q4")].count == 1


def _pattern(counts):
    return settle(counts, {}).settled


def test_a_quarter_built_only_from_small_months_is_withheld_and_one_of_large_months_shown():
    counts = {("Y56", "coaching", "2026-07"): 3, ("Y56", "coaching", "2026-08"): 3}
    counts |= {("Y58", "coaching", "2026-07"): 20, ("Y58", "coaching", "2026-08"): 20}
    counts |= {("Y60", "coaching", "2026-07"): 20, ("Y60", "coaching", "2026-08"): 20}
    withheld = quarter_cells_withheld(counts, _pattern(counts), quarter_of)
    assert withheld[("Y56", "coaching", "2026-Q3")] is not None  # 6 people, but only from months of 3
    # Its cover: the nation's coaching less the shown regions would give it away otherwise.
    covers = [r for r in ("Y58", "Y60") if withheld[(r, "coaching", "2026-Q3")] is not None]
    assert covers == ["Y58"] and withheld[(ALL, ALL, "2026-Q3")] is None


def test_a_quarter_is_withheld_when_its_shown_months_would_leave_one_withheld_month():
    counts = {("Y56", "coaching", "2026-05"): 6, ("Y56", "coaching", "2026-07"): 2, ("Y56", "coaching", "2026-08"): 20}
    counts |= {("Y58", "coaching", m): 20 for m in ("2026-05", "2026-07", "2026-08")}
    pattern = _pattern(counts)
    assert pattern[("Y56", "coaching", "2026-07")] is not None and pattern[("Y56", "coaching", "2026-08")] is None
    withheld = quarter_cells_withheld(counts, pattern, quarter_of)
    assert withheld[("Y56", "coaching", "2026-Q3")] is not None  # 22 - 20 would give the 2


def test_no_quarter_is_shown_over_a_withheld_month_nor_withheld_as_a_cover_its_months_give_away():
    rng = random.Random(7)
    regions, types, months = (
        ("Y56", "Y58", "Y60"),
        ("coaching", "action_learning_set"),
        ("2026-05", "2026-07", "2026-08"),
    )
    for _ in range(40):
        counts = {(r, t, m): rng.choice((0, 1, 2, 4, 6, 9, 15)) for r in regions for t in types for m in months}
        counts = {cell: n for cell, n in counts.items() if n}
        pattern = _pattern(counts)
        withheld = quarter_cells_withheld(counts, pattern, quarter_of)
        for cell, reason in withheld.items():
            quarter_months = [m for m in months if quarter_of(m) == cell[2]]
            inner = [
                (r, t, m)
                for r in regions
                for t in types
                for m in quarter_months
                if cell[0] in (ALL, r) and cell[1] in (ALL, t) and (r, t, m) in counts
            ]
            n = sum(counts[c] for c in inner)
            if n < THRESHOLD:
                assert reason is not None
            # Quarter = its months: never one withheld month (or a small withheld sum) under a shown quarter.
            parts = {(cell[0], cell[1], m) for m in quarter_months}
            month_n = {p: sum(counts[c] for c in inner if c[2] == p[2]) for p in parts}
            hidden = [month_n[p] for p in parts if month_n[p] and pattern.get(p, "x") is not None]
            if reason is None:
                assert len(hidden) != 1 and not 0 < sum(hidden) < THRESHOLD
            else:  # a quarter whose months are all shown is known: withholding it would cover nothing
                assert hidden
        assert all(cell[2] != ALL_TIME for cell in withheld)
        quarters = sorted({q for _, _, q in withheld})
        for total, parts in margin_relations([(ALL, regions), (ALL, types), (ALL_TIME, quarters)]):
            if ALL_TIME in (total[2], parts[0][2]):
                continue  # all time is the published table's: fixed, not settled here
            unknown = [c for c in (total, *parts) if c in withheld and withheld[c] is not None]
            assert len(unknown) != 1, (total, unknown)


def test_where_the_quarters_cannot_be_settled_alone_only_the_sums_of_shown_months_are_shown():
    rng = random.Random(11)
    regions, types = ("Y56", "Y58", "Y60", "Y61"), ("coaching", "action_learning_set", "regional_programme")
    months = ("2026-04", "2026-05", "2026-07", "2026-08", "2026-09")
    fell_back = 0
    for _ in range(30):
        counts = {(r, t, m): rng.choice((0, 0, 1, 2, 4, 6, 9, 15, 30)) for r in regions for t in types for m in months}
        counts = {cell: n for cell, n in counts.items() if n}
        pattern = _pattern(counts)
        withheld = quarter_cells_withheld(counts, pattern, quarter_of)

        def months_shown(cell):
            inner = [
                (cell[0], cell[1], m)
                for m in months
                if quarter_of(m) == cell[2]
                and any(
                    cell[0] in (ALL, r) and cell[1] in (ALL, t) and (r, t, m) in counts for r in regions for t in types
                )
            ]
            return all(pattern.get(m) is None and m in pattern for m in inner)

        sums_of_shown = {cell for cell in withheld if months_shown(cell)}
        shown = {cell for cell, reason in withheld.items() if reason is None}
        assert sums_of_shown <= shown  # known anyway: withholding one would hide nothing
        if shown == sums_of_shown and len(withheld) > len(shown):
            fell_back += 1
    assert fell_back > 0


def test_an_interval_is_centred_on_the_published_mean_with_the_width_of_the_published_buckets():
    stats = RunningStats.of(LIKERT_5, [5] * 12 + [4] * 9 + [2] * 3)
    view = quarter_view("2026-Q3", Figures.of("feedback", {"overall": stats}), None)
    overall = view["measures"]["overall"]
    published = shown_stats(stats)
    assert published.histogram == (0, 5, 0, 10, 10)  # 3 -> 5, 9 -> 10, 12 -> 10
    interval = mean_interval_of(published)
    half = interval.high - interval.estimate
    assert overall["mean"] == shown_ratio(stats.mean) and overall["count"] == 25
    assert overall["low"] == shown_ratio(stats.mean - half) and overall["high"] == shown_ratio(stats.mean + half)
    recommend = view["measures"]["recommend"]
    assert recommend == {"count": 0, "mean": None, "positive_share": None, "low": None, "high": None}


def test_a_withheld_quarter_shows_no_figure():
    stats = RunningStats.of(LIKERT_5, [5, 4, 3])
    view = quarter_view("2026-Q3", Figures.of("feedback", {"overall": stats}), "below_threshold")
    assert view == {
        "quarter": "2026-Q3",
        "suppressed": True,
        "reason": "small_numbers",
        "respondents": None,
        "measures": {},
    }


def _cell(overall) -> Figures:
    return Figures.of("feedback", {"overall": RunningStats.of(LIKERT_5, overall)})


@pytest.mark.parametrize("difference", [True, False])
def test_a_finding_needs_a_clear_difference_after_holm(difference):
    high = [5, 4, 5, 5, 4] * 6
    middle = [3, 4, 3, 2, 4] * 6
    own = _cell(high if difference else middle)
    national = _cell((high if difference else middle) + middle * 3)
    others = [Compared(("Y58", ALL), _cell(middle), national), Compared(("Y60", ALL), _cell(middle), national)]
    found = findings([Compared(("Y56", ALL), own, national), *others], "2026-Q3")
    if difference:
        [finding] = [f for f in found["went_well"] if f["region"] == "Y56"]
        assert finding["measure"] == "overall" and finding["adjusted_p"] < 0.05
        assert finding["sentence"].startswith("London (Y56): the overall rating was 4.60 against")
    else:
        assert found["went_well"] == [] and found["remains"] == []
    assert found["compared"] == 3  # overall in each cell; the other measures had no answers
