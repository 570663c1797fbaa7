"""The one chart of each insight question, drawn by shared/charts.py from the rows of the table it
stands beside (insight_tables), so chart and table always show the same figures. Each chart's
description reads its figures out, for people who cannot see it. Pure, no I/O.

The console's Content-Security-Policy allows no inline styles (style-src 'self'), which would
strip matplotlib's colours and fonts from an inline SVG; `page_svg` moves them into SVG
presentation attributes, which the policy does not govern."""

from __future__ import annotations

import re
from collections.abc import Sequence

from services.console.insight_tables import NOT_KNOWN, WITHHELD, Table, shown
from shared import charts

# matplotlib's one stylesheet rule, kept as attributes of the <svg> (they are inherited)
_SHEET = re.compile(r"<style[^>]*>.*?</style>", re.S)
_STYLE = re.compile(r' style="([^"]*)"')


def page_svg(drawing: str) -> str:
    """An SVG with every style="a: b; c: d" written as a="b" c="d", and no <style> element."""

    def attributes(match: re.Match) -> str:
        pairs = [part.split(":", 1) for part in match.group(1).split(";") if ":" in part]
        return "".join(f' {name.strip()}="{value.strip()}"' for name, value in pairs)

    drawing = _SHEET.sub("", drawing)
    drawing = drawing.replace("<svg ", '<svg stroke-linejoin="round" stroke-linecap="butt" ', 1)
    return _STYLE.sub(attributes, drawing)


def _number(cell) -> float | None:
    return None if cell is WITHHELD or cell is None or isinstance(cell, str) else float(cell)


def _said(label: str, value, low=None, high=None) -> str:
    interval = f" (95% interval {shown(low)} to {shown(high)})" if _number(low) is not None else ""
    return f"{label}: {shown(value)}{interval}"


def _bars(bars: Sequence[charts.Bar], said: list[str], title: str, key: str, **options) -> str:
    figure = charts.bar_chart(bars, **options)
    return page_svg(charts.svg(figure, title, "; ".join(said) + ".", key))


def learned_chart(table: Table, focus: str, national_latest: float | None) -> str | None:
    """Mean overall rating per quarter of `focus` (an area of the table) with its 95 % intervals,
    the national figure of the latest quarter as the reference line when the focus is a region."""
    rows = [row for row in table.rows if row[1] == focus]
    if not rows:
        return None
    bars = [charts.Bar(r[0], _number(r[3]), _number(r[4]), _number(r[5])) for r in rows]
    said = [_said(r[0], r[3], r[4], r[5]) for r in rows]
    return _bars(
        bars,
        said,
        f"Mean overall rating by quarter, {focus}",
        "learned",
        axis_label="Mean overall rating (1 to 5), with 95% intervals",
        limits=(1, 5),
        reference=national_latest,
        reference_label="England, latest quarter",
    )


def needs_chart(table: Table, quarters: Sequence[str]) -> str | None:
    """Share rating each need 4 or 5, one line per need over the quarters."""
    if not table.rows or not quarters:
        return None
    series = {row[0]: [_number(c) for c in row[2 : 2 + len(quarters)]] for row in table.rows}
    said = [
        f"{row[0]}, {row[1].lower()}: " + ", ".join(shown(c) for c in row[2 : 2 + len(quarters)]) for row in table.rows
    ]
    figure = charts.line_chart(list(quarters), series, axis_label="Rating it 4 or 5 (%)", limits=(0, 100))
    description = "Per cent rating each need 4 or 5 in " + ", ".join(quarters) + ". " + "; ".join(said) + "."
    return page_svg(charts.svg(figure, "Needs rated 4 or 5, by quarter", description, "needs"))


def differences_chart(table: Table) -> str | None:
    """Each PCN group's share rating each need 4 or 5."""
    if not table.rows:
        return None
    labels = [f"{row[0]}: {row[1]}" for row in table.rows]
    bars = [charts.Bar(label, _number(row[2])) for label, row in zip(labels, table.rows, strict=True)]
    said = [_said(label, row[2]) for label, row in zip(labels, table.rows, strict=True)]
    return _bars(
        bars,
        said,
        "Needs of each group of PCNs",
        "differences",
        axis_label="Answers rating the need 4 or 5 (%)",
        limits=(0, 100),
    )


def conditions_chart(table: Table) -> str | None:
    """Continuity of each group, withheld groups in words."""
    if not table.rows:
        return None
    bars = [
        charts.Bar(row[0], _number(row[6]), missing=None if row[6] == WITHHELD else NOT_KNOWN) for row in table.rows
    ]
    said = [_said(row[0], row[6]) for row in table.rows]
    return _bars(bars, said, "Continuity of each group", "conditions", axis_label="Continuity (%)", limits=(0, 100))
