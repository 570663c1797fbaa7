"""The report as one PDF: the cover and the four pages, each kept to exactly one A4 page, with the
document's title, author, subject and language set for assistive technology and search."""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.lib.pagesizes import A4
from reportlab.platypus import KeepInFrame, PageBreak, SimpleDocTemplate

from services.feedback.report.layout import FRAME_HEIGHT, FRAME_WIDTH, MARGIN

AUTHOR = "Convene"
LANGUAGE = "en-GB"


def pdf(pages: Sequence[list], *, title: str, subject: str) -> bytes:
    """One page of the PDF per list of flowables: a page too full is shrunk to fit, never split,
    so the report always has as many pages as it has parts."""
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author=AUTHOR,
        subject=subject,
        creator=AUTHOR,
        lang=LANGUAGE,
        invariant=True,  # the same figures give the same bytes, whatever the hour
    )
    story: list = []
    for number, page in enumerate(pages):
        if number:
            story.append(PageBreak())
        # a little under the frame: the frame's own padding takes the rest
        story.append(KeepInFrame(FRAME_WIDTH - 12, FRAME_HEIGHT - 12, list(page), mode="shrink"))
    document.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return out.getvalue()


def _footer(canvas, document) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 8)
    canvas.drawString(MARGIN, MARGIN / 2, f"{document.title}: page {canvas.getPageNumber()}")
    canvas.restoreState()
