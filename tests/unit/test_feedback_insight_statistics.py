"""The insight's statistics against known answers: published worked examples, hand computation,
and scipy computed another way on the same data (from the raw answers rather than from summary
figures), each with a case where there is a real effect and one where there is none."""

import math
import random

import numpy as np
import pytest
import scipy.stats
from scipy.cluster.hierarchy import fcluster, linkage

from services.feedback.domain.insight_statistics import (
    Comparison,
    Summary,
    compare_with_national,
    group_by_needs,
    holm,
    mean_interval,
    mean_interval_of,
    rising_needs,
    trend_in_proportions,
    went_well_and_remains,
    wilson_interval,
)
from services.feedback.domain.running_stats import RunningStats
from services.feedback.domain.scales import FFT, LIKERT_5


def summary_of(values) -> Summary:
    return Summary(len(values), float(np.mean(values)), float(np.var(values, ddof=1)))


# --- means with their intervals --------------------------------------------------------------


def test_a_mean_s_interval_matches_the_textbook_t_interval():
    # n = 25, mean 50, s = 10: 50 +- t(0.975, 24) * 10 / 5 = 50 +- 2.0639 * 2 = 45.872 to 54.128.
    interval = mean_interval(25, 50.0, 100.0)
    assert (round(interval.low, 3), round(interval.high, 3)) == (45.872, 54.128)
    assert interval.estimate == 50.0 and interval.n == 25 and interval.confidence == 0.95


def test_a_running_figure_s_interval_is_scipy_s_one_sample_interval_on_the_raw_answers():
    answers = [5, 4, 4, 3, 5, 2, 4, 4, 5, 3, 1, 4]
    interval = mean_interval_of(RunningStats.of(LIKERT_5, answers))
    expected = scipy.stats.ttest_1samp(answers, 0).confidence_interval(0.95)
    assert interval.low == pytest.approx(expected.low, rel=1e-12)
    assert interval.high == pytest.approx(expected.high, rel=1e-12)


def test_a_mean_needs_two_answers_and_all_alike_answers_have_no_spread():
    assert mean_interval(1, 4.0, 0.0) is None
    assert mean_interval_of(RunningStats.of(LIKERT_5, [4])) is None
    assert mean_interval_of(RunningStats.of(FFT, ["good", "good"])) is None
    same = mean_interval(10, 4.0, 0.0)
    assert (same.low, same.high) == (4.0, 4.0)
    with pytest.raises(ValueError):
        mean_interval(10, 4.0, -1.0)


# --- shares with their Wilson intervals ------------------------------------------------------


@pytest.mark.parametrize(
    "successes,n,low,high",
    # Newcombe, "Two-sided confidence intervals for the single proportion", Statistics in Medicine
    # 17 (1998): its worked examples, by the Wilson score method without continuity correction.
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_intervals_match_newcombe_s_worked_examples(successes, n, low, high):
    interval = wilson_interval(successes, n)
    assert (round(interval.low, 4), round(interval.high, 4)) == (low, high)
    assert interval.estimate == successes / n


@pytest.mark.parametrize("successes,n", [(0, 1), (3, 7), (40, 50), (50, 50), (512, 1000)])
def test_wilson_intervals_match_the_closed_form(successes, n):
    z = scipy.stats.norm.ppf(0.975)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    interval = wilson_interval(successes, n)
    assert interval.low == pytest.approx(max(0.0, centre - half), abs=1e-12)
    assert interval.high == pytest.approx(min(1.0, centre + half), abs=1e-12)


def test_a_share_of_nobody_has_no_interval_and_impossible_counts_are_refused():
    assert wilson_interval(0, 0) is None
    for successes, n in [(3, 2), (-1, 4), (True, 4), (1.5, 4)]:
        with pytest.raises(ValueError):
            wilson_interval(successes, n)


# --- a cell against the nation ---------------------------------------------------------------


def test_welch_s_test_from_summaries_matches_the_worked_example_and_the_test_on_raw_data():
    # Wikipedia, "Welch's t-test", example 1: t = -2.46, about 25 degrees of freedom, p = 0.021.
    a1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4]
    a2 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4]
    comparison = compare_with_national(summary_of(a1), summary_of(a2), part_in_national=False)
    assert round(comparison.statistic, 2) == -2.46 and round(comparison.p_value, 3) == 0.021
    raw = scipy.stats.ttest_ind(a1, a2, equal_var=False)
    assert comparison.statistic == pytest.approx(raw.statistic, rel=1e-9)
    assert comparison.p_value == pytest.approx(raw.pvalue, rel=1e-9)
    assert comparison.difference == pytest.approx(np.mean(a1) - np.mean(a2))
    assert (comparison.n, comparison.rest_n) == (15, 15)


