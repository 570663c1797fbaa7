"""Unit tests for the feedback domain: rules, anonymity, aggregates, statistics (suppression:
test_feedback_disclosure.py)."""

import math
import statistics as stdlib_statistics
from datetime import UTC, date, datetime, timedelta

import pytest
import scipy.stats

from services.feedback.domain.aggregates import AggregateKey, Counted, feedback_counted, session_keys
from services.feedback.domain.feedback import FEEDBACK_MEASURES, accept_feedback, response_marker
from services.feedback.domain.figures import Figures
from services.feedback.domain.needs import (
    NEEDS,
    needs_contingency,
    needs_differ_between_regions,
    needs_stats,
    rank_needs,
    validate_needs_survey,
)
from services.feedback.domain.outcomes import OutcomeResponse, accept_outcome, outcome_changes
from services.feedback.domain.running_stats import RunningStats
from services.feedback.domain.scales import FFT, LIKERT_5, OUTCOME_7
from services.feedback.domain.sessions import SessionInfo
from services.feedback.domain.statistics import chi_square_independence
from shared.errors import Conflict, RuleViolation

PEPPER = b"p" * 32
ENDS = datetime(2025, 3, 12, 16, 0, tzinfo=UTC)
SESSION = SessionInfo("s-1", "o-1", "action_learning_set", "Y56", ENDS)
GOOD = {"overall": 5, "usefulness": 4, "will_apply": 3, "recommend": "very_good"}


def give(answers=None, *, who="p-1", present=("p-1", "p-2"), responded=(), now=None, **kw):
    return accept_feedback(
        kw.pop("session", SESSION),
        who,
        GOOD if answers is None else answers,
        present=set(present),
        responded=set(responded),
        pepper=PEPPER,
        now=now or ENDS + timedelta(hours=1),
        **kw,
    )


def stats(n, scale=LIKERT_5, value=4):
    return RunningStats.of(scale, [value] * n)


# --- session feedback rules --------------------------------------------------------------


def test_an_attendee_can_give_named_feedback_after_the_session():
    accepted = give()
    assert accepted.record.participant_id == "p-1"
    assert accepted.record.overall == 5 and accepted.record.recommend == "very_good"
    assert accepted.record.given_on == date(2025, 3, 12)
    assert accepted.marker == response_marker(PEPPER, "s-1", "p-1")


def test_anonymous_feedback_stores_no_participant_id_and_no_date():
    accepted = give({**GOOD, "anonymous": True, "comment": "Good session"})
    assert accepted.record.participant_id is None
    assert accepted.record.given_on is None
    assert "p-1" not in repr(accepted.record)
    assert "p-1" not in accepted.marker


def test_someone_not_recorded_present_cannot_give_feedback():
    with pytest.raises(RuleViolation) as e:
        give(who="p-9")
    assert e.value.rule == "not_an_attendee"


def test_a_second_answer_from_the_same_person_is_a_conflict_even_when_anonymous():
    first = give({**GOOD, "anonymous": True})
    with pytest.raises(Conflict) as e:
        give({**GOOD, "anonymous": False}, responded={first.marker})
    assert e.value.rule == "feedback_already_given"
    assert e.value.status == 409


def test_another_attendee_is_not_blocked_by_someone_elses_marker():
    first = give()
    assert give(who="p-2", responded={first.marker}).record.participant_id == "p-2"


def test_feedback_before_the_session_ends_is_refused():
    with pytest.raises(RuleViolation) as e:
        give(now=ENDS - timedelta(minutes=1))
    assert e.value.rule == "session_not_held"


def test_feedback_on_a_cancelled_session_is_refused():
    cancelled = SessionInfo("s-1", "o-1", "coaching", "Y56", ENDS, cancelled=True)
    with pytest.raises(RuleViolation) as e:
        give(session=cancelled)
    assert e.value.rule == "session_not_held"


