"""Each page of the commissioners' report, from hand-built answers in the exact shapes the insight
endpoints publish: its question, its table (a withheld cell reads "fewer than 5"), its chart and
its plain-English findings, and words instead of figures where there is no data."""

from datetime import datetime

from reportlab.platypus import Image, ListFlowable, ListItem, Paragraph, Table

from services.feedback.report import pages
from services.feedback.report.findings import NO_DIFFERENCES, NO_FEEDBACK, NO_GROUPS, NO_NEEDS, NOT_AVAILABLE
from shared.charts import WITHHELD

Q = "2026-Q3"


FALLING_REASON = "Attendance at the last 3 sessions (50%) is 15% or more below the earlier sessions (80%)."


def text_of(flowables) -> list[str]:
    """The words of the flowables, cell by cell and bullet by bullet, in reading order."""
    found = []
    for flowable in flowables:
        if isinstance(flowable, Paragraph):
            found.append(flowable.getPlainText())
        elif isinstance(flowable, Table):
            found += text_of(cell for row in flowable._cellvalues for cell in row)
        elif isinstance(flowable, ListFlowable | ListItem):
            found += text_of(flowable._flowables)
    return found


def joined(flowables) -> str:
    return "\n".join(text_of(flowables))


def charts_in(flowables) -> int:
    return sum(isinstance(f, Image) for f in flowables)


def table_rows(flowables) -> list[list[str]]:
    (found,) = [f for f in flowables if isinstance(f, Table)]
    return [[cell.getPlainText() for cell in row] for row in found._cellvalues]


# --- 1. what have we learned --------------------------------------------------------------


def measure(mean, low, high, count=40):
    return {"count": count, "mean": mean, "positive_share": None, "low": low, "high": high}


SHOWN = {
    "quarter": Q,
    "suppressed": False,
    "reason": None,
    "respondents": 40,
    "measures": {
        "overall": measure(4.1, 3.9, 4.3),
        "usefulness": measure(3.8, 3.5, 4.1),
        "will_apply": measure(4.0, None, None),
        "recommend": {"count": 40, "mean": None, "positive_share": 0.8, "low": 0.65, "high": 0.89},
    },
}
WITHHELD_QUARTER = {"quarter": Q, "suppressed": True, "reason": "small_numbers", "respondents": None, "measures": {}}
WENT_WELL = (
    "Region Y56: the overall rating was 4.50 against 3.90 in the rest of the country (2026-Q3), higher beyond "
    "what chance would explain; this went well."
)
LEARNED = {
    "region": None,
    "offer_type": None,
    "from": Q,
    "to": Q,
    "quarters": [Q],
    "national": {"region": None, "offer_type": None, "quarters": [SHOWN]},
    "regions": [
        {"region": "Y56", "offer_type": None, "quarters": [SHOWN | {"respondents": 25}]},
        {"region": "Y58", "offer_type": None, "quarters": [WITHHELD_QUARTER]},
        {"region": "Y59", "offer_type": None, "quarters": []},
    ],
    "went_well": [
        {
            "region": "Y56",
            "offer_type": None,
            "measure": "overall",
            "value": 4.5,
            "rest_of_nation": 3.9,
            "difference": 0.6,
            "standardised": 0.7,
            "adjusted_p": 0.01,
            "sentence": WENT_WELL,
        }
    ],
    "remains": [],
    "compared": 12,
}


def test_the_learned_page_asks_its_question_and_tables_each_place_with_its_intervals():
    page = pages.learned_page(LEARNED, Q)
    assert text_of(page)[0] == "1. What have we learned so far?"
    rows = table_rows(page)
    assert rows[0][:2] == ["Place", "People"]
    assert rows[1] == ["England", "40", "4.10 (3.90 to 4.30)", "3.80 (3.50 to 4.10)", "4.00", "80 % (65 % to 89 %)"]
    assert rows[2][:3] == ["London (Y56)", "25", "4.10 (3.90 to 4.30)"]
    assert rows[3] == ["South West (Y58)", WITHHELD, "-", "-", "-", "-"]
    assert rows[4][:2] == ["South East (Y59)", "no answers"]
    assert charts_in(page) == 1


