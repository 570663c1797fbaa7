"""The conditions for a learning community: continuity per group against hand-counted registers,
at-risk flags on either side of their thresholds, small groups withheld, and the association
across groups against a published worked example and scipy computed another way."""

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import scipy.stats

from services.feedback.domain.conditions import (
    BELOW_WORKABLE_SIZE,
    DIRECTION,
    FALL_MARGIN,
    FALLING_ATTENDANCE,
    JOINED,
    LEFT,
    MEMBERS_LEAVING,
    MIN_GROUPS_FOR_ASSOCIATION,
    NO_SPREAD,
    TOO_FEW_GROUPS,
    TRUST,
    Group,
    GroupConditions,
    MembershipEvent,
    OutcomeScores,
    SessionMarks,
    association,
    association_view,
    at_risk_in_region,
    group_conditions,
    group_view,
    membership_periods,
    spearman_interval,
)
from shared.disclosure import SMALL_NUMBERS

FORMED = datetime(2026, 1, 5, 9, tzinfo=UTC)


def at(session: int) -> datetime:
    """Session i (from 0) meets on the formation day and every four weeks after."""
    return FORMED + timedelta(weeks=4 * session)


def members(n: int) -> list[str]:
    return [f"m{i}" for i in range(1, n + 1)]


def founding(ids) -> list[MembershipEvent]:
    return [MembershipEvent(m, JOINED, FORMED - timedelta(days=30)) for m in ids]


def group(register: list[set[str]], memberships: list[MembershipEvent], group_id: str = "g1") -> Group:
    """A group whose i-th session was attended by register[i]; everyone else expected was absent."""
    sessions = [
        SessionMarks(f"{group_id}-s{i}", at(i), {m: "present" for m in here}) for i, here in enumerate(register)
    ]
    return Group(group_id, "Y56", "action_learning_set", FORMED, sessions, memberships)


# --- continuity ---------------------------------------------------------------------------------


def test_a_group_that_keeps_meeting_has_high_continuity_and_one_that_does_not_low():
    six = members(6)
    steady = group_conditions(group([set(six)] * 5 + [set(six[:5])], founding(six)))
    # Each member of the scattered group comes to 2 of 6 sessions: two of them to each session.
    scattered_register = [{six[i % 6], six[(i + 3) % 6]} for i in range(6)]
    scattered = group_conditions(group(scattered_register, founding(six)))

    assert steady.member_shares == {m: 1.0 for m in six[:5]} | {"m6": 5 / 6}
    assert steady.continuity == 1.0
    assert steady.attendance_share == pytest.approx(35 / 36)
    assert scattered.member_shares == {m: pytest.approx(1 / 3) for m in six}
    assert scattered.continuity == pytest.approx(1 / 3)
    assert scattered.attendance_share == pytest.approx(12 / 36)
    assert (steady.sessions, steady.size, steady.members_ever) == (6, 6, 6)


def test_continuity_is_the_median_member_not_moved_by_one_who_never_comes():
    six = members(6)
    register = [set(six[:5])] * 4  # m6 never comes
    conditions = group_conditions(group(register, founding(six)))
    assert conditions.member_shares["m6"] == 0.0
    assert conditions.continuity == 1.0
    assert conditions.attendance_share == pytest.approx(20 / 24)


def test_members_are_expected_only_while_members_and_marks_of_others_are_ignored():
    six = members(6)
    events = founding(six) + [
        MembershipEvent("m6", LEFT, at(2) - timedelta(days=1)),  # expected at sessions 0 and 1
        MembershipEvent("m7", JOINED, at(2)),  # expected from session 2 on (joined_at <= starts_at)
    ]
    register = [set(six) | {"guest"}] * 2 + [set(six[:5]) | {"m7"}] * 2
    register[3] = register[3] - {"m7"}  # m7 misses session 3; its mark is simply absent
    conditions = group_conditions(group(register, events))
    assert conditions.member_shares == {m: 1.0 for m in six} | {"m7": 0.5}
    assert "guest" not in conditions.member_shares
    assert (conditions.size, conditions.members_ever) == (6, 7)
    assert (conditions.joined_after_forming, conditions.left_after_forming) == (1, 1)


def test_membership_periods_follow_joins_and_leaves_in_time_order():
    events = [
        MembershipEvent("a", LEFT, at(2)),
        MembershipEvent("a", JOINED, at(0)),
        MembershipEvent("a", JOINED, at(1)),  # already a member: nothing changes
        MembershipEvent("a", JOINED, at(3)),
        MembershipEvent("b", LEFT, at(1)),  # never a member: nothing
    ]
    assert membership_periods(events) == {"a": [(at(0), at(2)), (at(3), None)]}
    with pytest.raises(ValueError):
        MembershipEvent("a", "moved", at(0))