def test_feedback_is_accepted_up_to_exactly_fourteen_days_after_the_end():
    assert give(now=ENDS + timedelta(days=14)).record.overall == 5


def test_feedback_after_the_window_is_refused():
    with pytest.raises(RuleViolation) as e:
        give(now=ENDS + timedelta(days=14, seconds=1))
    assert e.value.rule == "feedback_window_closed"


def test_the_window_is_configurable():
    with pytest.raises(RuleViolation):
        give(now=ENDS + timedelta(days=8), window=timedelta(days=7))
    assert give(now=ENDS + timedelta(days=20), window=timedelta(days=21))


def test_a_session_recorded_after_it_happened_opens_its_feedback_window_when_recorded():
    recorded = ENDS + timedelta(days=20)
    late = SessionInfo("s-1", "o-1", "action_learning_set", "Y56", ENDS, recorded_at=recorded)
    assert late.feedback_opens_at == recorded
    assert give(session=late, now=recorded + timedelta(days=14)).record.overall == 5
    with pytest.raises(RuleViolation) as e:
        give(session=late, now=recorded + timedelta(days=14, seconds=1))
    assert (e.value.rule, e.value.extra["closed_at"]) == (
        "feedback_window_closed",
        (recorded + timedelta(days=14)).isoformat(),
    )


def test_a_session_recorded_before_it_ends_still_opens_its_feedback_at_its_end():
    planned = SessionInfo("s-1", "o-1", "action_learning_set", "Y56", ENDS, recorded_at=ENDS - timedelta(days=30))
    assert planned.feedback_opens_at == ENDS
    with pytest.raises(RuleViolation) as e:
        give(session=planned, now=ENDS - timedelta(minutes=1))
    assert e.value.rule == "session_not_held"
    with pytest.raises(RuleViolation):
        give(session=planned, now=ENDS + timedelta(days=14, seconds=1))


@pytest.mark.parametrize("field,value", [("overall", 0), ("usefulness", 6), ("will_apply", 2.5), ("overall", True)])
def test_a_rating_out_of_range_is_refused_naming_the_field(field, value):
    with pytest.raises(RuleViolation) as e:
        give({**GOOD, field: value})
    assert e.value.rule == "out_of_range"
    assert e.value.field == field


def test_every_bad_field_is_listed_not_just_the_first():
    with pytest.raises(RuleViolation) as e:
        give({"overall": 9, "usefulness": 4, "recommend": "great", "extra": 1})
    fields = {err["field"] for err in e.value.extra["errors"]}
    assert fields == {"overall", "will_apply", "recommend", "extra"}


def test_a_recommendation_outside_the_friends_and_family_scale_is_refused():
    with pytest.raises(RuleViolation) as e:
        give({**GOOD, "recommend": "excellent"})
    assert (e.value.rule, e.value.field) == ("unknown_choice", "recommend")


def test_a_comment_over_2000_characters_is_refused_without_quoting_it():
    with pytest.raises(RuleViolation) as e:
        give({**GOOD, "comment": "x" * 2001})
    assert (e.value.rule, e.value.field) == ("text_too_long", "comment")
    assert "xxx" not in e.value.detail


def test_a_comment_of_exactly_2000_characters_is_kept_and_a_blank_one_is_dropped():
    assert len(give({**GOOD, "comment": "y" * 2000}).record.comment) == 2000
    assert give({**GOOD, "comment": "   "}).record.comment is None


def test_field_errors_are_reported_before_session_rules():
    with pytest.raises(RuleViolation) as e:
        give({**GOOD, "overall": 0}, who="p-9")
    assert e.value.field == "overall"


# --- response marker ---------------------------------------------------------------------


def test_the_marker_is_stable_for_the_same_person_and_session():
    assert response_marker(PEPPER, "s", "p") == response_marker(PEPPER, "s", "p")