def test_the_learned_page_finds_what_went_well_and_names_the_withheld_places():
    text = joined(pages.learned_page(LEARNED, Q))
    assert WENT_WELL in text
    assert f"Figures for South West (Y58) are withheld: {WITHHELD} people answered" in text


def test_the_learned_page_says_when_nothing_differed_clearly():
    text = joined(pages.learned_page(LEARNED | {"went_well": [], "remains": []}, Q))
    assert "No region or offer type differed from the rest of the country beyond what chance" in text
    assert "Holm-corrected over 12 comparisons" in text


def test_a_quarter_without_feedback_says_so_in_words_and_draws_nothing():
    empty = LEARNED | {"quarters": [], "national": {"region": None, "offer_type": None, "quarters": []}}
    page = pages.learned_page(empty | {"regions": [], "went_well": []}, Q)
    assert NO_FEEDBACK in text_of(page)
    assert charts_in(page) == 0 and not any(isinstance(f, Table) for f in page)


# --- 2. emerging needs --------------------------------------------------------------------


QUARTERS = ["2025-Q4", "2026-Q1", "2026-Q2", Q]
NEEDS = {
    "scope": "national",
    "region": None,
    "quarters": QUARTERS,
    "ranking": [
        {"quarter": "2026-Q2", "suppressed": True, "reason": "small_numbers", "respondents": None, "needs": []},
        {
            "quarter": Q,
            "suppressed": False,
            "reason": None,
            "respondents": 35,
            "needs": [
                {"need": "strategy", "rank": 2, "mean": 3.9, "high_share": 0.6},
                {"need": "dealing_with_conflict", "rank": 1, "mean": 4.2, "high_share": 0.71},
                {"need": "teamwork", "rank": 3, "mean": 3.1, "high_share": 0.3},
            ],
        },
    ],
    "trends": [
        {
            "need": "dealing_with_conflict",
            "direction": "rising",
            "high_shares": [0.3, 0.45, None, 0.71],
            "z": 3.2,
            "p_value": 0.0014,
            "adjusted_p": 0.0098,
        },
        {
            "need": "teamwork",
            "direction": "steady",
            "high_shares": [0.3, 0.3, None, 0.3],
            "z": 0.1,
            "p_value": 0.9,
            "adjusted_p": 1.0,
        },
    ],
    "emerging": ["dealing_with_conflict"],
    "regions": [
        {"region": "Y56", "emerging": ["dealing_with_conflict"], "suppressed": False, "reason": None},
        {"region": "Y58", "emerging": [], "suppressed": True, "reason": "small_numbers"},
    ],
}


def test_the_needs_page_ranks_the_quarter_s_needs_and_charts_their_trends():
    page = pages.needs_page(NEEDS, Q)
    assert text_of(page)[0] == "2. Which development needs are emerging as the most important?"
    assert table_rows(page)[1:] == [
        ["1", "dealing with conflict", "4.20", "71 %"],
        ["2", "strategy", "3.90", "60 %"],
        ["3", "teamwork", "3.10", "30 %"],
    ]
    assert charts_in(page) == 1


def test_the_needs_page_says_which_needs_rise_beyond_chance_and_which_regions_are_withheld():
    text = joined(pages.needs_page(NEEDS, Q))
    assert "the needs rated most important were dealing with conflict, strategy and teamwork" in text
    assert (
        "The share rating dealing with conflict 4 or 5 rose from 30 % to 71 % over 2025-Q4 to 2026-Q3, beyond what "
        "chance would explain (trend test, adjusted p 0.010)." in text
    )
    assert "teamwork 4 or 5" not in text  # steady: not a finding
    assert "Emerging as most important: dealing with conflict." in text
    assert "London (Y56): dealing with conflict emerging." in text
    assert f"South West (Y58): withheld, {WITHHELD} people answered." in text