def test_a_group_with_no_sessions_yet_has_no_continuity_and_no_flags():
    conditions = group_conditions(group([], founding(members(6))))
    assert (conditions.continuity, conditions.attendance_share, conditions.recent_share) == (None, None, None)
    assert conditions.risks == ()


# --- at risk ------------------------------------------------------------------------------------


def test_a_group_whose_attendance_falls_is_flagged_and_a_steady_one_is_not():
    six = members(6)
    falling = group_conditions(group([set(six)] * 3 + [set(six[:4])] * 3, founding(six)))
    steady = group_conditions(group([set(six[:5])] * 6, founding(six)))

    assert (falling.earlier_share, falling.recent_share) == (1.0, pytest.approx(4 / 6))
    assert [r.code for r in falling.risks] == [FALLING_ATTENDANCE]
    assert falling.risks[0].reason == ("Attendance at the last 3 sessions is 15% or more below the earlier sessions.")
    assert falling.at_risk
    assert (steady.earlier_share, steady.recent_share) == (pytest.approx(5 / 6), pytest.approx(5 / 6))
    assert steady.risks == ()
    assert not steady.at_risk


def test_falling_attendance_is_judged_by_the_stated_margin():
    ten = members(10)
    # Earlier 10/10, recent 9/10 then 8/10, 8/10: a fall of 1 - 25/30 = 0.1667, over the margin.
    over = group_conditions(group([set(ten)] * 2 + [set(ten[:9]), set(ten[:8]), set(ten[:8])], founding(ten)))
    # Earlier 10/10, recent 9/10 each: a fall of 0.10, under it.
    under = group_conditions(group([set(ten)] * 2 + [set(ten[:9])] * 3, founding(ten)))
    assert over.earlier_share - over.recent_share >= FALL_MARGIN
    assert [r.code for r in over.risks] == [FALLING_ATTENDANCE]
    assert under.earlier_share - under.recent_share < FALL_MARGIN
    assert under.risks == ()


def test_falling_attendance_needs_earlier_sessions_to_compare_with():
    six = members(6)
    # Four sessions: only one before the last three, too few to say the group used to do better.
    conditions = group_conditions(group([set(six)] + [set(six[:2] + six[4:])] * 3, founding(six)))
    assert (conditions.recent_share, conditions.earlier_share) == (None, None)
    assert conditions.risks == ()


def test_more_than_two_members_leaving_after_the_group_formed_is_flagged():
    ten = members(10)
    register = [set(ten)] * 2  # ten members, so seven left is still a workable size

    def leaving(ids):
        return founding(ten) + [MembershipEvent(m, LEFT, at(1) + timedelta(days=1)) for m in ids]

    two = group_conditions(group(register, leaving(["m1", "m2"])))
    three = group_conditions(group(register, leaving(["m1", "m2", "m3"])))
    # Leaving before the group formed (from the waitlist, or before it started) does not count.
    before = group_conditions(
        group(register, founding(ten) + [MembershipEvent(m, LEFT, FORMED - timedelta(days=1)) for m in ten[:3]])
    )
    assert two.left_after_forming == 2 and two.risks == ()
    assert three.left_after_forming == 3
    assert [r.code for r in three.risks] == [MEMBERS_LEAVING]
    assert three.risks[0].reason == "More than two members have left since the group formed."
    assert before.left_after_forming == 0 and before.risks == ()


def test_the_leavers_flag_says_nothing_the_rounded_count_of_leavers_does_not():
    # Were the flag and the published (rounded) count of leavers to disagree, together they
    # would pin down how many left: flagged exactly when the published count is 5 or more.
    for left in range(0, 9):
        ids = members(14)
        events = founding(ids) + [MembershipEvent(m, LEFT, at(1) + timedelta(days=1)) for m in ids[:left]]
        view = group_view(group_conditions(group([set(ids)] * 2, events)))
        flagged = any(r["code"] == MEMBERS_LEAVING for r in view["risks"])
        assert flagged == (view["left"] >= 5), left


def test_a_group_below_a_workable_size_is_flagged_without_saying_how_many():
    five = group_conditions(group([set(members(5))] * 2, founding(members(5))))
    assert [r.code for r in five.risks] == [BELOW_WORKABLE_SIZE]
    assert five.risks[0].reason == "The group has fewer than 6 members, too few for its meetings to work well."
    assert five.withheld is None