def test_the_marker_differs_by_session_person_and_pepper():
    base = response_marker(PEPPER, "s", "p")
    assert base != response_marker(PEPPER, "s2", "p")
    assert base != response_marker(PEPPER, "s", "p2")
    assert base != response_marker(b"q" * 32, "s", "p")


def test_the_marker_cannot_be_confused_by_moving_characters_between_ids():
    assert response_marker(PEPPER, "ab", "c") != response_marker(PEPPER, "a", "bc")


def test_a_short_pepper_is_refused():
    with pytest.raises(ValueError):
        response_marker(b"short", "s", "p")


# --- aggregate rows ----------------------------------------------------------------------


def test_an_answer_counts_towards_session_offer_type_and_region_rows_for_all_time_and_its_month():
    keys = session_keys(SESSION)
    assert AggregateKey("session", "Y56", "s-1", "all") in keys
    assert AggregateKey("offer", "Y56", "o-1", "all") in keys
    assert AggregateKey("offer_type", "Y56", "action_learning_set", "2025-03") in keys
    assert AggregateKey("region", "Y56", "Y56", "2025-03") in keys
    assert all(k.scope != "national" for k in keys)


def test_counting_answers_builds_running_rows_without_rescanning():
    answers = (GOOD, {**GOOD, "overall": 3, "recommend": "dont_know"})
    counted = Counted.total(
        feedback_counted(
            SESSION, Figures.answer("feedback", {m: getattr(give(a).record, m) for m in FEEDBACK_MEASURES})
        )
        for a in answers
    )
    overall = counted.figures[("feedback", AggregateKey("region", "Y56", "Y56", "all"))].stats["overall"]
    assert overall.count == 2 and overall.mean == 4.0
    recommend = counted.figures[("feedback", AggregateKey("session", "Y56", "s-1", "all"))].stats["recommend"]
    assert recommend.distribution["dont_know"] == 1 and recommend.mean is None


# --- running statistics ------------------------------------------------------------------


def test_running_stats_match_the_stdlib_mean_and_sample_variance():
    values = [1, 5, 3, 3, 4, 2, 5]
    s = RunningStats.of(LIKERT_5, values)
    assert s.count == 7 and s.total == sum(values) and s.sum_sq == sum(v * v for v in values)
    assert s.mean == pytest.approx(stdlib_statistics.mean(values))
    assert s.variance == pytest.approx(stdlib_statistics.variance(values))
    assert s.distribution == {1: 1, 2: 1, 3: 2, 4: 1, 5: 2}


def test_merging_gives_the_same_figure_as_adding_everything_in_one_place():
    a, b = [1, 2, 2, 5], [3, 4, 4]
    assert RunningStats.of(LIKERT_5, a).merge(RunningStats.of(LIKERT_5, b)) == RunningStats.of(LIKERT_5, a + b)


def test_adding_returns_a_new_value_and_leaves_the_old_one_alone():
    empty = RunningStats(LIKERT_5)
    one = empty.add(3)
    assert empty.count == 0 and one.count == 1


def test_an_empty_or_single_answer_figure_has_no_variance():
    assert RunningStats(LIKERT_5).mean is None
    assert stats(1).variance is None


def test_a_value_off_the_scale_is_refused_including_a_boolean():
    with pytest.raises(ValueError):
        RunningStats(LIKERT_5).add(6)
    with pytest.raises(ValueError):
        RunningStats(LIKERT_5).add(True)
    with pytest.raises(ValueError):
        RunningStats(OUTCOME_7).merge(RunningStats(LIKERT_5))


def test_running_stats_survive_a_round_trip_through_a_store_column():
    s = RunningStats.of(FFT, ["good", "poor", "good"])
    assert RunningStats.from_dict(s.to_dict()) == s


def test_friends_and_family_shares_count_dont_know_in_the_denominator():
    summary = RunningStats.of(FFT, ["very_good", "good", "poor", "dont_know"]).summary()
    assert summary.positive_share == 0.5 and summary.negative_share == 0.25
    assert summary.mean is None and summary.total is None


