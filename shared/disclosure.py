"""Convene's disclosure policy, in one place for every figure about people that any service
publishes: which cells to withhold so that no sum reveals a small group, and how the numbers
of a shown cell are written. The policy and its threat model are in docs/disclosure.md.

A published table has margins: national = the sum of its regions, a region = the sum of its
offer types, all time = the sum of its months. Each margin is a relation `total = sum(parts)`.
Withholding a small cell is not enough when a relation has exactly one unknown: it can be
solved by subtraction (national minus the other regions gives the withheld region). So:

1. Primary: every cell on fewer than `threshold` respondents is withheld (empty ones too,
   but an empty cell hides nothing: everyone may assume it is 0, so it gives no cover).
2. A total whose non-empty parts are all below the threshold is withheld: it is built only
   from figures judged too small to show.
3. Complementary: a relation with exactly one withheld non-empty member withholds its
   smallest shown non-empty part as well (ties by key), or its total when no part is left.
   So does a relation whose total is shown while its withheld parts add up to fewer than
   `threshold` people: total minus the shown parts would give their sum (two withheld
   cells of 1 and 2 under a shown total give away a group of 3).
4. Repeat over every relation until nothing changes (a cell withheld for one relation can
   expose another), so the pattern is consistent across every margin at once.

This is the classic sum-based protection of statistical disclosure control: no single
relation can be solved for a withheld cell, nor for a small group of them.

Every figure of a shown cell is then written by `shown_count` and `shown_ratio`: counts of
people rounded to a multiple of ROUNDING_BASE, ratios to two places, shares from the
rounded counts. Any sum or difference of published counts is then a multiple of five as
well, so no arithmetic over them, across margins, filters or time, yields a group of one
to four. Pure Python; no I/O.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

BELOW_THRESHOLD = "below_threshold"
COMPLEMENTARY = "complementary"
BUILT_FROM_SUPPRESSED = "built_from_suppressed"
# The only reason ever published: saying which withheld cell is the small one and which is
# its cover would point at the small one.
SMALL_NUMBERS = "small_numbers"
THRESHOLD = 5  # fewer people than this are never shown as a group
ROUNDING_BASE = 5
RATIO_PLACES = 2

K = TypeVar("K", bound=Hashable)
Relation = tuple  # (total, parts): the total cell and the cells that add up to it


def withhold(
    counts: Mapping[K, int],
    relations: Iterable[Relation],
    threshold: int,
    forced: Mapping[K, str] | None = None,
) -> dict[K, str]:
    """{cell: reason} for every cell to withhold; cells not named may be shown.

    `counts` gives the respondents of each cell (a cell named only in a relation counts 0).
    `forced` are cells already withheld elsewhere (e.g. a parent settled by a wider table).
    """
    relations = [(total, tuple(parts)) for total, parts in relations]
    cells = set(counts) | {c for total, parts in relations for c in (total, *parts)}
    withheld = {c: BELOW_THRESHOLD for c in cells if counts.get(c, 0) < threshold}
    withheld.update({c: reason for c, reason in (forced or {}).items() if c not in withheld})
    changed = True
    while changed:
        changed = False
        for total, parts in relations:
            for cell, reason in _cover(total, parts, counts, withheld, threshold):
                withheld[cell] = reason
                changed = True
    return withheld


def _cover(total, parts: Sequence, counts: Mapping, withheld: Mapping, threshold: int) -> list:
    """What one relation needs withheld beyond what already is."""
    nonempty = [p for p in parts if counts.get(p, 0) > 0]
    if total not in withheld and nonempty and all(counts.get(p, 0) < threshold for p in nonempty):
        return [(total, BUILT_FROM_SUPPRESSED)]
    unknown = [c for c in (total, *nonempty) if c in withheld and counts.get(c, 0) > 0]
    hidden_sum = sum(counts.get(c, 0) for c in unknown if c != total)
    solvable = len(unknown) == 1 or (total not in withheld and 0 < hidden_sum < threshold)
    if not solvable:
        return []
    shown = [p for p in nonempty if p not in withheld]
    if shown:
        return [(min(shown, key=lambda p: (counts[p], str(p))), COMPLEMENTARY)]
    return [] if total in withheld else [(total, COMPLEMENTARY)]


def shown_count(n: int) -> int:
    """A count of people as published: the nearest multiple of ROUNDING_BASE (halves up)."""
    return ROUNDING_BASE * ((n + ROUNDING_BASE // 2) // ROUNDING_BASE)


def shown_ratio(value: float | None) -> float | None:
    """A mean, share, rate or change as published: two decimal places."""
    return None if value is None else round(value, RATIO_PLACES)


def shown_share(part: int, whole: int) -> float | None:
    """A share of people from the published (rounded) counts, so it cannot be multiplied back
    into an exact count."""
    whole = shown_count(whole)
    return None if whole == 0 else shown_ratio(shown_count(part) / whole)


def margin_relations(axes: Sequence[tuple[Hashable, Sequence]]) -> list[Relation]:
    """Every margin of a table whose cells are tuples, one value per axis.

    `axes` is [(total_marker, values), ...]; for each axis and each combination of the
    other axes (their totals included) the cell with the axis's total marker is the sum of
    the cells with each of its values.
    """
    full = [(total, *values) for total, values in axes]
    relations = []
    for i, (total, values) in enumerate(axes):
        for fixed in itertools.product(*(full[:i] + full[i + 1 :])):

            def cell(value, fixed=fixed, i=i):
                return (*fixed[:i], value, *fixed[i:])

            relations.append((cell(total), [cell(v) for v in values]))
    return relations


def with_margins(counts: Mapping[tuple, int], axes: Sequence[tuple[Hashable, Sequence]]) -> dict[tuple, int]:
    """`counts` of the innermost cells plus every margin computed by summing."""
    full: dict[tuple, int] = {}
    for cell, n in counts.items():
        options = [(value, total) for value, (total, _) in zip(cell, axes)]
        for combination in itertools.product(*options):
            full[combination] = full.get(combination, 0) + n
    return full
