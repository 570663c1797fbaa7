"""Do needs differ between regions and PCNs: Cohen's reading of Cramér's V, the published test,
PCNs grouped by needs and the offer types that meet them."""

import pytest
from scipy.stats import chi2_contingency
from scipy.stats.contingency import association

from services.feedback.domain.differences import (
    OFFERS_FOR_NEED,
    chi_square_view,
    effect_size,
    joint_needs,
    needs_groups,
    needs_profile,
    offers_for,
)
from services.feedback.domain.needs import NEEDS
from services.feedback.domain.running_stats import RunningStats
from services.feedback.domain.scales import LIKERT_5
from services.feedback.domain.statistics import chi_square_independence
from shared.contracts.vocabulary import Need, OfferType


@pytest.mark.parametrize(
    "v, dof_star, reading",
    [
        (0.05, 1, "negligible"),
        (0.1, 1, "small"),
        (0.29, 1, "small"),
        (0.3, 1, "medium"),
        (0.5, 1, "large"),
        (0.08, 2, "small"),  # 0.1 / sqrt(2) = 0.071
        (0.22, 2, "medium"),  # 0.3 / sqrt(2) = 0.212
        (0.36, 2, "large"),  # 0.5 / sqrt(2) = 0.354
        (0.06, 3, "small"),  # 0.1 / sqrt(3) = 0.058
    ],
)
def test_cramers_v_is_read_by_cohens_thresholds_for_the_tables_degrees_of_freedom(v, dof_star, reading):
    assert effect_size(v, dof_star) == reading


def test_every_need_has_offer_types_of_the_vocabulary():
    assert set(OFFERS_FOR_NEED) == set(Need.values())
    assert all(types and set(types) <= set(OfferType.values()) for types in OFFERS_FOR_NEED.values())
    assert set().union(*OFFERS_FOR_NEED.values()) == set(OfferType.values())
    assert offers_for(["teamwork", "leadership"]) == ["pcn_team", "coaching", "regional_programme"]


def test_a_real_difference_is_clear_and_large_and_scipy_agrees():
    table = {"Y56": {"leadership": 40, "teamwork": 10}, "Y60": {"leadership": 10, "teamwork": 40}}
    view = chi_square_view(chi_square_independence(table), "regions")
    expected = chi2_contingency([[40, 10], [10, 40]], correction=False)
    assert view["p_value"] == pytest.approx(expected.pvalue) and view["significant"]
    assert view["cramers_v"] == round(association([[40, 10], [10, 40]], method="cramer"), 2) == 0.6
    assert view["effect_size"] == "large" and "differ between regions" in view["sentence"]


def test_no_difference_is_not_clear_and_negligible():
    table = {"Y56": {"leadership": 30, "teamwork": 30}, "Y60": {"leadership": 30, "teamwork": 30}}
    view = chi_square_view(chi_square_independence(table), "regions")
    assert not view["significant"] and view["effect_size"] == "negligible" and view["cramers_v"] == 0
    assert view["sentence"].startswith("No clear difference")
    assert chi_square_view(None, "regions") is None


def _stats(high: set, n: int) -> dict:
    """n respondents each rating the needs in `high` 5 and the rest 2."""
    stats = {need: RunningStats(LIKERT_5) for need in NEEDS}
    for _ in range(n):
        stats = {need: s.add(5 if need in high else 2) for need, s in stats.items()}
    return stats


def test_pcns_group_by_needs_with_their_distinctive_needs_and_offers():
    leaders, teams = {"leadership", "strategy"}, {"teamwork", "dealing_with_conflict"}
    profiles = {
        "U1": needs_profile(_stats(leaders, 6)),
        "U2": needs_profile(_stats(leaders, 8)),
        "U3": needs_profile(_stats(teams, 7)),
        "U4": needs_profile(_stats(teams | {"engagement"}, 9)),
    }
    assert profiles["U1"]["leadership"] == 1.0 and profiles["U1"]["teamwork"] == 0.0
    groups = needs_groups(profiles, {"U1": "Y56", "U2": "Y60", "U3": "Y56", "U4": "Y61"})
    assert [[p["pcn_code"] for p in g["pcns"]] for g in groups] == [["U1", "U2"], ["U3", "U4"]]
    assert set(groups[0]["distinctive_needs"]) == leaders
    assert groups[0]["offer_types"][0] in ("coaching", "regional_programme")
    assert groups[1]["distinctive_needs"][:2] == ["dealing_with_conflict", "teamwork"]
    assert groups[1]["offer_types"][0] == "pcn_team"
    assert groups[1]["profile"]["engagement"] == 0.5
    assert joint_needs(profiles) == [] and needs_groups({}, {}) == []


def test_joint_needs_are_those_every_pcn_rates_high():
    profiles = {
        "U1": needs_profile(_stats({"innovation", "teamwork"}, 5)),
        "U2": needs_profile(_stats({"innovation"}, 5)),
    }
    assert joint_needs(profiles) == ["innovation"]
    assert offers_for(joint_needs(profiles)) == ["action_learning_set", "regional_programme"]
