"""The statistics behind the commissioners' insight: pure functions of summary figures, by scipy.

No I/O and no store: every function takes the counts, means and variances the store already
keeps (`RunningStats`: count, total, sum of squares, histogram, per scope, region, key, period
and measure) and answers with frozen dataclasses of plain Python numbers, ready for JSON.

What each question of the insight takes from here
-------------------------------------------------
*What have we learned so far?*
    `mean_interval` (a measure's mean with its 95 % interval, t distribution) and
    `wilson_interval` (a share, such as the Friends and Family Test's positive share,
    `count_of(FFT_POSITIVE)` of `count`, with its 95 % Wilson interval), per quarter.
    `compare_with_national` tests one cell (a region, an offer type, an offer) against the rest
    of the nation by Welch's t-test from summary statistics, and `went_well_and_remains` keeps
    only the differences that stay clear after Holm's correction across every comparison made
    for one view (below, why Holm).
*Which needs are emerging?*
    `trend_in_proportions` (the Cochran-Armitage test for trend) on the share of respondents
    rating a need high (4 or 5, as `needs.needs_contingency` counts) in each quarter;
    `rising_needs` runs it for every need, corrects by Holm and orders the clearly rising ones
    by how fast they rise.
*Do needs differ between PCNs and regions?*
    The test of independence with Cramér's V is `statistics.chi_square_independence`
    (`needs.needs_differ_between_regions`); `group_by_needs` groups PCNs whose needs look alike
    (Ward's hierarchical clustering) and says which needs set each group apart; served as
    `GET /v1/insight/differences` (`differences`, with the offer types that meet each group).

What the store must give the insight API
----------------------------------------
Inputs are `RunningStats` (or counts read from them), as `aggregate_stats` keeps them; the
national figure is the merge of the regions' rows, as everywhere in feedback.

* Session feedback by quarter: there already. Region and offer-type rows exist per UK month
  (`YYYY-MM`, the month the session was held) and all time; a quarter is the merge of its
  three months, on read (`insight`, served as `GET /v1/insight/learned`, its quarter cells
  settled by `disclosure.quarter_cells_withheld`). Offers and sessions are all-time rows only, so "offers furthest from
  the nation" can be all time, not per quarter, without a new period.
* Needs by quarter: not there yet. Needs rows (region, PCN) are all-time only, and a needs
  answer row has no date (it is anonymous), so the rebuild could not recover a quarter either.
  The API needs needs rows filed per quarter when the answer arrives (a region round already
  is a quarter, `needs.needs_round`; an offer round would take the UK quarter of arrival), and,
  for the rebuild, the quarter kept on the answer row: a coarse period beside an anonymous
  answer, for the disclosure review to accept. From each (need, quarter) row the trend takes
  `count_of((4, 5))` (rated high) and `count` (respondents).
* Outcome changes: rows are all-time (region, offer type) only, and `OutcomeChange` keeps the
  before and after answers as two `RunningStats`, which give the mean change but not its
  variance (that needs each person's pair). An interval or a test of the change needs one more
  measure per outcome in the `outcomes` family, the within-person change (after - before, on a
  -6..6 scale), added with the pair; per quarter, a period as for needs. Until then only the
  before and after means can have intervals.
* PCN grouping: each shown PCN's needs row; its profile is `count_of((4, 5)) / count` per need.
* Conditions (continuity, membership changes, group size, groups at risk) are not computed
  here but in `conditions`, from plain inputs the store will fill from scheduling's attendance
  and enrolment's membership events; their association with trust and direction across groups
  is a rank correlation (`scipy.stats.spearmanr`) on per-group figures, there too.

Disclosure (docs/disclosure.md): these functions compute with whatever counts they are given,
and the figures they return (an interval's ends, a p-value, even a "clearly above" flag) carry
information about those counts. Before anything is published it must pass the same policy as
every other figure: test and show only cells that are shown, and give numbers to two places
(`shown_ratio`). The simplest way to keep that promise is to feed these functions only what is
already published: a share's counts as shown (`shown_count`), and a measure's figure rebuilt
from its shown, rounded distribution (`RunningStats.from_counts` of the shown buckets). Then
nothing returned says more than the published cells, at the price of some precision in cells
of a few dozen answers. Fed with the exact counts instead, a mean's interval would be the
first published figure to carry the exact variance, which the policy withholds because with
the mean it pins down the count: that would need the differencing search extended to it first.

Why Holm, not Benjamini-Hochberg
--------------------------------
"What went well, what remains" is a short list of statements to commissioners, each of which
may be acted on, so the error to bound is making any false statement at all (the family-wise
error rate), not the share of false ones among many (the false discovery rate, BH's). The
measures compared are answered by the same people, so their tests are correlated: Holm's
step-down holds under any dependence, needs no assumption of independence or positive
dependence (BH does), and is never less powerful than Bonferroni. Over a long list (every PCN,
every offer) BH would find more; `scipy.stats.false_discovery_control` gives it then.

Why Cochran-Armitage for the trend
----------------------------------
A need's quarterly figure is a share of a known number of respondents, a binomial count per
quarter. The Cochran-Armitage test uses those counts, so a quarter of 400 respondents weighs
more than one of 20, and it is the score test of the slope of a logistic regression on the
quarter, so it is what a logistic-regression trend would test, without fitting. Mann-Kendall on
the shares alone would ignore the sample sizes, and with four quarters it cannot reach p < 0.05
at all (its smallest two-sided p is 2/24). Its two-sided p-value comes from scipy's normal distribution. Caveat: one
person may answer in several quarters, so quarters are not fully independent samples; as with
the chi-square on needs, read the p-value as a guide.

Why Ward's clustering of needs profiles
---------------------------------------
A PCN's profile is the share of its respondents rating each need high: a point in [0, 1]^needs.
Ward's linkage on Euclidean distance merges, at each step, the two groups whose union adds
least to the within-group sum of squares, so it tends to make compact groups that read as "PCNs
whose needs look like this", and its merge heights are in share units (for two single PCNs, the
distance between their profiles), so a cut can be said in words (`distance`). Groups come out
in a fixed order (by their first PCN code), so the same data always gives the same groups under the same names.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# scipy is imported in the functions that use it: at the top of the module it cost every process
# of the service about 100 MB and a second at start, for reads most processes never serve.
from services.feedback.domain.running_stats import RunningStats

CONFIDENCE = 0.95
ALPHA = 0.05


# --- means and shares with their intervals ------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """What a test needs of one group's answers: how many, their mean and sample variance (n - 1).

    `Summary.of(stats)` reads a `RunningStats`; `Summary.of_share(k, n)` is a share as the mean
    of n answers of 1 (k of them) and 0, whose sample variance is k(n - k) / (n(n - 1)).
    """

    count: int
    mean: float
    variance: float

    def __post_init__(self) -> None:
        if self.count < 2:
            raise ValueError("a summary needs at least 2 answers")
        if self.variance < 0:
            raise ValueError("a variance cannot be negative")

    @classmethod
    def of(cls, stats: RunningStats) -> Summary | None:
        """None on a categorical scale or below 2 answers."""
        if stats.variance is None:
            return None
        return cls(stats.count, stats.mean, stats.variance)

    @classmethod
    def of_share(cls, successes: int, n: int) -> Summary | None:
        _check_share(successes, n)
        if n < 2:
            return None
        return cls(n, successes / n, successes * (n - successes) / (n * (n - 1)))

    def without(self, part: Summary) -> Summary | None:
        """The rest of this group once `part` (a subgroup of it) is taken out, from the sums and sums
        of squares both imply; None when fewer than 2 answers remain."""
        count = self.count - part.count
        if count < 0:
            raise ValueError("a part cannot be larger than its whole")
        if count < 2:
            return None
        total = self.count * self.mean - part.count * part.mean
        sum_sq = _sum_sq(self) - _sum_sq(part)
        return Summary(count, total / count, max(0.0, (sum_sq - total * total / count) / (count - 1)))


def _sum_sq(s: Summary) -> float:
    return (s.count - 1) * s.variance + s.count * s.mean * s.mean


@dataclass(frozen=True)
class Interval:
    """An estimate with its confidence interval [low, high] and the n it rests on."""

    estimate: float
    low: float
    high: float
    n: int
    confidence: float = CONFIDENCE


def mean_interval(count: int, mean: float, variance: float, confidence: float = CONFIDENCE) -> Interval | None:
    """The mean with its interval from the t distribution on count - 1 degrees of freedom:
    mean +- t * sqrt(variance / count). None below 2 answers (no variance to go on)."""
    if count < 2:
        return None
    if variance < 0:
        raise ValueError("a variance cannot be negative")
    if variance == 0:
        return Interval(float(mean), float(mean), float(mean), count, confidence)
    from scipy.stats import t

    low, high = t.interval(confidence, count - 1, loc=mean, scale=math.sqrt(variance / count))
    return Interval(float(mean), float(low), float(high), count, confidence)


def mean_interval_of(stats: RunningStats, confidence: float = CONFIDENCE) -> Interval | None:
    """`mean_interval` of a `RunningStats` (None on a categorical scale or below 2 answers).

    None too when every answer lies in one value: the insight computes intervals over published
    distributions, whose buckets are rounded to 5, and one bucket there says the spread is hidden
    by the rounding, not that there is none; an interval of no width would claim a precision the
    figures do not have."""
    summary = Summary.of(stats)
    if summary is None or summary.variance == 0:
        return None
    return mean_interval(summary.count, summary.mean, summary.variance, confidence)


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> Interval | None:
    """The share successes / n with its Wilson score interval (scipy's `binomtest`), which stays
    inside [0, 1] and keeps its coverage near 0 and 1 and for small n, where the textbook
    p +- z * sqrt(p(1 - p) / n) does not. None when n is 0."""
    _check_share(successes, n)
    if n == 0:
        return None
    from scipy.stats import binomtest

    ci = binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return Interval(successes / n, float(ci.low), float(ci.high), n, confidence)


def _check_share(successes: int, n: int) -> None:
    for value in (successes, n):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("counts must be integers")
    if not 0 <= successes <= n:
        raise ValueError("successes must be between 0 and n")


# --- a cell against the nation ---------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """One cell's mean against the rest of the nation's (Welch's t-test).

    `difference` is cell - rest, in the measure's units; `standardised` divides it by the two
    groups' average standard deviation, sqrt((s1^2 + s2^2) / 2), so differences on a 1-5 scale,
    a 1-7 scale and a share can be ordered together. `p_value` is two-sided, before correction.
    """

    difference: float
    standardised: float
    statistic: float
    p_value: float
    n: int
    rest_n: int


def compare_with_national(part: Summary, national: Summary, *, part_in_national: bool = True) -> Comparison | None:
    """Does a cell (a region, an offer type, an offer) differ from the national figure?

    The national figure includes the cell, so the cell is compared with the rest of the nation
    (`national.without(part)`): a cell against a total it is part of is not two independent
    samples, and a large region would look like the nation because it largely is. Pass
    `part_in_national=False` when `national` already leaves the cell out. Welch's t-test from
    summary statistics (`scipy.stats.ttest_ind_from_stats`, unequal variances, since a region's
    spread need not be the nation's). None when the rest has fewer than 2 answers or both
    groups answered all alike (no spread to judge a difference by).
    """
    rest = national.without(part) if part_in_national else national
    if rest is None or part.variance + rest.variance == 0:
        return None
    from scipy.stats import ttest_ind_from_stats

    test = ttest_ind_from_stats(
        part.mean,
        math.sqrt(part.variance),
        part.count,
        rest.mean,
        math.sqrt(rest.variance),
        rest.count,
        equal_var=False,
    )
    difference = part.mean - rest.mean
    return Comparison(
        difference=float(difference),
        standardised=float(difference / math.sqrt((part.variance + rest.variance) / 2)),
        statistic=float(test.statistic),
        p_value=float(test.pvalue),
        n=part.count,
        rest_n=rest.count,
    )


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given: sort ascending, multiply the i-th
    smallest (from 0) by (m - i), carry the running maximum up, cap at 1. A hypothesis is
    rejected at level alpha exactly when its adjusted p-value is below alpha."""
    m = len(p_values)
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(sorted(range(m), key=lambda i: p_values[i])):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


@dataclass(frozen=True)
class Finding:
    """A comparison that stayed clear after correction: `label` as the caller named it."""

    label: Hashable
    comparison: Comparison
    adjusted_p: float


@dataclass(frozen=True)
class Findings:
    """What went well (clearly better than the rest of the nation), furthest first, and what
    remains (clearly worse), furthest first; `compared` counts the tests corrected for."""

    went_well: tuple[Finding, ...]
    remains: tuple[Finding, ...]
    compared: int


def went_well_and_remains(
    comparisons: Mapping[Hashable, Comparison | None],
    lower_is_better: frozenset | set = frozenset(),
    alpha: float = ALPHA,
) -> Findings:
    """Sort the comparisons of one view into what went well and what remains.

    `comparisons` maps a label (a measure, an (offer, measure), ...) to its `compare_with_national`;
    the ones that could not be tested (None) are left out and not counted. Every comparison given
    is one of the family Holm corrects for, so pass all that the view made, not a preselection.
    A label in `lower_is_better` (isolation, a negative share) counts as going well when below.
    Each list is ordered by the standardised difference, furthest from the nation first.
    """
    tested = {label: c for label, c in comparisons.items() if c is not None}
    labels = list(tested)
    adjusted = holm([tested[label].p_value for label in labels])
    clear = [Finding(label, tested[label], p) for label, p in zip(labels, adjusted) if p < alpha]

    def better(f: Finding) -> bool:
        return (f.comparison.difference < 0) if f.label in lower_is_better else (f.comparison.difference > 0)

    def furthest(f: Finding) -> float:
        return -abs(f.comparison.standardised)

    return Findings(
        went_well=tuple(sorted((f for f in clear if better(f)), key=furthest)),
        remains=tuple(sorted((f for f in clear if not better(f)), key=furthest)),
        compared=len(labels),
    )


# --- needs rising over quarters --------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    """The Cochran-Armitage test for a linear trend in shares over ordered periods.

    `slope` is the change of the share per step of the score (per quarter with the default
    scores 0, 1, 2 ...), the least-squares line through the shares weighted by their n; `z` its
    standardised statistic (positive when rising), `p_value` two-sided, `statistic` = z^2, the
    chi-square on 1 degree of freedom as textbooks give it.
    """

    slope: float
    z: float
    statistic: float
    p_value: float
    shares: tuple[float | None, ...]
    n: int


def trend_in_proportions(
    successes: Sequence[int], totals: Sequence[int], scores: Sequence[float] | None = None
) -> Trend | None:
    """Cochran-Armitage test: do the shares successes[i] / totals[i] rise or fall with scores[i]?

    Periods are given in order; `scores` default to 0, 1, 2 ... (equally spaced quarters). A
    period with no respondents takes no part. With

        N = sum n_i,  p = sum x_i / N,  s_bar = sum n_i s_i / N,
        T = sum x_i (s_i - s_bar),  Var(T) = p (1 - p) sum n_i (s_i - s_bar)^2,

    z = T / sqrt(Var(T)) is standard normal when the share does not change with the score
    (Armitage 1955; Agresti, Categorical Data Analysis). None when there is
    nothing to test: fewer than two periods with respondents, or every answer alike (p is 0
    or 1).
    """
    from scipy.stats import norm

    if len(successes) != len(totals) or (scores is not None and len(scores) != len(totals)):
        raise ValueError("successes, totals and scores must be as long as each other")
    for x, n in zip(successes, totals):
        _check_share(x, n)
    score = np.asarray(range(len(totals)) if scores is None else scores, dtype=float)
    x = np.asarray(successes, dtype=float)
    n = np.asarray(totals, dtype=float)
    shares = tuple(float(xi / ni) if ni else None for xi, ni in zip(x, n))
    used = n > 0
    score, x, n = score[used], x[used], n[used]
    total = n.sum()
    if len(n) < 2 or total == 0:
        return None
    p = x.sum() / total
    centred = score - (n * score).sum() / total
    spread = (n * centred * centred).sum()
    if p in (0.0, 1.0) or spread == 0:
        return None
    statistic_t = (x * centred).sum()
    z = statistic_t / math.sqrt(p * (1 - p) * spread)
    return Trend(
        slope=float(statistic_t / spread),
        z=float(z),
        statistic=float(z * z),
        p_value=float(2 * norm.sf(abs(z))),
        shares=shares,
        n=int(total),
    )


@dataclass(frozen=True)
class RisingNeed:
    need: str
    trend: Trend
    adjusted_p: float


def rising_needs(
    by_need: Mapping[str, tuple[Sequence[int], Sequence[int]]], alpha: float = ALPHA
) -> tuple[RisingNeed, ...]:
    """The needs whose share rated high is clearly rising, fastest first.

    `by_need` maps each need to (high ratings per quarter, respondents per quarter), quarters
    in order. Every need is tested (`trend_in_proportions`), the p-values are corrected together
    by Holm, and a need is rising when its adjusted p is below `alpha` and its slope positive.
    """
    trends = {need: trend_in_proportions(high, respondents) for need, (high, respondents) in by_need.items()}
    tested = [need for need, trend in trends.items() if trend is not None]
    adjusted = holm([trends[need].p_value for need in tested])
    rising = [
        RisingNeed(need, trends[need], p) for need, p in zip(tested, adjusted) if p < alpha and trends[need].slope > 0
    ]
    return tuple(sorted(rising, key=lambda r: (-r.trend.slope, r.need)))


# --- PCNs grouped by similar needs -----------------------------------------------------------


@dataclass(frozen=True)
class NeedsGroup:
    """PCNs whose needs look alike: `members` (sorted), `profile` their mean share per need, and
    `distinctive` the needs by how far the group's share exceeds the mean of every PCN's,
    most distinctive first (what an offer for this group should address first)."""

    members: tuple[str, ...]
    profile: dict[str, float]
    distinctive: tuple[str, ...]


def group_by_needs(
    profiles: Mapping[str, Mapping[str, float]], *, groups: int | None = None, distance: float | None = None
) -> tuple[NeedsGroup, ...]:
    """Group PCNs by their needs profiles (Ward's hierarchical clustering, `scipy.cluster.hierarchy`).

    `profiles` maps a PCN code to its share per need (every PCN the same needs). Give exactly
    one of `groups` (cut the tree into at most that many groups) or `distance` (merge no two
    groups further apart than that, in Ward's height: for two single PCNs, the Euclidean
    distance between their profiles). Groups come ordered by their first member.
    """
    if (groups is None) == (distance is None):
        raise ValueError("give exactly one of groups or distance")
    if groups is not None and groups < 1:
        raise ValueError("groups must be at least 1")
    codes = sorted(profiles)
    if not codes:
        return ()
    needs = sorted(profiles[codes[0]])
    if any(sorted(profiles[code]) != needs for code in codes):
        raise ValueError("every PCN's profile must cover the same needs")
    points = np.array([[float(profiles[code][need]) for need in needs] for code in codes])
    if len(codes) == 1:
        labels = np.array([1])
    else:
        from scipy.cluster.hierarchy import fcluster, linkage

        tree = linkage(points, method="ward", metric="euclidean")
        labels = (
            fcluster(tree, t=groups, criterion="maxclust")
            if groups is not None
            else fcluster(tree, t=distance, criterion="distance")
        )
    overall = points.mean(axis=0)
    found: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        found.setdefault(int(label), []).append(index)
    result = []
    for indices in found.values():  # in order of first member, since codes are sorted
        profile = points[indices].mean(axis=0)
        lead = profile - overall
        distinctive = tuple(
            needs[i] for i in sorted(range(len(needs)), key=lambda i: (-lead[i], needs[i])) if lead[i] > 1e-12
        )
        result.append(
            NeedsGroup(
                members=tuple(codes[i] for i in indices),
                profile={need: float(share) for need, share in zip(needs, profile)},
                distinctive=distinctive,
            )
        )
    return tuple(result)
