"""How feedback applies the disclosure policy (shared.disclosure, docs/disclosure.md) to its
figures: the published table's cells and their names on the stream, the table's suppression
pattern settled over every margin, and parts (offers, sessions, regions, PCNs) suppressed
against their parent and each other."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from services.feedback.domain.aggregates import ALL, ALL_TIME, OFFER_TYPES, REGIONS
from services.feedback.domain.goals import GOAL_PARTS, SPLIT_OFFER_TYPE
from shared.disclosure import (
    BELOW_THRESHOLD,
    BUILT_FROM_SUPPRESSED,
    COMPLEMENTARY,
    THRESHOLD,
    margin_relations,
    with_margins,
    withhold,
)

_PARENT = ("*parent*",)  # the key of a parent total among its children's keys
_NATIONAL = ("*national*",)  # the national total's key among the regions' keys
_NO_PCN = ("*no pcn*",)  # answers that named no PCN: a part of their region like any PCN
# Added to a known cell's count while settling quarters, so it is chosen as a cover last.
_KNOWN = 10**12


def table_axes(months) -> list[tuple]:
    """The axes of the published feedback table, for `disclosure.margin_relations`."""
    return [(ALL, REGIONS), (ALL, OFFER_TYPES), (ALL_TIME, tuple(sorted(months)))]


def cell_scope(cell: tuple) -> str:
    region, offer_type, _ = cell
    if offer_type != ALL:
        return "offer_type"
    return "national" if region == ALL else "region"


def is_streamed(cell: tuple) -> bool:
    """The national-summary stream carries national, regional and national offer-type cells."""
    region, offer_type, _ = cell
    return ALL in (region, offer_type)


def scope_key(cell: tuple) -> str:
    """The key of a cell on the compacted national-summary topic: one per scope and period."""
    region, offer_type, period = cell
    return ":".join(part for part in (cell_scope(cell), region, offer_type, period) if part != ALL)


def cell_naming(cell: tuple) -> dict:
    region, offer_type, period = cell
    return {
        "scope": cell_scope(cell),
        "region": None if region == ALL else region,
        "offer_type": None if offer_type == ALL else offer_type,
        "period": period,
    }


def withheld_reason(pattern: Mapping[tuple, str | None], cell: tuple) -> str | None:
    """Why a cell of a settled pattern is withheld (None when shown); a cell absent has no
    respondents."""
    return pattern[cell] if cell in pattern else BELOW_THRESHOLD


@dataclass(frozen=True)
class Settlement:
    """The published table's pattern after an answer: every cell with respondents and why it
    is withheld (None when shown), and the cells whose reason differs from the stored pattern."""

    settled: dict[tuple, str | None]
    changed: dict[tuple, str | None]

    def streamed(self, touched: Iterable[tuple]) -> list[tuple]:
        """The stream's cells to send again: those touched that are shown (one still withheld
        for the same reason shows nothing new) and those whose suppression changed."""
        shown_touched = [cell for cell in touched if self.settled.get(cell, BELOW_THRESHOLD) is None]
        return sorted({cell for cell in [*shown_touched, *self.changed] if is_streamed(cell)})


def settle(counts: Mapping[tuple, int], before: Mapping[tuple, str | None]) -> Settlement:
    """Settle the table's pattern from its innermost cells' respondents, (region, offer type,
    month): n, against the stored pattern `before`."""
    months = tuple(sorted({month for _, _, month in counts}))
    cells = with_margins(counts, table_axes(months))
    withheld = withhold(cells, _relations(months), THRESHOLD)
    settled = {cell: withheld.get(cell) for cell, n in cells.items() if n > 0}
    changed = {cell: reason for cell, reason in settled.items() if cell not in before or before[cell] != reason}
    return Settlement(settled, changed)


def quarter_cells_withheld(
    counts: Mapping[tuple, int], pattern: Mapping[tuple, str | None], quarter_of
) -> dict[tuple, str | None]:
    """{(region | ALL, offer type | ALL, quarter): reason or None} for every quarter cell with
    respondents: the published table read by quarter (three months merged), settled so that
    neither it nor the published table gives the other away.

    `counts` are the respondents of the table's innermost cells, (region, offer type, month), as
    `settle` takes them; `pattern` the published table's settled pattern (month and all-time
    cells). The quarter table is settled over its margins (regions, offer types, and all time
    as the sum of quarters), with the cells the published table withholds forced withheld:

    * an all-time cell withheld there is an unknown here too;
    * a quarter cell is withheld when every non-empty month of it is below 5 (built only from
      figures too small to show), and when its shown total, less the months of it shown in
      the published table, would leave one withheld month or fewer than 5 people.

    The relations "quarter = its months" are settled too, the months fixed as published. A
    quarter whose months are all shown is known whatever this page says, so it can be no cover:
    such cells, and every cell the published table shows, are chosen as a cover last, and were
    any relation to need a cell the published table shows withheld (a known quarter
    chosen as a cover, which its months then give away), the settlement falls back to showing
    only the quarters that are sums of shown months and withholding every other, which
    publishes nothing the monthly table does not. Rounding to 5 covers the rest, as it covers a
    session against its month."""
    months = tuple(sorted({month for _, _, month in counts}))
    month_cells = with_margins(counts, table_axes(months))
    quarters = tuple(sorted({quarter_of(month) for month in months}))
    by_quarter: dict[tuple, int] = {}
    for (region, offer_type, month), n in counts.items():
        cell = (region, offer_type, quarter_of(month))
        by_quarter[cell] = by_quarter.get(cell, 0) + n
    cells = with_margins(by_quarter, table_axes(quarters))
    forced = {cell: reason for cell, reason in pattern.items() if cell[2] == ALL_TIME and reason}
    for cell, n in cells.items():
        region, offer_type, quarter = cell
        if quarter == ALL_TIME or n < THRESHOLD:
            continue
        parts = [
            (region, offer_type, m)
            for m in months
            if quarter_of(m) == quarter and month_cells.get((region, offer_type, m), 0) > 0
        ]
        sizes = [month_cells[p] for p in parts]
        hidden = [month_cells[p] for p in parts if withheld_reason(pattern, p)]
        if all(size < THRESHOLD for size in sizes):
            forced[cell] = BUILT_FROM_SUPPRESSED
        elif len(hidden) == 1 or 0 < sum(hidden) < THRESHOLD:
            forced[cell] = COMPLEMENTARY
    in_months = {
        cell: [(cell[0], cell[1], m) for m in months if quarter_of(m) == cell[2]]
        for cell in cells
        if cell[2] != ALL_TIME
    }
    forced |= {cell: reason for cell, reason in pattern.items() if cell[2] != ALL_TIME and reason}
    relations = [*_relations(quarters), *in_months.items()]
    # Cells anyone can read or add up from what the published table shows are known: weighed
    # as very large, they are chosen as a cover only when nothing else can be (and then the
    # settlement falls back, below), never before a cell that is really unknown.
    known = {cell for cell, reason in pattern.items() if reason is None} | {
        cell
        for cell, parts in in_months.items()
        if all(pattern.get(m, BELOW_THRESHOLD) is None for m in parts if month_cells.get(m, 0) > 0)
    }
    counts = {cell: n + _KNOWN * (cell in known) for cell, n in (cells | month_cells).items()}
    withheld = withhold(counts, relations, THRESHOLD, forced)
    if any(cell in withheld for cell in known):
        return {
            cell: None if cell in known else COMPLEMENTARY for cell, n in cells.items() if n > 0 and cell[2] != ALL_TIME
        }
    return {cell: withheld.get(cell) for cell, n in cells.items() if n > 0 and cell[2] != ALL_TIME}


@lru_cache(maxsize=4)
def _relations(months: tuple) -> list:
    """The table's margins change only when a month is added: built once per set of months."""
    return margin_relations(table_axes(months))