# --- development-needs survey ------------------------------------------------------------


def survey(**ratings):
    return validate_needs_survey({need: ratings.get(need, 3) for need in NEEDS})


def test_a_needs_survey_must_rate_every_common_need_and_names_the_missing_one():
    ratings = {need: 3 for need in NEEDS if need != "strategy"}
    with pytest.raises(RuleViolation) as e:
        validate_needs_survey(ratings)
    assert e.value.field == "ratings.strategy"


def test_a_needs_survey_refuses_unknown_needs_and_bad_ratings():
    with pytest.raises(RuleViolation) as e:
        validate_needs_survey({**{n: 3 for n in NEEDS}, "finance": 4, "teamwork": 0})
    fields = {err["field"] for err in e.value.extra["errors"]}
    assert fields == {"ratings.finance", "ratings.teamwork"}


def test_other_needs_free_text_is_optional_and_limited():
    assert validate_needs_survey({n: 3 for n in NEEDS}, "  coaching skills ").other_needs == "coaching skills"
    with pytest.raises(RuleViolation):
        validate_needs_survey({n: 3 for n in NEEDS}, "z" * 2001)


def test_needs_are_ranked_by_mean_rating_with_ties_broken_by_name():
    ranks = rank_needs(needs_stats([survey(strategy=5, leadership=5, teamwork=1), survey(strategy=4, leadership=4)]))
    assert [r.need for r in ranks[:2]] == ["leadership", "strategy"]
    assert ranks[0].rank == 1 and ranks[0].mean == 4.5
    assert ranks[-1].need == "teamwork"


def test_needs_nobody_has_rated_are_ranked_last():
    s = needs_stats([])
    s["innovation"] = stats(1, value=1)
    assert rank_needs(s)[0].need == "innovation"
    assert rank_needs(s)[1].mean is None


def test_the_contingency_table_counts_ratings_of_four_or_more():
    by_region = {"A": needs_stats([survey(teamwork=4), survey(teamwork=5, strategy=4)])}
    table = needs_contingency(by_region)
    assert table["A"]["teamwork"] == 2 and table["A"]["strategy"] == 1 and table["A"]["innovation"] == 0


def test_regions_with_very_different_needs_give_a_small_p_value():
    a = needs_stats([survey(leadership=5, teamwork=5)] * 30)
    b = needs_stats([survey(innovation=5, strategy=5)] * 30)
    result = needs_differ_between_regions({"A": a, "B": b})
    assert result.dof == 3 and result.p_value < 0.001
    assert set(result.columns) == {"leadership", "teamwork", "innovation", "strategy"}


# --- outcome measures --------------------------------------------------------------------


OUTCOME = {"confidence": 3, "isolation": 6, "trust_in_group": 2, "sense_of_direction": 3}


def test_an_outcome_questionnaire_needs_every_measure_on_the_seven_point_scale():
    assert accept_outcome("before", OUTCOME, already_given=False).scores == OUTCOME
    with pytest.raises(RuleViolation) as e:
        accept_outcome("before", {**OUTCOME, "isolation": 8}, already_given=False)
    assert (e.value.rule, e.value.field) == ("out_of_range", "scores.isolation")
    with pytest.raises(RuleViolation) as e:
        accept_outcome("during", OUTCOME, already_given=False)
    assert e.value.field == "phase"


def test_an_outcome_questionnaire_is_given_once_per_phase():
    with pytest.raises(Conflict) as e:
        accept_outcome("after", OUTCOME, already_given=True)
    assert e.value.rule == "outcome_already_given"


