"""Chi-square test of independence, in pure Python.

Used to ask whether development needs differ between regions (regions x needs table of
counts). The service must stay stdlib-only, so the chi-square survival function is built
from the regularised upper incomplete gamma function Q(a, x), computed as in Numerical
Recipes (`gammq`): a power series when x < a + 1, otherwise a continued fraction
(modified Lentz). Both converge quickly in their own region, which is why we switch.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

_MAX_ITERATIONS = 10_000
_EPS = 1e-15
# Smallest value we let a Lentz denominator take, so a zero never divides.
_TINY = 1e-300


def _lower_series(a: float, x: float) -> float:
    """P(a, x) by its series; accurate and fast for x < a + 1."""
    term = 1.0 / a
    total = term
    ap = a
    for _ in range(_MAX_ITERATIONS):
        ap += 1.0
        term *= x / ap
        total += term
        if abs(term) < abs(total) * _EPS:
            break
    else:  # pragma: no cover - the series converges long before this for our inputs
        raise ArithmeticError("incomplete gamma series did not converge")
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _upper_continued_fraction(a: float, x: float) -> float:
    """Q(a, x) by its continued fraction (modified Lentz); for x >= a + 1."""
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_ITERATIONS):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        if abs(d) < _TINY:
            d = _TINY
        c = b + an / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    else:  # pragma: no cover
        raise ArithmeticError("incomplete gamma continued fraction did not converge")
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def regularized_gamma_q(a: float, x: float) -> float:
    """Regularised upper incomplete gamma Q(a, x) = Gamma(a, x) / Gamma(a)."""
    if a <= 0:
        raise ValueError("a must be positive")
    if x < 0:
        raise ValueError("x must not be negative")
    if x == 0:
        return 1.0
    if x < a + 1.0:
        # Clamp: 1 - P can drift a hair below 0 for huge x relative to a.
        return max(0.0, 1.0 - _lower_series(a, x))
    return _upper_continued_fraction(a, x)


def chi2_sf(x: float, df: int | float) -> float:
    """Survival function P(X >= x) of the chi-square distribution with `df` degrees of freedom."""
    if df <= 0:
        raise ValueError("degrees of freedom must be positive")
    if x <= 0:
        return 1.0
    return regularized_gamma_q(df / 2.0, x / 2.0)


@dataclass(frozen=True)
class ChiSquareResult:
    """Outcome of a test of independence.

    `rows` and `columns` are the labels that took part (empty ones are dropped).
    `cells_expected_below_5` is reported because the chi-square approximation is poor when
    many expected counts are small; callers should caveat the result rather than hide it.
    """

    statistic: float
    dof: int
    p_value: float
    n: int
    rows: tuple
    columns: tuple
    cramers_v: float
    cells_expected_below_5: int


def chi_square_independence(
    table: Mapping[Hashable, Mapping[Hashable, int]],
) -> ChiSquareResult | None:
    """Pearson's chi-square test of independence on a table {row: {column: count}}.

    A column missing from a row counts as 0. Rows and columns whose total is 0 carry no
    information and would make expected counts 0, so they are dropped. With fewer than
    2 rows or 2 columns left there is nothing to test and the answer is None.
    """
    columns_seen: dict[Hashable, None] = {}
    for row in table.values():
        for column, count in row.items():
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError("counts must be non-negative integers")
            columns_seen.setdefault(column, None)

    row_totals = {r: sum(table[r].values()) for r in table}
    column_totals = {c: sum(table[r].get(c, 0) for r in table) for c in columns_seen}
    rows = tuple(r for r in table if row_totals[r] > 0)
    columns = tuple(c for c in columns_seen if column_totals[c] > 0)
    if len(rows) < 2 or len(columns) < 2:
        return None

    n = sum(row_totals[r] for r in rows)
    statistic = 0.0
    small = 0
    for r in rows:
        for c in columns:
            expected = row_totals[r] * column_totals[c] / n
            if expected < 5:
                small += 1
            observed = table[r].get(c, 0)
            statistic += (observed - expected) ** 2 / expected
    dof = (len(rows) - 1) * (len(columns) - 1)
    cramers_v = math.sqrt(statistic / (n * (min(len(rows), len(columns)) - 1)))
    return ChiSquareResult(
        statistic=statistic,
        dof=dof,
        p_value=chi2_sf(statistic, dof),
        n=n,
        rows=rows,
        columns=columns,
        cramers_v=cramers_v,
        cells_expected_below_5=small,
    )
