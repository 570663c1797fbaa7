"""Charts of the commissioners' insight, drawn once for every face: inline SVG on the console's
dashboards and PNG in the quarterly PDF report, by matplotlib.

A chart never stands alone (NHS accessibility guidance): every page that shows one puts its data
table beside it, and the SVG carries a title and a one-sentence description for screen readers.
A withheld figure is drawn as no bar or no point, with the words of `WITHHELD` where the bar
would be, never as zero.

Figures are built with `matplotlib.figure.Figure`, not pyplot, so nothing is kept between
requests and threads do not share a current figure. Text stays text in the SVG (`svg.fonttype`
"none") so it scales and can be read out; ids are salted alike so the same data gives the same
bytes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

import matplotlib

matplotlib.use("Agg")  # no display: draw to files only

from matplotlib import rcParams  # noqa: E402  (after the backend is chosen)
from matplotlib.figure import Figure  # noqa: E402

rcParams["svg.fonttype"] = "none"
rcParams["svg.hashsalt"] = "convene"
rcParams["font.family"] = "DejaVu Sans"  # shipped with matplotlib, so every machine draws alike
rcParams["font.size"] = 10

# NHS identity colours (https://www.england.nhs.uk/nhsidentity/identity-guidelines/colours/)
NHS_BLUE = "#005eb8"
NHS_DARK_BLUE = "#003087"
NHS_DARK_GREY = "#425563"
NHS_MID_GREY = "#768692"
NHS_WARM_YELLOW = "#ffb81c"
NHS_AQUA_GREEN = "#00a499"
SERIES_COLOURS = (NHS_BLUE, NHS_WARM_YELLOW, NHS_AQUA_GREEN, NHS_DARK_GREY, "#330072", "#da291c", NHS_MID_GREY)
# Series are told apart by marker as well as colour, for readers who do not see the colours.
SERIES_MARKERS = ("o", "s", "^", "D", "v", "P", "X")

WITHHELD = "fewer than 5"
WIDTH_INCHES = 7.0


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value (None when withheld) and, if known, its 95 % interval;
    `missing` is what stands where a bar without a value would be, when it is not withheld but
    not known (say, a group that has not met yet)."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    missing: str | None = None


def _literal(text: str) -> str:
    """Text as written: matplotlib reads $...$ as mathematics, and a label (an offer's title)
    is never mathematics."""
    return text.replace("$", r"\$")


def bar_chart(
    bars: Sequence[Bar],
    *,
    axis_label: str,
    limits: tuple[float, float] | None = None,
    reference: float | None = None,
    reference_label: str = "National",
    withheld: str = WITHHELD,
) -> Figure:
    """Horizontal bars, top to bottom in the order given, with interval whiskers where given and
    a dashed line at `reference` (the national figure) if given."""
    height = 0.9 + 0.42 * max(len(bars), 1)
    figure = Figure(figsize=(WIDTH_INCHES, height), layout="constrained")
    axes = figure.add_subplot()
    rows = list(range(len(bars)))[::-1]
    left = limits[0] if limits else 0.0
    for row, bar in zip(rows, bars, strict=True):
        if bar.value is None:
            words = bar.missing or withheld
            axes.text(left, row, f"  {words}", va="center", ha="left", color=NHS_DARK_GREY, style="italic")
            continue
        axes.barh(row, bar.value - left, left=left, height=0.6, color=NHS_BLUE)
        if bar.low is not None and bar.high is not None:
            axes.errorbar(
                bar.value,
                row,
                xerr=[[bar.value - bar.low], [bar.high - bar.value]],
                fmt="none",
                ecolor=NHS_DARK_BLUE,
                capsize=4,
                linewidth=1.2,
            )
    if reference is not None:
        axes.axvline(reference, color=NHS_WARM_YELLOW, linestyle="--", linewidth=2, label=reference_label)
        axes.legend(loc="lower right", frameon=False)
    axes.set_yticks(rows, [_literal(bar.label) for bar in bars])
    axes.set_xlabel(axis_label)
    if limits:
        axes.set_xlim(*limits)
    _plain(axes)
    axes.grid(axis="x", color="#d8dde0", linewidth=0.8)
    return figure


def line_chart(
    periods: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    axis_label: str,
    limits: tuple[float, float] | None = None,
) -> Figure:
    """One line per series over the periods; a withheld point (None) breaks its line."""
    figure = Figure(figsize=(WIDTH_INCHES, 3.6), layout="constrained")
    axes = figure.add_subplot()
    x = list(range(len(periods)))
    for i, (name, values) in enumerate(series.items()):
        y = [float("nan") if v is None else v for v in values]
        axes.plot(
            x,
            y,
            label=_literal(name),
            color=SERIES_COLOURS[i % len(SERIES_COLOURS)],
            marker=SERIES_MARKERS[i % len(SERIES_MARKERS)],
            linewidth=2,
        )
    axes.set_xticks(x, [_literal(p) for p in periods])
    axes.set_ylabel(axis_label)
    if limits:
        axes.set_ylim(*limits)
    _plain(axes)
    axes.grid(axis="y", color="#d8dde0", linewidth=0.8)
    if series:
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return figure


def svg(figure: Figure, title: str, description: str, key: str) -> str:
    """The chart as an inline SVG element, named and described for assistive technology; `key`
    makes the ids of its title and description unique on the page."""
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    text = out.getvalue()
    start = text.index("<svg")
    text = text[start:]
    head_end = text.index(">") + 1
    labels = f'role="img" aria-labelledby="{key}-title {key}-desc" focusable="false"'
    head = text[:head_end].replace("<svg ", f"<svg {labels} ", 1)
    named = f'<title id="{key}-title">{escape(title)}</title><desc id="{key}-desc">{escape(description)}</desc>'
    # matplotlib fixes the drawing's size in points; the page's width decides it instead
    head = re.sub(r' (width|height)="[^"]*"', "", head)
    body = re.sub(r"\s*<metadata>.*?</metadata>", "", text[head_end:], flags=re.S)  # the drawing's tool, not the data
    return head + named + body


def png(figure: Figure, dpi: int = 200) -> bytes:
    """The chart as a PNG image, for the PDF report."""
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=dpi, metadata={"Software": None})
    return out.getvalue()


def _plain(axes) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.set_axisbelow(True)