def test_outcome_change_uses_only_people_who_answered_before_and_after():
    after = {"confidence": 6, "isolation": 2, "trust_in_group": 5, "sense_of_direction": 4}
    responses = [
        OutcomeResponse("p1", "o1", "before", OUTCOME),
        OutcomeResponse("p1", "o1", "after", after),
        OutcomeResponse("p2", "o1", "before", {**OUTCOME, "confidence": 1}),  # never came back
        OutcomeResponse("p3", "o2", "after", after),  # no baseline
    ]
    changes = outcome_changes(responses, {"o1": ("action_learning_set", "Y56"), "o2": ("coaching", "Y56")})
    assert set(changes) == {("action_learning_set", "Y56")}
    group = changes[("action_learning_set", "Y56")]
    assert group["confidence"].count == 1 and group["confidence"].change == 3.0


def test_isolation_falling_is_reported_as_an_improvement():
    responses = [
        OutcomeResponse("p1", "o1", "before", OUTCOME),
        OutcomeResponse("p1", "o1", "after", {**OUTCOME, "isolation": 2, "confidence": 5}),
    ]
    group = outcome_changes(responses, {"o1": ("pcn_team", "Y58")})[("pcn_team", "Y58")]
    assert group["isolation"].change == -4.0 and group["isolation"].improvement == 4.0
    assert group["confidence"].change == 2.0 and group["confidence"].improvement == 2.0


def test_outcome_changes_are_grouped_by_offer_type_and_region():
    after = {**OUTCOME, "confidence": 4}
    responses = [
        OutcomeResponse("p1", "o1", "before", OUTCOME),
        OutcomeResponse("p1", "o1", "after", after),
        OutcomeResponse("p2", "o2", "before", OUTCOME),
        OutcomeResponse("p2", "o2", "after", after),
    ]
    changes = outcome_changes(responses, {"o1": ("coaching", "Y56"), "o2": ("coaching", "Y60")})
    assert set(changes) == {("coaching", "Y56"), ("coaching", "Y60")}


# --- chi-square --------------------------------------------------------------------------


def test_a_textbook_two_by_three_table_gives_its_published_chi_square():
    # Agresti, An Introduction to Categorical Data Analysis (2nd ed., 2007): party identification
    # by gender (General Social Survey), X2 = 30.1, df = 2, P < 0.001.
    result = chi_square_independence(
        {
            "females": {"democrat": 762, "independent": 327, "republican": 468},
            "males": {"democrat": 484, "independent": 239, "republican": 477},
        }
    )
    assert round(result.statistic, 2) == 30.07
    assert result.dof == 2 and result.n == 2757
    assert result.p_value < 0.001
    assert result.p_value == pytest.approx(scipy.stats.chi2.sf(result.statistic, 2), rel=1e-12)
    assert result.cramers_v == pytest.approx(math.sqrt(result.statistic / 2757))
    assert result.cells_expected_below_5 == 0


def test_a_three_by_four_table_matches_its_worked_example_and_scipy_on_the_same_data():
    # The worked example of Wikipedia's "Chi-squared test": occupation by neighbourhood of 650
    # residents, X2 = 24.6 on 6 degrees of freedom, p of about 0.0004.
    table = {
        "white_collar": {"A": 90, "B": 60, "C": 104, "D": 95},
        "blue_collar": {"A": 30, "B": 50, "C": 51, "D": 20},
        "no_collar": {"A": 30, "B": 40, "C": 45, "D": 35},
    }
    result = chi_square_independence(table)
    assert round(result.statistic, 1) == 24.6 and result.dof == 6 and round(result.p_value, 4) == 0.0004
    observed = [list(row.values()) for row in table.values()]
    # Independently: expected counts from the margins by hand, the tail from scipy's chi2.
    n = sum(map(sum, observed))
    row_totals = [sum(row) for row in observed]
    column_totals = [sum(column) for column in zip(*observed)]
    statistic = sum(
        (observed[i][j] - row_totals[i] * column_totals[j] / n) ** 2 / (row_totals[i] * column_totals[j] / n)
        for i in range(3)
        for j in range(4)
    )
    assert result.statistic == pytest.approx(statistic, rel=1e-12)
    assert result.p_value == pytest.approx(scipy.stats.chi2.sf(statistic, 6), rel=1e-12)
    assert result.cramers_v == pytest.approx(math.sqrt(statistic / (n * 2)), rel=1e-12)


