"""Pearson's chi-square test of independence with Cramér's V, by scipy.

Used to ask whether development needs differ between regions (a regions x needs table of
counts, `needs.needs_differ_between_regions`). The arithmetic is scipy's
(`scipy.stats.chi2_contingency`, `scipy.stats.contingency.association`); this module only
turns a {row: {column: count}} mapping into its array, drops what carries no information and
returns plain Python numbers, so the result is ready for JSON and for `dataclasses.asdict`.

The test is Pearson's, without Yates' continuity correction even on a 2 x 2 table (scipy
applies it there by default): the figures published before scipy took over were uncorrected,
and a reader comparing a 2 x 2 with a larger table should see one statistic.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np

# scipy is imported in the functions that use it: at the top of the module it cost every process
# of the service about 100 MB and a second at start, for reads most processes never serve.


@dataclass(frozen=True)
class ChiSquareResult:
    """Outcome of a test of independence.

    `rows` and `columns` are the labels that took part (empty ones are dropped).
    `cramers_v` is the effect size, sqrt(chi-square / (n * (min(rows, columns) - 1))): 0 when
    the rows share one profile, 1 when each column belongs to one row; unlike the p-value it
    does not grow with n, so it says how different, where the p-value says how sure.
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

    observed = np.array([[table[r].get(c, 0) for c in columns] for r in rows], dtype=np.int64)
    from scipy.stats import chi2_contingency

    test = chi2_contingency(observed, correction=False)
    statistic = float(test.statistic)
    from scipy.stats.contingency import association

    cramers_v = float(association(observed, method="cramer", correction=False))
    return ChiSquareResult(
        statistic=statistic,
        dof=int(test.dof),
        p_value=float(test.pvalue),
        n=int(observed.sum()),
        rows=rows,
        columns=columns,
        cramers_v=cramers_v,
        cells_expected_below_5=int((test.expected_freq < 5).sum()),
    )