def children_withheld(counts: dict[str, int], parent_withheld: str | None) -> dict:
    """Parts of a parent (offers of a table cell, sessions of an offer), suppressed against it
    and each other; a parent withheld elsewhere is withheld here too."""
    forced = {_PARENT: parent_withheld} if parent_withheld else None
    return withhold(counts | {_PARENT: sum(counts.values())}, [(_PARENT, list(counts))], THRESHOLD, forced)


def regions_withheld(counts: dict[str, int]) -> tuple[dict, str | None]:
    """({region: reason} of the regions withheld, the national total's reason or None): regions
    are parts of the national total, suppressed against it and each other."""
    withheld = withhold(counts | {_NATIONAL: sum(counts.values())}, [(_NATIONAL, list(counts))], THRESHOLD)
    return {region: reason for region, reason in withheld.items() if region != _NATIONAL}, withheld.get(_NATIONAL)


def pcns_withheld(region: str, region_count: int, pcn_counts: dict[str, int], region_withheld: str | None) -> dict:
    """{pcn: reason or None}: PCNs are parts of their region, with the answers that named no
    PCN as one more part, so region minus the shown PCNs reveals no small group."""
    counts = pcn_counts | {_NO_PCN: region_count - sum(pcn_counts.values()), region: region_count}
    forced = {region: region_withheld} if region_withheld else None
    withheld = withhold(counts, [(region, [*pcn_counts, _NO_PCN])], THRESHOLD, forced)
    return {code: withheld.get(code) for code in pcn_counts}


