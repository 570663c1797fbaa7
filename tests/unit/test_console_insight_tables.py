"""The insight dashboards' tables, defined once and rendered to the page, CSV and Excel alike:
withheld cells as "fewer than 5" on every face, numbers kept numbers, no formula let into a
spreadsheet, and each question's figures read from feedback's answers. Pure, no I/O."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from services.console.insight_tables import (
    WITHHELD,
    Table,
    association_in_words,
    conditions_tables,
    csv_text,
    difference_in_words,
    differences_tables,
    learned_tables,
    needs_tables,
    p_words,
    shown,
    workbook,
)
from services.console.wording import NEEDS
from shared.contracts.vocabulary import Need

MEASURES = {
    "overall": {"count": 15, "mean": 4.67, "positive_share": None, "low": 4.38, "high": 4.95},
    "recommend": {"count": 15, "mean": None, "positive_share": 0.8667, "low": 0.62, "high": 0.96},
}


def _quarter(quarter, measures=None, respondents=15):
    if measures is None:
        return {"quarter": quarter, "suppressed": True, "reason": "fewer_than_5", "respondents": None, "measures": {}}
    return {"quarter": quarter, "suppressed": False, "reason": None, "respondents": respondents, "measures": measures}


LEARNED = {
    "region": None,
    "offer_type": None,
    "quarters": ["2026-Q3", "2026-Q4"],
    "national": {
        "region": None,
        "offer_type": None,
        "quarters": [_quarter("2026-Q3", MEASURES, 45), _quarter("2026-Q4")],
    },
    "regions": [
        {"region": "Y56", "offer_type": None, "quarters": [_quarter("2026-Q3", MEASURES), _quarter("2026-Q4")]}
    ],
    "went_well": [
        {
            "region": "Y56",
            "offer_type": None,
            "measure": "overall",
            "sentence": "Region Y56: the overall rating was 4.67 against 2.50; this went well.",
        }
    ],
    "remains": [],
    "compared": 12,
}


def test_the_feedback_table_shows_each_area_by_quarter_with_withheld_quarters_in_words():
    quarters, went_well, remains = learned_tables(LEARNED)
    assert quarters.headers[:4] == ("Quarter", "Area", "Respondents", "Mean overall rating (1 to 5)")
    assert quarters.rows[0] == ("2026-Q3", "England", 45, 4.67, 4.38, 4.95, 86.7)
    assert quarters.rows[1] == ("2026-Q4", "England", *[WITHHELD] * 5)
    assert quarters.rows[2][:2] == ("2026-Q3", "London")
    assert [shown(c) for c in quarters.rows[3]] == ["2026-Q4", "London", *["fewer than 5"] * 5]
    assert went_well.rows == (("London", "All offer types", "Overall rating", LEARNED["went_well"][0]["sentence"]),)
    assert remains.rows == ()


def test_outcome_changes_are_a_table_when_feedback_gives_them():
    outcomes = {
        "national": [{"quarter": "2026-Q3", "suppressed": False, "reason": None, "respondents": 10,
                      "measures": {"confidence": {"change": 0.8, "low": 0.3, "high": 1.3}}}],
        "regions": [{"region": "Y58", "quarters": [_quarter("2026-Q3")]}],
    }  # fmt: skip
    *_, table = learned_tables(LEARNED | {"outcomes": outcomes})
    assert table.key == "outcome-changes"
    assert table.rows == (
        ("2026-Q3", "England", "Confidence as a leader", 10, 0.8, 0.3, 1.3),
        ("2026-Q3", "South West", "All measures", *[WITHHELD] * 4),
    )


def test_csv_keeps_the_rows_writes_withheld_in_words_and_defuses_formulas():
    table = Table("t", "Caption", ("Name", "Count"), (("=cmd|' /C calc'!A0", 5), ("+1", WITHHELD), ("-2", None)))
    rows = list(csv.reader(io.StringIO(csv_text(table))))
    assert rows == [["Name", "Count"], ["'=cmd|' /C calc'!A0", "5"], ["'+1", "fewer than 5"], ["'-2", ""]]
    assert csv_text(Table("t", "c", ("@x",), (("a@b",),))).splitlines() == ["'@x", "a@b"]


def test_the_workbook_has_a_sheet_per_table_a_bold_header_and_numbers_as_numbers():
    tables = learned_tables(LEARNED)
    book = load_workbook(io.BytesIO(workbook(tables, "Convene insight")))
    assert book.sheetnames == ["feedback-by-quarter", "went-well", "remains"]
    sheet = book["feedback-by-quarter"]
    assert sheet["A1"].value == tables[0].caption
    assert [c.value for c in sheet[2]] == list(tables[0].headers) and all(c.font.bold for c in sheet[2])
    assert [c.value for c in sheet[3]] == ["2026-Q3", "England", 45, 4.67, 4.38, 4.95, 86.7]
    assert isinstance(sheet["C3"].value, int) and isinstance(sheet["D3"].value, float)
    assert [c.value for c in sheet[4]][2:] == ["fewer than 5"] * 5
    assert sheet.max_row == 2 + len(tables[0].rows)


def test_a_formula_never_reaches_a_sheet():
    table = Table("t", "=caption", ("=h",), (("=SUM(A1:A2)",),))
    sheet = load_workbook(io.BytesIO(workbook([table], "x")))["t"]
    assert [sheet["A1"].value, sheet["A2"].value, sheet["A3"].value] == ["'=caption", "'=h", "'=SUM(A1:A2)"]
    assert sheet["A3"].data_type == "s"


@pytest.mark.parametrize(
    ("p", "words"),
    [(0.0, "p < 0.01"), (0.0004, "p < 0.001"), (0.004, "p < 0.01"), (0.031, "p = 0.03"), (0.5, "p = 0.50")],
)
def test_p_values_in_words(p, words):
    assert p_words(p) == words


def test_a_difference_is_said_with_its_size_cramers_v_and_p():
    test = {"significant": True, "effect_size": "small", "cramers_v": 0.1234, "p_value": 0.004, "rows": ["Y56", "Y60"]}
    assert (
        difference_in_words(test, "regions")
        == "Needs differ between regions: a small difference (Cramér's V 0.12, p < 0.01)."
    )
    none = test | {"significant": False, "effect_size": "negligible", "p_value": 0.4, "cells_expected_below_5": 2}
    assert difference_in_words(none, "PCNs").startswith("No clear difference in needs between PCNs: no real difference")
    assert difference_in_words(none, "PCNs").endswith("read the p-value with care.")


def test_the_differences_tables_name_groups_needs_and_offer_types_in_words():
    test = {"rows": ["Y56", "Y60"], "n": 30, "cramers_v": 0.72, "p_value": 0.0001, "significant": True,
            "effect_size": "large"}  # fmt: skip
    body = {
        "regions": test,
        "pcns": None,
        "groups": [
            {
                "group": 1,
                "pcns": [{"pcn_code": "U10001", "region": "Y56"}, {"pcn_code": "U10002", "region": "Y56"}],
                "profile": {"leadership": 1.0, "teamwork": 0.0},
                "distinctive_needs": ["leadership"],
                "offer_types": ["coaching", "action_learning_set"],
            }
        ],
        "joint_needs": ["innovation"],
        "joint_offer_types": [],
    }
    tests, groups, profile, joint = differences_tables(body)
    assert tests.rows == (("Between regions", 2, 30, 0.72, "p < 0.001", difference_in_words(test, "regions")),)
    assert groups.rows == (("Group 1", "U10001, U10002", "Leadership", "Coaching, Action learning set"),)
    assert profile.rows == (("Group 1", "Leadership", 100.0), ("Group 1", "Teamwork", 0.0))
    assert joint.rows == (("Innovation",),)


def test_a_withheld_quarter_of_needs_shows_no_ranking_and_trends_keep_withheld_quarters():
    body = {
        "quarters": ["2026-Q2", "2026-Q3"],
        "ranking": [
            {"quarter": "2026-Q2", "suppressed": True, "reason": "fewer_than_5", "respondents": None, "needs": []},
            {"quarter": "2026-Q3", "suppressed": False, "reason": None, "respondents": 20,
             "needs": [{"need": "teamwork", "rank": 1, "mean": 4.1, "high_share": 0.75}]},
        ],
        "trends": [{"need": "teamwork", "direction": "rising", "high_shares": [None, 0.75], "z": 2.1,
                    "p_value": 0.03, "adjusted_p": 0.2}],
        "emerging": [],
        "regions": [{"region": "Y56", "emerging": [], "suppressed": True, "reason": "fewer_than_5"}],
    }  # fmt: skip
    trends, ranking, regions = needs_tables(body)
    assert ranking.rows == (
        ("2026-Q2", WITHHELD, "All needs", WITHHELD, WITHHELD, WITHHELD),
        ("2026-Q3", 20, "Teamwork", 1, 4.1, 75.0),
    )
    assert trends.headers == ("Need", "Trend", "2026-Q2 (%)", "2026-Q3 (%)", "Adjusted p-value")
    assert trends.rows == (("Teamwork", "Rising", WITHHELD, 75.0, "p = 0.20"),)
    assert regions.rows == (("London", WITHHELD),)


def test_a_withheld_group_shows_none_of_its_figures_and_groups_are_named_by_their_offer():
    group = {"group_id": "o-1", "region": "Y56", "offer_type": "action_learning_set", "suppressed": False,
             "reason": None, "size": 8, "joined": 8, "left": 1, "continuity": 0.875, "attendance_share": 0.8,
             "at_risk": True, "risks": [{"code": "leaving", "reason": "One in eight left"}]}  # fmt: skip
    small = {"group_id": "o-2", "region": "Y56", "offer_type": "coaching", "suppressed": True,
             "reason": "fewer_than_5", "size": None}  # fmt: skip
    body = {"scope": "region", "groups": [group, small], "at_risk": [group], "associations": [
        {"measure": "trust_in_group", "groups": 6, "rho": 0.6, "p_value": 0.2, "low": -0.3, "high": 0.9,
         "confidence": 0.95, "reason": None}]}  # fmt: skip
    groups, at_risk, associations = conditions_tables(body, {"o-1": "Set for new directors"})
    assert groups.rows == (
        ("Set for new directors", "London", "Action learning set", 8, 8, 1, 87.5, 80.0, "Yes"),
        ("o-2", "London", "Coaching", *[WITHHELD] * 6),
    )
    assert at_risk.rows == (("Set for new directors", "London", "One in eight left"),)
    # Beyond the region, no pooled share reaches the reader: the column goes.
    national, _, _ = conditions_tables(body | {"scope": "national"}, {"o-1": "Set for new directors"})
    assert "Attendance (%)" not in national.headers
    assert national.rows[0] == ("Set for new directors", "London", "Action learning set", 8, 8, 1, 87.5, "Yes")
    assert associations.rows == (
        ("Trust in the group", 6, 0.6, -0.3, 0.9, "p = 0.20", "No clear link between continuity and trust in the group "
         "(rho 0.60, p = 0.20)."),
    )  # fmt: skip


def test_an_association_is_said_in_words_or_why_there_is_none():
    clear = {"measure": "sense_of_direction", "groups": 12, "rho": 0.71, "p_value": 0.0}
    assert association_in_words(clear) == (
        "Groups that hold together better report more sense of direction (rho 0.71, p < 0.01)."
    )
    assert association_in_words(clear | {"rho": -0.7}).startswith("Groups that hold together better report less")
    none = {"measure": "trust_in_group", "groups": 2, "rho": None, "p_value": None, "reason": "too_few_groups"}
    assert association_in_words(none) == "Too few groups with answers to tell."


def test_numbers_are_shown_without_trailing_zeros_and_nothing_known_is_said():
    assert [shown(4.5), shown(4.0), shown(4.666), shown(12), shown(None), shown(WITHHELD)] == [
        "4.5",
        "4",
        "4.67",
        "12",
        "not known",
        "fewer than 5",
    ]


def test_every_need_has_words():
    assert set(NEEDS) == set(Need.values())
