"""Unit tests of coaching's outcome figures split by goal types (services/feedback/domain/goals.py,
domain/disclosure.py `goal_cells_withheld`, domain/aggregates.py): each pair counts once, in the
cell of its combination of goal types, and the split is settled against the outcome table's
coaching cells without changing them. No I/O."""

import itertools

import pytest

from services.feedback.domain.aggregates import ALL, REGIONS, AggregateKey, outcome_counted
from services.feedback.domain.disclosure import goal_cells_withheld
from services.feedback.domain.goals import COMBINATIONS, GOAL_PARTS, NOT_SET, goal_combination, goal_types_of
from shared.disclosure import THRESHOLD

SCORES = {"confidence": 3, "isolation": 5, "trust_in_group": 4, "sense_of_direction": 2}
LEAD, COACH, FACIL = "leadership_goal", "coaching_skills", "facilitation_skills"


def test_a_coachee_with_several_goal_types_counts_in_the_one_cell_of_their_combination():
    assert (
        goal_combination([LEAD, COACH]) == goal_combination([COACH, LEAD, COACH]) == "coaching_skills+leadership_goal"
    )
    assert goal_combination(None) == goal_combination([]) == NOT_SET
    assert goal_types_of("coaching_skills+leadership_goal") == [COACH, LEAD] and goal_types_of(NOT_SET) == []
    with pytest.raises(ValueError):
        goal_combination(["my own words"])


def test_the_cells_are_every_combination_of_goal_types_and_not_set_and_no_two_overlap():
    assert len(COMBINATIONS) == 7 and GOAL_PARTS[-1] == NOT_SET
    every_choice = [set(c) for n in (1, 2, 3) for c in itertools.combinations((LEAD, COACH, FACIL), n)]
    assert sorted(goal_combination(c) for c in every_choice) == sorted(COMBINATIONS)  # one cell each, no other


def test_a_coaching_pair_is_filed_under_its_offer_type_and_its_goals_and_another_offers_pair_only_under_its_type():
    coaching = outcome_counted("Y56", "coaching", SCORES, SCORES, "leadership_goal")
    assert {key for _, key in coaching.figures} == {
        AggregateKey("offer_type", "Y56", "coaching", "all"),
        AggregateKey("goals", "Y56", "leadership_goal", "all"),
    }
    unknown = outcome_counted("Y56", "coaching", SCORES, SCORES)
    assert AggregateKey("goals", "Y56", NOT_SET, "all") in {key for _, key in unknown.figures}
    learning_set = outcome_counted("Y56", "action_learning_set", SCORES, SCORES, "leadership_goal")
    assert {key.scope for _, key in learning_set.figures} == {"offer_type"}


def settle(by_region: dict[str, dict[str, int]], coaching_withheld: dict[str, str | None] | None = None) -> dict:
    """The split's pattern for {region: {combination: pairs}}; the coaching cells are their sums."""
    counts = {(r, c): n for r, parts in by_region.items() for c, n in parts.items()}
    for c in GOAL_PARTS:
        counts[(ALL, c)] = sum(parts.get(c, 0) for parts in by_region.values())
    coaching = {r: sum(parts.values()) for r, parts in by_region.items()} | {
        ALL: sum(sum(p.values()) for p in by_region.values())
    }
    shown = {r: None if n >= THRESHOLD else "below_threshold" for r, n in coaching.items()}
    return goal_cells_withheld(counts, coaching, shown | (coaching_withheld or {}))


def test_a_small_goal_cell_is_withheld_and_so_is_a_cover_so_the_regions_coaching_total_does_not_give_it_away():
    withheld = settle({"Y56": {LEAD: 10, COACH: 2}, "Y58": {LEAD: 6, COACH: 6}})
    assert ("Y56", COACH) in withheld and ("Y56", LEAD) in withheld  # 12 - 10 would give the 2
    assert ("Y58", COACH) in withheld or ("Y58", LEAD) in withheld or (ALL, COACH) in withheld  # nor national - Y58


def test_a_region_whose_pairs_all_share_one_combination_shows_it_like_its_coaching_total():
    withheld = settle({"Y56": {LEAD: 8}, "Y58": {LEAD: 7}})
    assert ("Y56", LEAD) not in withheld and ("Y58", LEAD) not in withheld and (ALL, LEAD) not in withheld


def test_small_parts_under_a_shown_coaching_total_are_all_withheld_and_the_total_is_left_to_the_outcome_table():
    withheld = settle({"Y56": {LEAD: 3, COACH: 4}})
    assert {("Y56", LEAD), ("Y56", COACH), (ALL, LEAD), (ALL, COACH)} <= set(withheld)


def test_when_only_withholding_a_shown_coaching_total_would_cover_a_goal_cell_the_whole_split_is_withheld():
    # Y56's 8 pairs all have one combination; Y58's 2 of it are small, so national minus Y56 would
    # give them: the cover the policy finds is Y56's cell, which its shown coaching total repeats.
    withheld = settle({"Y56": {LEAD: 8}, "Y58": {LEAD: 2, COACH: 9}})
    assert set(withheld) == {(r, c) for r in (ALL, *REGIONS) for c in GOAL_PARTS}


def test_no_subtraction_of_shown_cells_from_a_shown_total_gives_a_group_of_one_to_four():
    by_region = {
        "Y56": {LEAD: 9, COACH: 7, "coaching_skills+leadership_goal": 3, NOT_SET: 6},
        "Y58": {LEAD: 12, COACH: 1, FACIL: 5},
    }
    withheld = settle(by_region)
    for region, parts in by_region.items():
        total = sum(parts.values())
        hidden = [n for c, n in parts.items() if (region, c) in withheld]
        assert not hidden or sum(hidden) >= THRESHOLD, (region, hidden)  # total minus the shown parts
        assert total >= THRESHOLD
