"""Unit tests of suppression over every margin of a published table, and of cell figures. No I/O."""

import itertools
import random
from datetime import UTC, datetime

import pytest

from services.feedback.domain.aggregates import ALL, published_cells
from services.feedback.domain.disclosure import is_streamed, scope_key, table_axes
from services.feedback.domain.figures import Figures, changes_view, feedback_view, ranking_view
from services.feedback.domain.sessions import SessionInfo
from services.feedback.usecases.publication import summary_data
from shared.disclosure import (
    BELOW_THRESHOLD,
    BUILT_FROM_SUPPRESSED,
    COMPLEMENTARY,
    SMALL_NUMBERS,
    margin_relations,
    shown_count,
    shown_ratio,
    shown_share,
    with_margins,
    withhold,
)

T = 5
AXES = [(ALL, ("A", "B", "C")), (ALL, ("x", "y")), ("all", ("2025-03", "2025-04"))]


def settle(inner: dict, axes=AXES, threshold=T):
    cells = with_margins(inner, axes)
    return cells, withhold(cells, margin_relations(axes), threshold)


def solvable_by_one_subtraction(cells: dict, withheld: dict, axes=AXES) -> list:
    """Relations with exactly one withheld non-empty member (that member would be revealed),
    or a shown total whose withheld parts add up to a group of 1 to 4 (their sum would be)."""
    solvable = []
    for total, parts in margin_relations(axes):
        unknown = [c for c in (total, *parts) if c in withheld and cells.get(c, 0) > 0]
        hidden_sum = sum(cells.get(c, 0) for c in unknown if c != total)
        if len(unknown) == 1 or (total not in withheld and 0 < hidden_sum < T):
            solvable.append((total, parts))
    return solvable


def test_margins_of_a_table_are_every_sum_along_each_axis():
    relations = margin_relations([(ALL, ("A", "B")), (ALL, ("x", "y"))])
    assert ((ALL, "x"), [("A", "x"), ("B", "x")]) in relations
    assert (("A", ALL), [("A", "x"), ("A", "y")]) in relations
    assert ((ALL, ALL), [("A", ALL), ("B", ALL)]) in relations
    assert len(relations) == 3 + 3


def test_margin_counts_are_sums_of_the_inner_cells():
    cells = with_margins({("A", "x", "2025-03"): 3, ("B", "x", "2025-04"): 4}, AXES)
    assert cells[(ALL, ALL, "all")] == 7
    assert cells[("A", ALL, "all")] == 3 and cells[(ALL, "x", "2025-04")] == 4


def test_national_minus_the_other_regions_does_not_reveal_a_small_region():
    cells, withheld = settle({("A", "x", "2025-03"): 4, ("B", "x", "2025-03"): 7, ("C", "x", "2025-03"): 12})
    assert withheld[("A", ALL, "all")] == BELOW_THRESHOLD
    assert withheld[("B", ALL, "all")] == COMPLEMENTARY
    assert (ALL, ALL, "all") not in withheld and ("C", ALL, "all") not in withheld
    shown_regions = sum(cells[(r, ALL, "all")] for r in "ABC" if (r, ALL, "all") not in withheld)
    assert cells[(ALL, ALL, "all")] - shown_regions == 4 + 7  # only the sum of two withheld regions


def test_all_time_minus_the_shown_months_does_not_reveal_a_small_month():
    cells, withheld = settle({("A", "x", "2025-03"): 3, ("A", "x", "2025-04"): 10, ("B", "x", "2025-04"): 20})
    assert withheld[("A", ALL, "2025-03")] == BELOW_THRESHOLD
    a_all_shown = ("A", ALL, "all") not in withheld
    a_april_shown = ("A", ALL, "2025-04") not in withheld
    assert not (a_all_shown and a_april_shown)


def test_an_offer_type_of_one_region_is_protected_against_the_region_total_and_the_national_type():
    cells, withheld = settle(
        {("A", "x", "2025-03"): 2, ("A", "y", "2025-03"): 30, ("B", "x", "2025-03"): 30, ("B", "y", "2025-03"): 30}
    )
    assert ("A", "x", "all") in withheld
    assert not solvable_by_one_subtraction(cells, withheld)