def test_a_region_s_administrator_is_given_its_shown_groups_at_risk_most_reasons_first():
    six, ten = members(6), members(10)
    leaving = [MembershipEvent(m, LEFT, at(2) + timedelta(days=1)) for m in ten[:5]]
    # Five of ten leave after session 2, and of the five left only three come since: leavers are
    # no longer expected, so the fall in attendance is the stayers' own.
    shrinking = group([set(ten)] * 3 + [set(ten[5:8])] * 3, founding(ten) + leaving, "shrinking")
    falling = group([set(six)] * 3 + [set(six[:4])] * 3, founding(six), "falling")
    steady = group([set(six)] * 6, founding(six), "steady")
    tiny = group([set(six[:3])] * 6, founding(six[:3]), "tiny")  # withheld: no flag shown
    elsewhere = replace(falling, group_id="elsewhere", region="Y58")
    conditions = [group_conditions(g) for g in (steady, falling, tiny, shrinking, elsewhere)]

    flagged = at_risk_in_region(conditions, "Y56")
    assert [v["group_id"] for v in flagged] == ["shrinking", "falling"]
    assert [r["code"] for r in flagged[0]["risks"]] == [FALLING_ATTENDANCE, MEMBERS_LEAVING, BELOW_WORKABLE_SIZE]
    assert [v["group_id"] for v in at_risk_in_region(conditions, "Y58")] == ["elsewhere"]


# --- disclosure ---------------------------------------------------------------------------------


def test_a_group_of_fewer_than_five_is_withheld_with_no_figure_and_no_flag():
    four = members(4)
    conditions = group_conditions(group([set(four)] * 3 + [set()] * 3, founding(four)))
    assert conditions.withheld == SMALL_NUMBERS
    assert conditions.risks == ()
    view = group_view(conditions)
    assert view["suppressed"] is True and view["reason"] == SMALL_NUMBERS
    figures = {k: v for k, v in view.items() if k not in ("group_id", "region", "offer_type", "suppressed", "reason")}
    assert all(v is None or v == [] for v in figures.values())


def test_a_group_that_shrank_below_five_is_withheld_though_it_once_had_more():
    eight = members(8)
    events = founding(eight) + [MembershipEvent(m, LEFT, at(1) + timedelta(days=1)) for m in eight[:4]]
    conditions = group_conditions(group([set(eight)] * 3, events))
    assert (conditions.size, conditions.members_ever) == (4, 8)
    assert conditions.withheld == SMALL_NUMBERS
    assert group_view(conditions)["left"] is None


def test_a_shown_group_publishes_counts_rounded_to_five_and_shares_to_two_places():
    seven = members(7)
    events = founding(seven) + [MembershipEvent("m8", JOINED, at(1) + timedelta(days=1))]
    register = [set(seven)] * 2 + [set(seven[:6]) | {"m8"}] * 3
    conditions = group_conditions(group(register, events))
    view = group_view(conditions, keeps_register=True)
    assert view["suppressed"] is False
    assert (view["size"], view["joined"], view["left"]) == (10, 0, 0)  # 8 -> 10, 1 -> 0
    assert view["continuity"] == 1.0
    assert view["attendance_share"] == round(35 / 38, 2)
    assert view["at_risk"] is False and view["risks"] == []
    # Anyone but the region's administrator: no pooled share, which over time would give a
    # session's attendance count away; the rest alike.
    elsewhere = group_view(conditions)
    assert elsewhere["attendance_share"] is elsewhere["recent_share"] is elsewhere["earlier_share"] is None
    assert {k: v for k, v in elsewhere.items() if not k.endswith("_share")} == {
        k: v for k, v in view.items() if not k.endswith("_share")
    }


# --- association across groups --------------------------------------------------------------------

# Spearman's worked example (Wikipedia, "Spearman's rank correlation coefficient"): IQ against
# hours of television a week for ten people; sum of squared rank differences 194, so
# rho = 1 - 6 * 194 / (10 * (100 - 1)) = -29/165 = -0.1758, p = 0.627.
IQ = [106, 100, 86, 101, 99, 103, 97, 113, 112, 110]
TV = [7, 27, 2, 50, 28, 29, 20, 12, 6, 17]


def conditions_of(group_id: str, continuity: float, withheld: str | None = None) -> GroupConditions:
    return GroupConditions(
        group_id=group_id,
        region="Y56",
        offer_type="action_learning_set",
        sessions=6,
        size=8,
        members_ever=8,
        joined_after_forming=0,
        left_after_forming=0,
        member_shares={},
        continuity=continuity,
        attendance_share=continuity,
        recent_share=None,
        earlier_share=None,
        risks=(),
        withheld=withheld,
    )


