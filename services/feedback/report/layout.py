"""The report's look, in one place: A4, NHS blue headings, tables with a header row, and charts
drawn by shared.charts as PNG with a sentence beside them (a chart never stands alone)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from xml.sax.saxutils import escape

from matplotlib.figure import Figure
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Image, ListFlowable, ListItem, Paragraph, Spacer, Table, TableStyle

from shared.charts import NHS_BLUE, NHS_DARK_BLUE, png

MARGIN = 2 * cm
FRAME_WIDTH = A4[0] - 2 * MARGIN
FRAME_HEIGHT = A4[1] - 2 * MARGIN
CHART_MAX_HEIGHT = 8 * cm
NHS_PALE_GREY = colors.HexColor("#f0f4f5")

_base = getSampleStyleSheet()
STYLES = {
    "title": ParagraphStyle(
        "title", parent=_base["Title"], textColor=colors.HexColor(NHS_BLUE), alignment=TA_LEFT, fontSize=24, leading=29
    ),
    "heading": ParagraphStyle("heading", parent=_base["Heading1"], textColor=colors.HexColor(NHS_BLUE), fontSize=17),
    "subheading": ParagraphStyle(
        "subheading", parent=_base["Heading2"], textColor=colors.HexColor(NHS_DARK_BLUE), fontSize=12.5
    ),
    "body": ParagraphStyle("body", parent=_base["BodyText"], fontSize=10, leading=13.5),
    "small": ParagraphStyle(
        "small", parent=_base["BodyText"], fontSize=8.5, leading=11, textColor=colors.HexColor("#425563")
    ),
    "cell": ParagraphStyle("cell", parent=_base["BodyText"], fontSize=8.5, leading=10.5),
    "header": ParagraphStyle(
        "header",
        parent=_base["BodyText"],
        fontSize=8.5,
        leading=10.5,
        textColor=colors.white,
        fontName="Helvetica-Bold",
    ),
}


def heading(text: str) -> Paragraph:
    return Paragraph(escape(text), STYLES["heading"])


def subheading(text: str) -> Paragraph:
    return Paragraph(escape(text), STYLES["subheading"])


def paragraph(text: str, style: str = "body") -> Paragraph:
    return Paragraph(escape(text), STYLES[style])


def bullets(sentences: Sequence[str]) -> ListFlowable:
    return ListFlowable(
        [ListItem(paragraph(s), leftIndent=12) for s in sentences],
        bulletType="bullet",
        start="\u2022",
        leftIndent=12,
    )


def chart(figure: Figure, description: str) -> list:
    """The chart as an image the width of the page (at most CHART_MAX_HEIGHT tall), and the
    sentence that says what it shows, for readers who cannot see it."""
    width_in, height_in = figure.get_size_inches()
    width = FRAME_WIDTH
    height = width * height_in / width_in
    if height > CHART_MAX_HEIGHT:
        width, height = CHART_MAX_HEIGHT * width_in / height_in, CHART_MAX_HEIGHT
    image = Image(io.BytesIO(png(figure, dpi=150)), width=width, height=height)
    return [image, paragraph("Chart: " + description, "small"), Spacer(1, 6)]


def table(header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float] | None = None) -> Table:
    """A table whose first row is its header row (repeated should it ever break across pages)."""
    cells = [[Paragraph(escape(h), STYLES["header"]) for h in header]] + [
        [Paragraph(escape(str(c)), STYLES["cell"]) for c in row] for row in rows
    ]
    scaled = None if widths is None else [FRAME_WIDTH * w / sum(widths) for w in widths]
    built = Table(cells, colWidths=scaled, repeatRows=1, hAlign="LEFT")
    built.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(NHS_BLUE)),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, NHS_PALE_GREY]),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#d8dde0")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return built
