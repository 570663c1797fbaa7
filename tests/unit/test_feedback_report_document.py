"""The report's document and its quarters: one PDF page per part however full it is, the title,
author and language set, and calendar quarters checked, counted back and put in words."""

import pypdfium2
import pytest

from services.feedback.report import document
from services.feedback.report.gather import file_name
from services.feedback.report.layout import paragraph
from services.feedback.report.period import is_quarter, quarter_span, quarters_back


def test_each_part_is_one_page_even_when_it_holds_more_than_a_page():
    overfull = [
        paragraph(f"Finding {i}: a sentence long enough to take a line of its own on the page.") for i in range(150)
    ]
    built = document.pdf([[paragraph("Cover")], overfull, [paragraph("Last")]], title="A report", subject="s")
    pdf = pypdfium2.PdfDocument(built)
    assert len(pdf) == 3
    assert "Finding 149" in pdf[1].get_textpage().get_text_range()


def test_the_pdf_names_its_title_author_and_language():
    built = document.pdf([[paragraph("x")]], title="Convene commissioners' report, 2026-Q3, England", subject="s")
    metadata = pypdfium2.PdfDocument(built).get_metadata_dict()
    assert metadata["Title"] == "Convene commissioners' report, 2026-Q3, England"
    assert metadata["Author"] == "Convene"
    assert b"/Lang (en-GB)" in built


def test_the_same_pages_give_the_same_bytes():
    def build():
        return document.pdf([[paragraph("x")]], title="t", subject="s")

    assert build() == build()


@pytest.mark.parametrize("text", ["2026-Q3", "1999-Q1"])
def test_a_quarter_is_a_year_and_one_of_four(text):
    assert is_quarter(text)


@pytest.mark.parametrize(
    "text", ["2026-Q5", "2026-Q0", "2026Q3", "2026-q3", "26-Q3", "", None, "2026-Q3 ", "2026-Q3\n"]
)
def test_anything_else_is_not_a_quarter(text):
    assert not is_quarter(text)


def test_quarters_count_back_across_years():
    assert quarters_back("2026-Q3", 3) == "2025-Q4"
    assert quarters_back("2026-Q1", 1) == "2025-Q4"
    assert quarters_back("2026-Q1", 4) == "2025-Q1"
    assert quarters_back("2026-Q2", 0) == "2026-Q2"


def test_a_quarter_in_words_ends_on_its_last_day():
    assert quarter_span("2026-Q1") == "1 January to 31 March 2026"
    assert quarter_span("2026-Q4") == "1 October to 31 December 2026"


def test_the_file_is_named_for_its_scope_and_quarter():
    assert file_name("2026-Q3", None) == "convene-insight-national-2026-Q3.pdf"
    assert file_name("2026-Q3", "Y56") == "convene-insight-Y56-2026-Q3.pdf"
