"""What have we learned so far: session feedback by quarter with 95 % intervals, and what went
well and what remains against the national figure. Pure Python over the stored monthly rows.
Also how any quarter table beside an all-time one already published (needs, outcome changes)
is settled against it (`dated_cells_withheld`).

A quarter is three UK months merged on read: the stored rows are (region, offer type, month),
so no new row is kept. Quarter cells are new cells beside the published table, so they are
settled by the same policy (`disclosure.quarter_cells_withheld`) before anything is shown, and
every figure shown is written as the rest of feedback writes it (`figures.feedback_view`).

What is published, and what each figure is computed from
--------------------------------------------------------
* A quarter cell's respondents and each measure's count: rounded to 5 (`shown_count`); its
  mean to two places (`shown_ratio`), as `/v1/aggregates` gives a month's mean.
* A mean's 95 % interval: centred on that published mean, with the half-width of
  `insight_statistics.mean_interval_of` over the cell's *published* distribution (every bucket
  rounded to 5, `RunningStats.from_counts` of the shown buckets), to two places. The exact
  variance is never used, so the interval says nothing the published buckets do not: with
  the mean the exact variance would pin down the exact count, which the policy withholds. The
  price is some precision in cells of a few dozen answers; when the rounded buckets hold
  fewer than 2 answers, or all of them in one bucket (the rounding hides any spread), there is
  no interval (null).
* The Friends and Family Test's positive share, as published (rounded counts), with its
  Wilson interval over the same rounded counts.
* What went well and what remains: Welch's tests of each shown cell against the rest of the
  nation, Holm-corrected over every comparison of the view, computed from the published
  quarterly distributions alone (a cell over the period asked is the sum of its shown
  quarters' rounded buckets; the nation is summed over the same quarters). A finding, its
  difference and its p-value therefore follow from figures anyone with the same role can
  already read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from services.feedback.domain.aggregates import ALL, ALL_TIME, month_of
from services.feedback.domain.feedback import FEEDBACK_MEASURES
from services.feedback.domain.figures import Figures, feedback_view, merge_all
from services.feedback.domain.insight_statistics import (
    Comparison,
    Summary,
    compare_with_national,
    mean_interval_of,
    went_well_and_remains,
    wilson_interval,
)
from services.feedback.domain.running_stats import RunningStats
from services.feedback.domain.scales import FFT_POSITIVE
from shared.contracts.vocabulary import NATIONAL, REGION_NAMES
from shared.disclosure import (
    COMPLEMENTARY,
    THRESHOLD,
    margin_relations,
    shown_count,
    shown_ratio,
    with_margins,
    withhold,
)

# Answers kept before their quarter was (or whose date erasure took): part of all time, in no quarter.
UNDATED = "undated"
# Added to a published cell's count while settling quarters, so it is chosen as a cover last.
_KNOWN = 10**12

MEASURE_NAMES = {
    "overall": "overall rating",
    "usefulness": "usefulness",
    "will_apply": "intention to apply what was learned",
    "recommend": "share who would recommend it (very good or good)",
}
P_PLACES = 4


def quarter_of(month: str) -> str:
    """The calendar quarter of a UK month: "2026-07" -> "2026-Q3"."""
    year, number = month.split("-")
    return f"{year}-Q{(int(number) - 1) // 3 + 1}"


def quarter_of_day(day) -> str | None:
    """The calendar quarter of a date, or None when there is no date."""
    return None if day is None else quarter_of(month_of(day))


def quarter_ordinal(quarter: str) -> int:
    """Quarters as equally spaced scores for a trend: "2026-Q1" -> 8104, "2026-Q2" -> 8105."""
    year, number = quarter.split("-Q")
    return 4 * int(year) + int(number) - 1


def dated_cells_withheld(
    counts: Mapping[tuple, int], axes: list[tuple], published: Mapping[tuple, str | None]
) -> dict[tuple, str | None]:
    """{(*row, quarter): reason or None} of every quarter cell with respondents, for a table whose
    all-time cells are already published and settled (the needs ranking, the outcome table).

    `counts` are the innermost cells' respondents, (*row, quarter | UNDATED); `axes` the table's
    other axes as `margin_relations` takes them; `published` the all-time table's pattern,
    {row cell, margins included: reason or None}. The quarters are settled over every margin,
    all time being the sum of the quarters and the undated answers, which are never shown: an
    unknown part like a withheld quarter. An all-time cell the published table withholds stays
    withheld. One it shows is known, and so is every cell that follows from known ones alone
    (a region's only quarter is its all-time figure): known cells are chosen as a cover only
    when nothing else can be. Should any relation still need a known cell as a cover (which
    would cover nothing), only the known quarters of 5 or more are shown and every other
    quarter is withheld: that publishes nothing the published table does not."""
    quarters = tuple(sorted({cell[-1] for cell in counts} - {UNDATED}))
    all_axes = [*axes, (ALL_TIME, (*quarters, UNDATED))]
    relations = margin_relations(all_axes)
    cells = with_margins(counts, all_axes)
    known = _known_from({(*row, ALL_TIME) for row, reason in published.items() if reason is None}, cells, relations)
    forced = {(*row, ALL_TIME): reason for row, reason in published.items() if reason}
    forced |= {cell: COMPLEMENTARY for cell, n in cells.items() if cell[-1] == UNDATED and n and cell not in known}
    weighted = {cell: n + _KNOWN * (cell in known and n >= THRESHOLD) for cell, n in cells.items()}
    withheld = withhold(weighted, relations, THRESHOLD, forced)
    dated = {cell: n for cell, n in cells.items() if n > 0 and cell[-1] not in (ALL_TIME, UNDATED)}
    # A known cell withheld only because its parts are all small (built from suppressed) needs
    # no cover: its parts are all withheld and add up to 5 or more.
    if any(withheld.get(cell) == COMPLEMENTARY for cell in known):
        return {cell: None if cell in known and n >= THRESHOLD else COMPLEMENTARY for cell, n in dated.items()}
    return {cell: withheld.get(cell) for cell in dated}


def _known_from(known: set, cells: Mapping[tuple, int], relations: list) -> set:
    """The cells that follow from the `known` ones by the table's relations alone (a relation
    with one other member of respondents gives it by subtraction), assuming, as the policy
    does, that anyone may know which cells are empty."""
    known = {cell for cell in known if cells.get(cell, 0) > 0}
    changed = True
    while changed:
        changed = False
        for total, parts in relations:
            unknown = [c for c in (total, *parts) if cells.get(c, 0) > 0 and c not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                changed = True
    return known


def quarters_between(quarters: Iterable[str], start: str | None, end: str | None) -> list[str]:
    """The quarters given that lie in [start, end] (either open), in order."""
    return sorted(q for q in set(quarters) if (start is None or q >= start) and (end is None or q <= end))


def by_quarter(monthly: Mapping[tuple, Figures]) -> dict[tuple, Figures]:
    """{(region | ALL, offer type | ALL, month): Figures} -> the same cells by quarter, merged."""
    cells: dict[tuple, Figures] = {}
    for (region, offer_type, month), figures in monthly.items():
        cell = (region, offer_type, quarter_of(month))
        cells[cell] = cells[cell].merge(figures) if cell in cells else figures
    return cells


# --- a quarter cell as published ----------------------------------------------------------


def shown_stats(stats: RunningStats) -> RunningStats:
    """A measure rebuilt from its published buckets (each rounded to 5): what anyone can see."""
    return RunningStats.from_counts(
        stats.scale, {v: shown_count(n) for v, n in zip(stats.scale.values, stats.histogram)}
    )


def shown_figures(figures: Figures) -> Figures:
    return Figures(figures.family, {m: shown_stats(s) for m, s in figures.stats.items()})


def quarter_view(quarter: str, figures: Figures | None, withheld: str | None) -> dict:
    """One quarter of a cell: published as `feedback_view` publishes a cell (no attendees: they
    are kept per month too, but the question here is what people said), with each measure's
    interval."""
    view = feedback_view(figures or Figures.empty("feedback"), withheld)
    measures = (
        {} if view["suppressed"] else {m: _measure(s) for m, s in (figures or Figures.empty("feedback")).stats.items()}
    )
    return {"quarter": quarter, "suppressed": view["suppressed"], "reason": view["reason"]} | {
        "respondents": view["respondents"],
        "measures": measures,
    }


def _measure(stats: RunningStats) -> dict:
    shown = shown_stats(stats)
    if stats.scale.numeric:
        mean = stats.summary().mean
        interval = mean_interval_of(shown)
        low = high = None
        if mean is not None and interval is not None:
            half = interval.high - interval.estimate
            bottom, top = min(stats.scale.values), max(stats.scale.values)
            low, high = shown_ratio(max(bottom, mean - half)), shown_ratio(min(top, mean + half))
        return {
            "count": shown_count(stats.count),
            "mean": shown_ratio(mean),
            "positive_share": None,
            "low": low,
            "high": high,
        }
    interval = wilson_interval(shown.count_of(FFT_POSITIVE), shown.count)
    return {
        "count": shown_count(stats.count),
        "mean": None,
        "positive_share": None if interval is None else shown_ratio(interval.estimate),
        "low": None if interval is None else shown_ratio(interval.low),
        "high": None if interval is None else shown_ratio(interval.high),
    }


# --- what went well, what remains ---------------------------------------------------------


@dataclass(frozen=True)
class Compared:
    """One cell of the view over the period asked, and the nation over the same quarters, both
    summed from published quarterly buckets."""

    cell: tuple  # (region | ALL, offer type | ALL)
    own: Figures
    national: Figures


def compared_over(
    parts: Iterable[tuple], national: tuple, quarters: list[str], figures: Mapping[tuple, Figures], shown: set
) -> list[Compared]:
    """Each part summed over the quarters where it is shown, against the national cell over the
    same quarters (where that is shown too), from the published buckets only."""
    result = []
    for part in parts:
        used = [q for q in quarters if (*part, q) in shown and (*national, q) in shown]
        if not used:
            continue
        own = merge_all("feedback", (shown_figures(figures[(*part, q)]) for q in used))
        nation = merge_all("feedback", (shown_figures(figures[(*national, q)]) for q in used))
        result.append(Compared(part, own, nation))
    return result


def _summary(stats: RunningStats) -> Summary | None:
    if stats.scale.numeric:
        return Summary.of(stats)
    return Summary.of_share(stats.count_of(FFT_POSITIVE), stats.count)


def findings(compared: list[Compared], period: str) -> dict:
    """What went well and what remains, Holm-corrected over every (cell, measure) of the view,
    each with a plain-English sentence."""
    comparisons: dict[tuple, Comparison | None] = {}
    means: dict[tuple, tuple[float, float]] = {}
    for c in compared:
        for measure in FEEDBACK_MEASURES:
            own, nation = _summary(c.own.stats[measure]), _summary(c.national.stats[measure])
            if own is None or nation is None or own.count >= nation.count:
                comparisons[(c.cell, measure)] = None
                continue
            rest = nation.without(own)
            comparisons[(c.cell, measure)] = compare_with_national(own, nation)
            means[(c.cell, measure)] = (own.mean, rest.mean if rest is not None else nation.mean)
    found = went_well_and_remains(comparisons)

    def view(finding, better: bool) -> dict:
        (region, offer_type), measure = finding.label
        own, rest = means[finding.label]
        return {
            "region": None if region == ALL else region,
            "offer_type": None if offer_type == ALL else offer_type,
            "measure": measure,
            "value": shown_ratio(own),
            "rest_of_nation": shown_ratio(rest),
            "difference": shown_ratio(finding.comparison.difference),
            "standardised": shown_ratio(finding.comparison.standardised),
            "adjusted_p": round(finding.adjusted_p, P_PLACES),
            "sentence": sentence(region, offer_type, measure, own, rest, better, period),
        }

    return {
        "went_well": [view(f, True) for f in found.went_well],
        "remains": [view(f, False) for f in found.remains],
        "compared": found.compared,
    }


def subject(region: str, offer_type: str) -> str:
    kind = None if offer_type == ALL else offer_type.replace("_", " ").capitalize()
    if region == ALL:
        return f"{kind} nationally" if kind else "The nation"
    names = {code.value: name for code, name in REGION_NAMES.items()}
    place = "national offers" if region == NATIONAL else f"{names.get(region, 'region')} ({region})"
    return f"{kind} in {place}" if kind else place[0].upper() + place[1:]


def sentence(region: str, offer_type: str, measure: str, own: float, rest: float, better: bool, period: str) -> str:
    """E.g. "Coaching in London (Y56): the overall rating was 4.52 against 3.10 in the rest of the
    country (2026-Q1 to 2026-Q3), higher beyond what chance would explain; this went well."."""
    fmt = (lambda x: f"{round(100 * x)} %") if measure == "recommend" else (lambda x: f"{x:.2f}")
    higher = "higher" if own > rest else "lower"
    verdict = "this went well" if better else "this remains to be attended to"
    return (
        f"{subject(region, offer_type)}: the {MEASURE_NAMES[measure]} was {fmt(own)} against {fmt(rest)} in the "
        f"rest of the country ({period}), {higher} beyond what chance would explain; {verdict}."
    )