def outcome_cells_withheld(counts: dict[tuple, int]) -> dict:
    """{(region | ALL, offer type | ALL): reason} of the outcome table with its margins."""
    return withhold(counts, margin_relations([(ALL, REGIONS), (ALL, OFFER_TYPES)]), THRESHOLD)


def goal_cells_withheld(
    goal_counts: Mapping[tuple, int], coaching: Mapping[str, int], coaching_withheld: Mapping[str, str | None]
) -> dict:
    """{(region | ALL, combination): reason} of coaching's outcomes split by goal types
    (domain/goals.py), settled against the outcome table's coaching cells, which it leaves as
    they are.

    `goal_counts` are the pairs of each (region | ALL, combination); `coaching` the pairs of
    each region's (and ALL's) coaching cell, which its combinations add up to exactly, and
    `coaching_withheld` that cell's reason in the settled outcome table (None: shown). The
    split's relations (a region's coaching = its combinations; a combination's national cell =
    its regions') are settled with the shown coaching cells as known totals and the withheld
    ones as unknown. Were the split ever to need a shown coaching cell withheld to cover one of
    its own (a withheld part that the shown total alone would give away), the whole split is
    withheld instead: the outcome table is never changed by it, and publishing none of the
    split reveals nothing the table does not. (A coaching cell the policy would withhold only
    because every part of it is small, `built_from_suppressed`, needs no cover: its parts are
    all withheld and add up to 5 or more.)"""
    cells = {_split(r, c): n for (r, c), n in goal_counts.items()} | {_split(r): n for r, n in coaching.items()}
    forced = {_split(r): reason for r, reason in coaching_withheld.items() if reason}
    withheld = withhold(cells, _goal_relations(), THRESHOLD, forced)
    rows = (ALL, *REGIONS)
    # A coaching cell the outcome table shows, which the split would withhold as a cover. (One
    # under 5 is withheld by the table itself; one built only from small parts needs no cover.)
    if any(withheld.get(_split(r)) == COMPLEMENTARY and _split(r) not in forced for r in rows):
        return {(r, c): COMPLEMENTARY for r in rows for c in GOAL_PARTS}
    return {(r, c): withheld[_split(r, c)] for r in rows for c in GOAL_PARTS if _split(r, c) in withheld}


def _split(region: str, combination: str | None = None) -> tuple:
    """A cell of the split ((region, "coaching", combination)) or its total, the outcome
    table's (region, "coaching") cell."""
    return (region, SPLIT_OFFER_TYPE) if combination is None else (region, SPLIT_OFFER_TYPE, combination)


@lru_cache(maxsize=1)
def _goal_relations() -> tuple:
    by_region = [(_split(r), [_split(r, c) for c in GOAL_PARTS]) for r in (ALL, *REGIONS)]
    by_combination = [(_split(ALL, c), [_split(r, c) for r in REGIONS]) for c in GOAL_PARTS]
    return tuple(by_region + by_combination)