def test_a_region_is_compared_with_the_rest_of_the_nation_not_with_a_total_that_contains_it():
    rng = random.Random(18)
    region = [rng.choice([3, 4, 4, 5, 5]) for _ in range(60)]
    others = [rng.choice([1, 2, 3, 3, 4, 5]) for _ in range(240)]
    national = RunningStats.of(LIKERT_5, region + others)
    comparison = compare_with_national(Summary.of(RunningStats.of(LIKERT_5, region)), Summary.of(national))
    raw = scipy.stats.ttest_ind(region, others, equal_var=False)
    assert comparison.statistic == pytest.approx(raw.statistic, rel=1e-9)
    assert comparison.p_value == pytest.approx(raw.pvalue, rel=1e-9)
    assert (comparison.n, comparison.rest_n) == (60, 240)
    assert comparison.p_value < 0.001 and comparison.difference > 0


def test_a_region_answering_like_the_rest_shows_no_clear_difference():
    answers = [1, 2, 3, 4, 5, 4, 3, 4, 5, 2]
    region, national = RunningStats.of(LIKERT_5, answers * 3), RunningStats.of(LIKERT_5, answers * 12)
    comparison = compare_with_national(Summary.of(region), Summary.of(national))
    assert comparison.difference == pytest.approx(0, abs=1e-12)
    assert comparison.p_value == pytest.approx(1.0)


def test_a_share_is_compared_as_the_mean_of_ones_and_zeros():
    region = Summary.of_share(45, 60)
    assert region.variance == pytest.approx(np.var([1] * 45 + [0] * 15, ddof=1))
    comparison = compare_with_national(region, Summary.of_share(45 + 120, 60 + 240))
    raw = scipy.stats.ttest_ind([1] * 45 + [0] * 15, [1] * 120 + [0] * 120, equal_var=False)
    assert comparison.p_value == pytest.approx(raw.pvalue, rel=1e-9)


def test_nothing_is_compared_without_a_rest_or_without_any_spread():
    whole = Summary(10, 4.0, 1.0)
    assert compare_with_national(Summary(9, 4.0, 1.0), whole) is None  # one answer left
    assert compare_with_national(Summary(5, 4.0, 0.0), Summary(5, 4.0, 0.0), part_in_national=False) is None
    with pytest.raises(ValueError):
        whole.without(Summary(11, 4.0, 1.0))
    with pytest.raises(ValueError):
        Summary(1, 4.0, 0.0)


def test_holm_adjusts_like_its_definition():
    # Sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> monotone 0.06.
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []


def comparison(difference: float, p_value: float) -> Comparison:
    return Comparison(difference, difference, 0.0, p_value, 50, 500)


def test_what_went_well_and_what_remains_keeps_only_differences_clear_after_correction():
    findings = went_well_and_remains(
        {
            "usefulness": comparison(0.3, 0.001),
            "overall": comparison(0.6, 0.004),
            "will_apply": comparison(-0.4, 0.002),
            "isolation": comparison(-0.5, 0.0001),  # lower is better: a fall went well
            "recommend": comparison(0.9, 0.03),  # clear alone, not among 6 tests (2 * 0.03 > 0.05)
            "confidence": comparison(0.1, 0.6),
            "trust_in_group": None,  # could not be tested: not counted
        },
        lower_is_better={"isolation"},
    )
    assert [f.label for f in findings.went_well] == ["overall", "isolation", "usefulness"]
    assert [f.label for f in findings.remains] == ["will_apply"]
    assert findings.compared == 6
    # Holm: 0.0001 * 6, 0.001 * 5, 0.002 * 4, 0.004 * 3, 0.03 * 2, 0.6 * 1.
    assert [f.adjusted_p for f in findings.went_well] == pytest.approx([0.012, 0.0006, 0.005])