@pytest.mark.parametrize("seed", range(40))
def test_no_margin_of_a_random_table_can_be_solved_for_a_withheld_cell(seed):
    rng = random.Random(seed)
    inner = {
        cell: rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 15, 40])
        for cell in itertools.product("ABC", "xy", ("2025-03", "2025-04"))
    }
    cells, withheld = settle({c: n for c, n in inner.items() if n})
    assert not solvable_by_one_subtraction(cells, withheld)
    assert all(c in withheld for c, n in cells.items() if n < T)


def test_two_small_cells_under_a_shown_total_do_not_give_their_sum_away():
    # A region of 15 whose offer types are 13, 1 and 1: withholding the two small ones alone
    # would leave 15 - 13 = 2 people's answers to be read off.
    withheld = withhold({"R": 15, "a": 13, "b": 1, "c": 1}, [("R", ["a", "b", "c"])], T)
    assert withheld["b"] == withheld["c"] == BELOW_THRESHOLD
    assert withheld["a"] == COMPLEMENTARY
    hidden = sum(n for c, n in {"a": 13, "b": 1, "c": 1}.items() if c in withheld)
    assert "R" in withheld or hidden >= T


def test_a_search_for_solvable_relations_finds_the_old_single_cover_pattern():
    # The checker itself must be able to fail: the pattern the old rule settled for is caught.
    cells = {("A", ALL, "all"): 15, ("A", "x", "all"): 13, ("A", "y", "all"): 2}
    axes = [(ALL, ("A",)), (ALL, ("x", "y")), ("all", ())]
    leaky = {("A", "y", "all"): BELOW_THRESHOLD}
    assert solvable_by_one_subtraction(cells, leaky, axes)


def test_a_total_built_only_from_small_parts_is_withheld():
    withheld = withhold({"A": 3, "B": 4, "N": 7}, [("N", ["A", "B"])], T)
    assert withheld["N"] == BUILT_FROM_SUPPRESSED


def test_a_parent_withheld_elsewhere_makes_its_only_shown_child_withheld_too():
    counts = {"s1": 9, "s2": 0, "offer": 9}
    assert withhold(counts, [("offer", ["s1", "s2"])], T) == {"s2": BELOW_THRESHOLD}
    forced = withhold(counts, [("offer", ["s1", "s2"])], T, forced={"offer": COMPLEMENTARY})
    assert forced["s1"] == COMPLEMENTARY


def test_an_answer_touches_the_national_region_and_offer_type_cells_of_all_time_and_its_month():
    session = SessionInfo("s", "o", "coaching", "Y56", datetime(2025, 3, 31, 23, 30, tzinfo=UTC))
    touched = published_cells(session)
    assert (ALL, ALL, "all") in touched and ("Y56", "coaching", "2025-03") in touched
    assert sum(is_streamed(c) for c in touched) == 6
    assert scope_key((ALL, ALL, "2025-03")) == "national:2025-03"
    assert scope_key(("Y56", ALL, "all")) == "region:Y56:all"
    assert scope_key((ALL, "coaching", "all")) == "offer_type:coaching:all"


def test_table_axes_list_every_region_offer_type_and_month_seen():
    regions, types, months = table_axes({"2025-04", "2025-03"})
    assert "national" in regions[1] and len(types[1]) == 4 and months == ("all", ("2025-03", "2025-04"))


ANSWER = {"overall": 4, "usefulness": 5, "will_apply": 3, "recommend": "good"}


def test_a_cells_respondents_are_its_answers_and_merging_adds_them():
    one = Figures.answer("feedback", ANSWER)
    two = one.merge(Figures.answer("feedback", {**ANSWER, "overall": 2}))
    assert one.count == 1 and two.count == 2 and two.stats["overall"].mean == 3
    assert Figures.empty("feedback").count == 0