def test_regions_with_the_same_profile_show_no_difference_and_no_effect():
    result = chi_square_independence({"Y56": {"a": 20, "b": 40, "c": 60}, "Y60": {"a": 10, "b": 20, "c": 30}})
    assert result.statistic == pytest.approx(0, abs=1e-12)
    assert result.p_value == pytest.approx(1.0)
    assert result.cramers_v == pytest.approx(0, abs=1e-9)


def test_regions_with_opposite_needs_show_a_clear_difference_and_a_large_effect():
    result = chi_square_independence({"Y56": {"a": 45, "b": 5}, "Y60": {"a": 5, "b": 45}})
    assert result.p_value < 1e-10
    assert result.cramers_v == pytest.approx(0.8)  # a 2 x 2 table's V is |phi| = (45*45 - 5*5) / (50*50)


def test_the_result_holds_plain_python_numbers_ready_for_json():
    result = chi_square_independence({"r1": {"a": 10, "b": 10, "c": 20}, "r2": {"a": 20, "b": 20, "c": 20}})
    for name in ("statistic", "p_value", "cramers_v"):
        assert type(getattr(result, name)) is float
    for name in ("dof", "n", "cells_expected_below_5"):
        assert type(getattr(result, name)) is int


def test_the_test_of_independence_matches_a_published_example():
    # scipy.stats.chi2_contingency documentation example.
    result = chi_square_independence({"r1": {"a": 10, "b": 10, "c": 20}, "r2": {"a": 20, "b": 20, "c": 20}})
    assert result.statistic == pytest.approx(2.7777777777777777)
    assert result.dof == 2
    assert result.p_value == pytest.approx(0.24935220877729619, rel=1e-9)


def test_a_two_by_two_table_is_tested_without_continuity_correction():
    result = chi_square_independence({"x": {"a": 10, "b": 20}, "y": {"a": 30, "b": 40}})
    assert result.statistic == pytest.approx(4 / 12 + 4 / 18 + 4 / 28 + 4 / 42)
    assert result.p_value == pytest.approx(math.erfc(math.sqrt(result.statistic / 2)))


def test_empty_rows_and_columns_are_dropped_before_testing():
    with_empty = chi_square_independence(
        {"r1": {"a": 10, "b": 10, "z": 0}, "r2": {"a": 20, "b": 5, "z": 0}, "r3": {"a": 0, "b": 0, "z": 0}}
    )
    without = chi_square_independence({"r1": {"a": 10, "b": 10}, "r2": {"a": 20, "b": 5}})
    assert with_empty == without
    assert with_empty.rows == ("r1", "r2") and with_empty.columns == ("a", "b")


def test_a_missing_column_in_a_row_counts_as_zero():
    assert chi_square_independence({"r1": {"a": 3}, "r2": {"a": 1, "b": 4}}).dof == 1


def test_fewer_than_two_rows_or_columns_means_no_test():
    assert chi_square_independence({"r1": {"a": 1, "b": 2}}) is None
    assert chi_square_independence({"r1": {"a": 1, "b": 0}, "r2": {"a": 4, "b": 0}}) is None
    assert chi_square_independence({}) is None


def test_small_expected_counts_are_flagged_and_negative_counts_refused():
    assert chi_square_independence({"r1": {"a": 1, "b": 2}, "r2": {"a": 3, "b": 1}}).cells_expected_below_5 == 4
    with pytest.raises(ValueError):
        chi_square_independence({"r1": {"a": -1, "b": 2}, "r2": {"a": 3, "b": 1}})