def test_without_real_differences_nothing_went_well_and_nothing_remains():
    rng = random.Random(7)
    national_answers = [rng.choice([1, 2, 3, 4, 5]) for _ in range(500)]
    comparisons = {}
    for measure in ("overall", "usefulness", "will_apply"):
        region = national_answers[:100]  # the region answered as the nation does
        comparisons[measure] = compare_with_national(summary_of(region), summary_of(national_answers))
    findings = went_well_and_remains(comparisons)
    assert findings.went_well == () and findings.remains == () and findings.compared == 3


# --- needs rising over quarters --------------------------------------------------------------


def test_the_trend_test_matches_agresti_s_worked_example():
    # Agresti, Categorical Data Analysis: infant malformation by mother's alcohol consumption
    # (drinks a day 0, <1, 1-2, 3-5, >=6 scored 0, 0.5, 1.5, 4, 7): the trend statistic is 6.57,
    # P = 0.01 (M^2 = (n - 1) r^2 there; Cochran-Armitage's z^2 = n r^2, equal to 3 places here).
    malformed = [48, 38, 5, 1, 1]
    absent = [17066, 14464, 788, 126, 37]
    totals = [m + a for m, a in zip(malformed, absent)]
    trend = trend_in_proportions(malformed, totals, scores=[0, 0.5, 1.5, 4.0, 7.0])
    assert round(trend.statistic, 2) == 6.57 and round(trend.p_value, 2) == 0.01
    assert trend.z > 0 and trend.slope > 0 and trend.n == 32574


def test_the_trend_statistic_is_n_times_the_squared_correlation_of_score_and_answer():
    high, respondents = [8, 12, 19, 27], [40, 44, 50, 52]
    trend = trend_in_proportions(high, respondents)
    quarter = np.repeat([0, 1, 2, 3], respondents)
    answer = np.concatenate([[1] * h + [0] * (n - h) for h, n in zip(high, respondents)])
    r = scipy.stats.pearsonr(quarter, answer).statistic
    assert trend.statistic == pytest.approx(len(answer) * r * r, rel=1e-9)
    assert trend.p_value == pytest.approx(scipy.stats.chi2.sf(len(answer) * r * r, 1), rel=1e-9)
    # The slope is the least-squares line of the shares, weighted by respondents.
    slope = np.polyfit([0, 1, 2, 3], np.array(high) / respondents, 1, w=np.sqrt(respondents))[0]
    assert trend.slope == pytest.approx(slope, rel=1e-9)
    assert trend.p_value < 0.001


def test_a_need_held_steady_has_no_trend():
    trend = trend_in_proportions([20, 30, 10, 40], [100, 150, 50, 200])
    assert trend.z == pytest.approx(0, abs=1e-12) and trend.p_value == pytest.approx(1.0)


def test_quarters_without_respondents_are_skipped_and_a_trend_needs_two_and_some_spread():
    with_gap = trend_in_proportions([5, 0, 9, 14], [50, 0, 50, 50])
    assert with_gap.shares[1] is None
    assert with_gap == trend_in_proportions([5, 0, 9, 14], [50, 0, 50, 50], scores=[0, 1, 2, 3])
    assert trend_in_proportions([5], [50]) is None
    assert trend_in_proportions([0, 0, 0], [10, 20, 30]) is None
    assert trend_in_proportions([10, 20], [10, 20]) is None
    with pytest.raises(ValueError):
        trend_in_proportions([5, 6], [50])


def test_rising_needs_are_the_clear_rises_after_correction_fastest_first():
    found = rising_needs(
        {
            "leadership": ([10, 20, 30, 40], [100, 100, 100, 100]),  # +0.10 a quarter
            "wellbeing": ([10, 14, 18, 22], [100, 100, 100, 100]),  # +0.04 a quarter
            "finance": ([40, 30, 20, 10], [100, 100, 100, 100]),  # clearly falling: not rising
            "estates": ([25, 24, 26, 25], [100, 100, 100, 100]),  # steady
            "digital": ([0, 0, 0, 0], [100, 100, 100, 100]),  # nobody: not tested
        }
    )
    assert [r.need for r in found] == ["leadership", "wellbeing"]
    assert found[0].trend.slope == pytest.approx(0.10)
    # Holm across the four tested needs: the weakest rise's p was multiplied by at most 4.
    assert found[1].adjusted_p <= 4 * found[1].trend.p_value


def test_no_need_is_rising_when_shares_only_wander():
    rng = random.Random(3)
    by_need = {need: ([rng.randint(18, 22) for _ in range(6)], [100] * 6) for need in ("a", "b", "c", "d")}
    assert rising_needs(by_need) == ()