def test_a_withheld_cell_shows_neither_figures_nor_attendees_nor_which_cell_is_the_small_one():
    for reason in (BELOW_THRESHOLD, COMPLEMENTARY, BUILT_FROM_SUPPRESSED):
        view = feedback_view(Figures.answer("feedback", ANSWER), reason, attendees=8)
        assert view == {
            "suppressed": True,
            "reason": SMALL_NUMBERS,
            "respondents": None,
            "attendees": None,
            "response_rate": None,
            "measures": {},
        }


def test_counts_of_people_are_published_as_multiples_of_five():
    assert [shown_count(n) for n in range(13)] == [0, 0, 0, 5, 5, 5, 5, 5, 10, 10, 10, 10, 10]
    assert shown_ratio(2 / 3) == 0.67 and shown_ratio(None) is None
    assert shown_share(6, 23) == round(5 / 25, 2) and shown_share(1, 2) is None


def many(answers: list[dict]) -> Figures:
    figures = Figures.empty("feedback")
    for answer in answers:
        figures = figures.merge(Figures.answer("feedback", answer))
    return figures


def test_a_shown_cell_rounds_every_count_and_bucket_and_takes_shares_from_the_rounded_counts():
    figures = many(
        [ANSWER] * 5
        + [{**ANSWER, "overall": 1, "recommend": "very_poor"}] * 2
        + [{**ANSWER, "overall": 2, "recommend": "poor"}] * 3
    )
    view = feedback_view(figures, None, attendees=13)
    assert view["respondents"] == 10 and view["attendees"] == 15 and view["response_rate"] == round(10 / 15, 2)
    overall = view["measures"]["overall"]
    assert overall["distribution"] == {"1": 0, "2": 5, "3": 0, "4": 5, "5": 0} and overall["variance"] is None
    assert overall["mean"] == round((4 * 5 + 1 * 2 + 2 * 3) / 10, 2)
    recommend = view["measures"]["recommend"]
    assert recommend["positive_share"] == 0.5 and recommend["negative_share"] == 0.5  # 5 of 10, 5 (2 + 3) of 10
    every_count = [
        view["respondents"],
        view["attendees"],
        *(n for m in view["measures"].values() for n in (m["count"], *m["distribution"].values())),
    ]
    assert all(n % 5 == 0 for n in every_count)


def test_a_streamed_summary_carries_scores_only_and_nothing_when_withheld():
    shown = summary_data((ALL, ALL, "all"), Figures.answer("feedback", ANSWER), None)
    assert shown["scope_key"] == "national:all" and shown["respondents"] == 0
    assert set(shown["measures"]) == {"overall", "usefulness", "will_apply", "recommend"}
    withheld = summary_data(("Y56", ALL, "all"), Figures.answer("feedback", ANSWER), COMPLEMENTARY)
    assert withheld["suppressed"] and withheld["respondents"] is None and withheld["measures"] == {}


def test_needs_figures_rank_and_outcome_figures_give_within_person_change():
    needs = Figures.answer(
        "needs",
        {
            "leadership": 5,
            "collaboration": 2,
            "dealing_with_conflict": 3,
            "innovation": 1,
            "teamwork": 4,
            "strategy": 1,
            "engagement": 1,
        },
    )
    ranked = ranking_view(needs)
    assert [r["need"] for r in ranked][:2] == ["leadership", "teamwork"] and {r["count"] for r in ranked} == {0}
    pair = {
        "confidence.before": 2,
        "confidence.after": 5,
        "isolation.before": 6,
        "isolation.after": 3,
        "trust_in_group.before": 4,
        "trust_in_group.after": 4,
        "sense_of_direction.before": 1,
        "sense_of_direction.after": 2,
    }
    by_measure = {c["measure"]: c for c in changes_view(Figures.answer("outcomes", pair))}
    assert by_measure["confidence"]["change"] == 3 and by_measure["isolation"]["improvement"] == 3
    assert by_measure["confidence"]["pairs"] == 0  # one pair: published as 0, a multiple of five