def groups_and_outcomes(continuities, trusts, directions=None, respondents=8):
    directions = directions if directions is not None else trusts
    groups = [conditions_of(f"g{i:02}", c) for i, c in enumerate(continuities)]
    outcomes = {g.group_id: OutcomeScores(t, d, respondents) for g, t, d in zip(groups, trusts, directions)}
    return groups, outcomes


def test_the_association_matches_spearmans_worked_example():
    # Continuity is a share: IQ / 200 keeps its ranks.
    groups, outcomes = groups_and_outcomes([iq / 200 for iq in IQ], TV)
    result = association(groups, outcomes, TRUST)
    assert result.groups == 10 and result.reason is None
    assert result.rho == pytest.approx(-29 / 165)
    assert round(result.p_value, 3) == 0.627
    # Its interval by hand: tanh(atanh(rho) -+ 1.959964 * sqrt(1.06 / 7)).
    half = 1.959964 * math.sqrt(1.06 / 7)
    z = math.atanh(-29 / 165)
    assert (result.low, result.high) == (pytest.approx(math.tanh(z - half)), pytest.approx(math.tanh(z + half)))
    assert result.low < 0 < result.high  # no clear association
    assert association_view(result) == {
        "measure": TRUST,
        "groups": 10,
        "rho": -0.18,
        "p_value": 0.63,
        "low": round(math.tanh(z - half), 2),
        "high": round(math.tanh(z + half), 2),
        "confidence": 0.95,
        "reason": None,
    }


def test_a_real_association_is_found_and_matches_scipy_computed_from_the_ranks():
    rng = np.random.default_rng(18)
    continuity = rng.uniform(0.3, 1.0, size=30)
    trust = 2 + 4 * continuity + rng.normal(0, 0.4, size=30)
    direction = rng.uniform(1, 7, size=30)  # unrelated to continuity
    groups, outcomes = groups_and_outcomes(continuity.tolist(), trust.tolist(), direction.tolist())

    related = association(groups, outcomes, TRUST)
    unrelated = association(groups, outcomes, DIRECTION)

    # Independently: Spearman's rho is Pearson's r on the ranks, its p-value the t test on n - 2.
    for result, y in ((related, trust), (unrelated, direction)):
        r = scipy.stats.pearsonr(scipy.stats.rankdata(continuity), scipy.stats.rankdata(y)).statistic
        t = r * math.sqrt((30 - 2) / (1 - r * r))
        assert result.rho == pytest.approx(r)
        assert result.p_value == pytest.approx(2 * scipy.stats.t.sf(abs(t), 28))
    assert related.rho > 0.7 and related.p_value < 0.001 and related.low > 0
    assert unrelated.p_value > 0.05 and unrelated.low < 0 < unrelated.high


def test_the_association_needs_enough_groups_and_says_why_not():
    n = MIN_GROUPS_FOR_ASSOCIATION - 1
    groups, outcomes = groups_and_outcomes([i / 10 for i in range(n)], list(range(n)))
    result = association(groups, outcomes, TRUST)
    assert (result.rho, result.reason, result.groups) == (None, TOO_FEW_GROUPS, n)
    assert association_view(result)["rho"] is None


def test_withheld_groups_and_outcomes_on_fewer_than_five_take_no_part():
    groups, outcomes = groups_and_outcomes([i / 12 for i in range(12)], list(range(12)))
    groups[0] = replace(groups[0], withheld=SMALL_NUMBERS)
    outcomes["g01"] = replace(outcomes["g01"], respondents=4)
    outcomes["g02"] = replace(outcomes["g02"], trust_in_group=None)
    assert association(groups, outcomes, TRUST).groups == 9
    assert association(groups, outcomes, TRUST).reason == TOO_FEW_GROUPS
    del groups[3]
    groups += [conditions_of(f"h{i}", 0.95 + i / 100) for i in range(4)]
    outcomes |= {f"h{i}": OutcomeScores(20.0 + i, None, 5) for i in range(4)}
    result = association(groups, outcomes, TRUST)
    assert result.groups == 12 and result.rho == pytest.approx(1.0)
    assert (result.low, result.high) == (None, None)  # rho of 1: no finite Fisher z


def test_an_association_with_every_group_alike_is_not_given():
    groups, outcomes = groups_and_outcomes([0.8] * 12, list(range(12)))
    assert association(groups, outcomes, TRUST).reason == NO_SPREAD
    with pytest.raises(ValueError):
        association(groups, outcomes, "confidence")


def test_the_spearman_interval_widens_with_fewer_groups():
    wide, narrow = spearman_interval(0.5, 10), spearman_interval(0.5, 100)
    assert wide[0] < narrow[0] < 0.5 < narrow[1] < wide[1]
    assert spearman_interval(0.5, 3) is None
