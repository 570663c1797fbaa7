"""How the report is put together, without I/O: each part from its source in order, the caller's
scope (a regional administrator's own region, another not found), and a part this version of
Convene lacks kept as a page that says so."""

from datetime import UTC, datetime

import pypdfium2
import pytest

from services.feedback.report import gather
from services.feedback.report.findings import NOT_AVAILABLE
from shared.auth import Principal, Role
from shared.errors import NotFound
from shared.unit import Unit
from tests.unit.test_feedback_report_pages import CONDITIONS, DIFFERENCES, LEARNED, NEEDS, Q


def unit_of(role: Role, region: str | None = None) -> Unit:
    return Unit(conn=None, outbox=None, settings=None, principal=Principal("someone", role, region))


def sources(asked: list, needs=NEEDS, conditions=CONDITIONS):
    def source(answer):
        def read(unit, quarter, region):
            asked.append((quarter, region))
            return answer

        return read

    return {
        "learned": source(LEARNED),
        "needs": source(needs),
        "differences": source(DIFFERENCES),
        "conditions": source(conditions),
    }


def texts(pdf: bytes) -> list[str]:
    return [" ".join(page.get_textpage().get_text_range().split()) for page in pypdfium2.PdfDocument(pdf)]


def test_a_regional_administrator_s_report_is_of_their_own_region_whether_named_or_not():
    for named in (None, "Y56"):
        asked = []
        pdf, name = gather.report(
            unit_of(Role.REGIONAL_ADMIN, "Y56"), Q, named, sources=sources(asked), now=lambda: datetime(2026, 10, 1)
        )
        assert name == f"convene-insight-Y56-{Q}.pdf"
        assert asked == [(Q, "Y56")] * 4
        pages = texts(pdf)
        assert len(pages) == 5 and "Region: London (Y56)" in pages[0]


def test_another_region_is_not_found_for_a_regional_administrator_before_anything_is_read():
    asked = []
    with pytest.raises(NotFound) as refused:
        gather.report(unit_of(Role.REGIONAL_ADMIN, "Y56"), Q, "Y58", sources=sources(asked))
    assert refused.value.field == "region" and asked == []


def test_the_national_team_reads_england_or_any_one_region():
    asked = []
    _, name = gather.report(unit_of(Role.NATIONAL), Q, None, sources=sources(asked), now=lambda: datetime.now(UTC))
    assert name == f"convene-insight-national-{Q}.pdf" and asked == [(Q, None)] * 4
    _, name = gather.report(unit_of(Role.SERVICE), Q, "Y58", sources=sources(asked))
    assert name == f"convene-insight-Y58-{Q}.pdf"


def test_a_part_without_its_use_case_keeps_its_page_and_says_so():
    pdf, _ = gather.report(unit_of(Role.NATIONAL), Q, None, sources=sources([], needs=None, conditions=None))
    pages = texts(pdf)
    assert len(pages) == 5
    assert NOT_AVAILABLE in pages[2] and NOT_AVAILABLE in pages[4]
    assert "dealing with conflict" not in pages[2]