def test_a_withheld_ranking_reads_fewer_than_5_and_shows_no_need():
    page = pages.needs_page(NEEDS | {"ranking": [NEEDS["ranking"][0] | {"quarter": Q}]}, Q)
    assert table_rows(page)[1] == ["-", f"all needs ({WITHHELD} people answered)", "-", "-"]
    assert f"The ranking for {Q} is withheld: {WITHHELD} people answered the needs survey." in text_of(page)


def test_a_quarter_without_needs_answers_says_so():
    page = pages.needs_page(NEEDS | {"ranking": [], "trends": [], "emerging": [], "regions": []}, Q)
    assert NO_NEEDS in text_of(page) and charts_in(page) == 0


def test_a_version_without_the_part_keeps_its_page_and_says_so():
    for page in (pages.needs_page(None, Q), pages.differences_page(None), pages.conditions_page(None, Q)):
        assert NOT_AVAILABLE in text_of(page)


# --- 3. differences -----------------------------------------------------------------------


def chi_square(rows, sentence):
    return {
        "statistic": 21.4,
        "dof": 6,
        "p_value": 0.0016,
        "n": 120,
        "rows": rows,
        "columns": ["leadership", "strategy"],
        "cramers_v": 0.3,
        "cells_expected_below_5": 0,
        "high_from": 4,
        "significant": True,
        "effect_size": "medium",
        "sentence": sentence,
    }


BETWEEN_REGIONS = "Needs rated high differ between regions beyond what chance would explain (p = 0.002)."
DIFFERENCES = {
    "scope": "national",
    "region": None,
    "regions": chi_square(["Y56", "Y58"], BETWEEN_REGIONS),
    "pcns": None,
    "groups": [
        {
            "group": 1,
            "pcns": [{"pcn_code": f"U0000{i}", "region": "Y56"} for i in range(8)],
            "profile": {"strategy": 0.8, "leadership": 0.4},
            "distinctive_needs": ["strategy"],
            "offer_types": ["regional_programme", "action_learning_set"],
        },
        {
            "group": 2,
            "pcns": [{"pcn_code": "U10000", "region": "Y58"}],
            "profile": {"strategy": 0.2, "leadership": 0.5},
            "distinctive_needs": [],
            "offer_types": [],
        },
    ],
    "joint_needs": ["leadership"],
    "joint_offer_types": ["coaching"],
}


def test_the_differences_page_tables_the_groups_with_the_offers_that_meet_them():
    page = pages.differences_page(DIFFERENCES)
    assert text_of(page)[0] == "3. Do needs differ between PCNs and regions, and what would meet them?"
    rows = table_rows(page)
    assert rows[1] == [
        "1",
        "U00000, U00001, U00002, U00003, U00004, U00005 and 2 more",
        "strategy",
        "regional programme and action learning set",
    ]
    assert rows[2] == ["2", "U10000", "none", "-"]
    assert charts_in(page) == 1


def test_the_differences_page_gives_the_tests_and_the_joint_needs_in_words():
    text = joined(pages.differences_page(DIFFERENCES))
    assert BETWEEN_REGIONS in text
    assert "Needs every PCN shares (rated 4 or 5 by at least half of each): leadership; met by 1:1 coaching." in text
    assert "Group 1 (8 PCNs) rates strategy higher than PCNs overall" in text
    assert f"PCNs with {WITHHELD} answers" in text


def test_no_needs_to_compare_says_so():
    page = pages.differences_page({"regions": None, "pcns": None, "groups": [], "joint_needs": []})
    assert NO_DIFFERENCES in text_of(page) and charts_in(page) == 0


# --- 4. conditions ------------------------------------------------------------------------


