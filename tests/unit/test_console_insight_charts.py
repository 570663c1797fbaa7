"""Each insight chart is drawn from the rows of the table beside it and reads its figures out in its
description; the SVG keeps its colours under the console's no-inline-style policy; the filters'
quarters and choices. Pure, no I/O."""

from __future__ import annotations

import re
from datetime import datetime

from werkzeug.datastructures import MultiDict

from services.console.insight_charts import conditions_chart, learned_chart, needs_chart, page_svg
from services.console.insight_tables import WITHHELD, Table, learned_tables
from services.console.pages.insight import chosen_filters, recent_quarters
from shared import charts
from tests.unit.test_console_insight_tables import LEARNED


def _description(svg: str) -> str:
    return re.search(r"<desc id=\"[^\"]+\">(.*?)</desc>", svg).group(1)


def test_the_feedback_chart_reads_out_the_same_figures_as_its_table():
    table = learned_tables(LEARNED)[0]
    svg = learned_chart(table, "London", 4.2)
    assert 'role="img"' in svg and '<title id="learned-title">Mean overall rating by quarter, London</title>' in svg
    assert _description(svg) == "2026-Q3: 4.67 (95% interval 4.38 to 4.95); 2026-Q4: fewer than 5."
    assert "fewer than 5" in re.sub(r"<desc.*?</desc>", "", svg)  # drawn in words where the bar would be
    assert "England, latest quarter" in svg
    assert learned_chart(table, "Midlands", None) is None  # no rows of that area: no chart


def test_the_svg_has_no_inline_styles_but_keeps_its_colours_as_attributes():
    drawing = charts.svg(charts.bar_chart([charts.Bar("a", 3.0)], axis_label="x"), "T", "D", "k")
    assert "style=" in drawing and "<style" in drawing  # what matplotlib draws
    page = page_svg(drawing)
    assert "style=" not in page and "<style" not in page
    assert f'fill="{charts.NHS_BLUE}"' in page and "font-family=\"'DejaVu Sans'\"" in page
    assert page.startswith('<svg stroke-linejoin="round" stroke-linecap="butt" role="img"')


def test_the_needs_chart_has_a_line_per_need_and_the_conditions_chart_a_bar_per_group():
    trends = Table("needs-trends", "c", ("Need", "Trend", "2026-Q2 (%)", "2026-Q3 (%)", "p"),
                   (("Teamwork", "Rising", WITHHELD, 75.0, 0.2),))  # fmt: skip
    assert _description(needs_chart(trends, ["2026-Q2", "2026-Q3"])).endswith("Teamwork, rising: fewer than 5, 75.")
    groups = Table("learning-groups", "c", tuple("abcdefghi"),
                   (("Set", "London", "Coaching", 8, 8, 0, 100.0, 90.0, "No"),
                    ("o-2", "London", "Coaching", *[WITHHELD] * 6)))  # fmt: skip
    assert _description(conditions_chart(groups)) == "Set: 100; o-2: fewer than 5."
    assert conditions_chart(Table("learning-groups", "c", (), ())) is None


def test_the_filters_offer_the_last_two_years_of_quarters():
    assert recent_quarters(datetime(2026, 11, 30)) == [
        "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"
    ]  # fmt: skip
    assert recent_quarters(datetime(2027, 1, 1), 2) == ["2026-Q4", "2027-Q1"]


def test_a_regional_administrator_cannot_choose_another_region():
    args = MultiDict({"region": "Y58", "offer_type": "coaching", "from": " ", "to": "2026-Q3"})
    assert chosen_filters(args, "national") == {"region": "Y58", "offer_type": "coaching", "to": "2026-Q3"}
    assert chosen_filters(args, "regional_admin") == {"offer_type": "coaching", "to": "2026-Q3"}