# --- PCNs grouped by similar needs -----------------------------------------------------------


def test_ward_groups_match_a_hand_worked_example():
    # One need, PCNs at 0, 1, 5, 6 and 20. Ward's height for groups A, B is
    # sqrt(2 |A| |B| / (|A| + |B|)) * |mean A - mean B|: {0,1} and {5,6} join at 1 each, then
    # each other at sqrt(2) * 5 = 7.07; 20 joins them last at sqrt(1.6) * 17 = 21.50.
    profiles = {code: {"need": value} for code, value in zip("abcde", (0.0, 1.0, 5.0, 6.0, 20.0))}
    assert [g.members for g in group_by_needs(profiles, groups=2)] == [("a", "b", "c", "d"), ("e",)]
    assert [g.members for g in group_by_needs(profiles, groups=3)] == [("a", "b"), ("c", "d"), ("e",)]
    assert [g.members for g in group_by_needs(profiles, distance=7.0)] == [("a", "b"), ("c", "d"), ("e",)]
    assert [g.members for g in group_by_needs(profiles, distance=7.1)] == [("a", "b", "c", "d"), ("e",)]
    assert [g.members for g in group_by_needs(profiles, distance=21.6)] == [("a", "b", "c", "d", "e")]
    assert group_by_needs(profiles, groups=2)[1].profile == {"need": 20.0}


def test_pcns_with_different_needs_fall_into_their_groups_as_scipy_groups_them():
    rng = random.Random(11)
    needs = ("leadership", "wellbeing", "finance", "digital")
    centres = {"L": (0.8, 0.2, 0.2, 0.3), "W": (0.2, 0.8, 0.3, 0.2), "F": (0.3, 0.2, 0.8, 0.7)}
    profiles, truth = {}, {}
    for kind, centre in centres.items():
        for i in range(6):
            code = f"U{kind}{i}"
            profiles[code] = {need: c + rng.uniform(-0.05, 0.05) for need, c in zip(needs, centre)}
            truth[code] = kind
    grouped = group_by_needs(profiles, groups=3)
    assert (
        sorted({truth[code] for code in group.members} == {truth[group.members[0]]} for group in grouped) == [True] * 3
    )
    assert sorted(len(group.members) for group in grouped) == [6, 6, 6]
    # The same partition as scipy's own linkage and cut on the same data.
    codes = sorted(profiles)
    labels = fcluster(linkage([[profiles[c][n] for n in sorted(needs)] for c in codes], "ward"), 3, "maxclust")
    theirs = {frozenset(c for c, label in zip(codes, labels) if label == k) for k in set(labels)}
    assert {frozenset(group.members) for group in grouped} == theirs
    # Each group is told apart by the need of its kind.
    for group in grouped:
        kind = truth[group.members[0]]
        assert group.distinctive[0] == {"L": "leadership", "W": "wellbeing", "F": "finance"}[kind]


def test_pcns_with_the_same_needs_make_one_group_under_a_distance_cut():
    rng = random.Random(5)
    profiles = {f"U{i}": {"a": 0.5 + rng.uniform(-0.01, 0.01), "b": 0.3 + rng.uniform(-0.01, 0.01)} for i in range(8)}
    (group,) = group_by_needs(profiles, distance=0.2)
    assert group.members == tuple(sorted(profiles)) and group.distinctive == ()


def test_grouping_asks_for_one_cut_and_the_same_needs_everywhere():
    assert group_by_needs({}, groups=2) == ()
    assert [g.members for g in group_by_needs({"U1": {"a": 0.5}}, groups=2)] == [("U1",)]
    with pytest.raises(ValueError):
        group_by_needs({"U1": {"a": 0.5}, "U2": {"a": 0.4}})
    with pytest.raises(ValueError):
        group_by_needs({"U1": {"a": 0.5}, "U2": {"a": 0.4}}, groups=2, distance=0.1)
    with pytest.raises(ValueError):
        group_by_needs({"U1": {"a": 0.5}, "U2": {"b": 0.4}}, groups=2)


def test_answers_all_of_one_value_give_no_interval_of_no_width():
    assert mean_interval_of(RunningStats.of(LIKERT_5, [4] * 10)) is None
    assert mean_interval(10, 4.0, 0.0).low == 4.0  # the t interval itself, given no spread, has none