def group(group_id, suppressed=False, **figures):
    shown = {
        "size": 10,
        "joined": 0,
        "left": 0,
        "continuity": 0.85,
        "attendance_share": 0.85,
        "recent_share": 0.9,
        "earlier_share": 0.8,
        "at_risk": False,
        "risks": [],
    }
    withheld = dict.fromkeys(shown) | {"at_risk": False, "risks": []}
    return {
        "group_id": group_id,
        "region": "Y56",
        "offer_type": "action_learning_set",
        "suppressed": suppressed,
        "reason": "small_numbers" if suppressed else None,
    } | (withheld if suppressed else shown | figures)


CONDITIONS = {
    "scope": "national",
    "region": None,
    "groups": [
        group("a1b2c3d4-held-together"),
        group(
            "e5f6a7b8-falling",
            continuity=0.5,
            left=5,
            at_risk=True,
            risks=[{"code": "falling_attendance", "reason": FALLING_REASON}],
        ),
        group("0badcafe-small", suppressed=True),
    ],
    "at_risk": ["e5f6a7b8-falling"],
    "associations": [
        {
            "measure": "trust",
            "groups": 12,
            "rho": 0.62,
            "p_value": 0.031,
            "low": 0.08,
            "high": 0.88,
            "confidence": 0.95,
            "reason": None,
        },
        {
            "measure": "direction",
            "groups": 3,
            "rho": None,
            "p_value": None,
            "low": None,
            "high": None,
            "confidence": 0.95,
            "reason": "too_few_groups",
        },
    ],
    "summary": {"groups": 3, "shown": 2, "withheld": 1, "at_risk": 1},
}


def test_the_conditions_page_tables_each_group_and_withholds_the_small_one():
    page = pages.conditions_page(CONDITIONS, Q)
    assert text_of(page)[0] == "4. Are we creating the conditions for a productive learning community?"
    rows = table_rows(page)
    assert rows[1] == ["action learning set a1b2c3d4, London (Y56)", "10", "85 %", "0", "0", "no"]
    assert rows[2] == ["action learning set e5f6a7b8, London (Y56)", "10", "50 %", "0", "5", "yes"]
    assert rows[3] == ["action learning set 0badcafe, London (Y56)", WITHHELD, "-", "-", "-", "-"]
    assert charts_in(page) == 1


def test_the_conditions_page_flags_groups_at_risk_and_reads_the_associations():
    text = joined(pages.conditions_page(CONDITIONS, Q))
    assert f"Of 3 groups, 2 are shown and 1 withheld because they have {WITHHELD} members; groups at risk: 1." in text
    assert (
        "At risk: action learning set e5f6a7b8, London (Y56). Attendance at the last 3 sessions (50%) is 15% or more "
        "below the earlier sessions (80%)." in text
    )
    assert (
        "Continuity and trust across 12 groups: Spearman's rho 0.62, 95 % interval 0.08 to 0.88, p 0.031; groups "
        "that attend more consistently report more trust." in text
    )
    assert "Continuity and direction: not measured (too few groups)." in text


def test_a_quarter_without_groups_says_so():
    page = pages.conditions_page({"groups": [], "at_risk": [], "associations": [], "summary": {"groups": 0}}, Q)
    assert NO_GROUPS in text_of(page) and charts_in(page) == 0


# --- the cover ----------------------------------------------------------------------------


def test_the_cover_gives_the_period_the_scope_and_how_to_read_the_figures():
    text = joined(pages.cover(Q, "Y56", datetime(2026, 10, 2, 9, 30)))
    assert "Quarter 2026-Q3: 1 July to 30 September 2026" in text
    assert "Region: London (Y56)" in text
    assert "Generated from live data on 02 October 2026 at 09:30 UTC." in text
    assert f'"{WITHHELD}" means the figure is withheld' in text
    assert "A 95 % interval is the range" in text
    assert "A test result says whether a difference is bigger than chance" in text
    for question in pages.QUESTIONS:
        assert question.split(" ", 1)[1] in text


def test_the_national_cover_says_every_region():
    assert "Scope: England, every region" in text_of(pages.cover(Q, None, datetime(2026, 10, 2)))
