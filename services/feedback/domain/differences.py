"""Are there significant differences in needs between PCNs and regions, and what offer would meet
joint and different needs? Pure Python over the needs figures feedback already keeps.

What is published, and what each figure is computed from
--------------------------------------------------------
* The test across regions is the needs ranking's own (`needs.needs_differ_between_regions` over
  the regions the ranking shows, ratings of 4 or 5 counted per need), published as the ranking
  publishes it (statistic and Cramér's V to two places, n to the nearest five), with the
  reading of its effect size added. It is the same figure, so it says nothing new.
* The test across PCNs is the same test on the PCNs the ranking's settlement shows
  (`disclosure.pcns_withheld`, each region's PCNs with its answers that named none), as the
  ranking tests only shown regions: a statistic over a withheld PCN would rest on it.
* PCNs grouped by similar needs: each shown PCN's profile is the share of its respondents
  rating each need 4 or 5, grouped by `insight_statistics.group_by_needs`. A group names only
  shown PCNs, and publishes its mean profile to two places and the needs that set it apart.

Why Cohen's thresholds, scaled by the table's degrees of freedom
----------------------------------------------------------------
Cohen (1988, *Statistical Power Analysis for the Behavioral Sciences*, 2nd ed., ch. 7) calls
an effect w of 0.1 small, 0.3 medium and 0.5 large, and relates w to Cramér's V there as
w = V * sqrt(df*), where df* = min(rows, columns) - 1. So the same thresholds for V are 0.1,
0.3 and 0.5 divided by sqrt(df*) (e.g. df* = 2: 0.07, 0.21, 0.35; df* = 1, a 2 x k table:
0.1, 0.3, 0.5). Below small the effect is read as negligible. A p-value says how sure; this
says how different.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from services.feedback.domain.insight_statistics import NeedsGroup, group_by_needs
from services.feedback.domain.running_stats import RunningStats
from services.feedback.domain.statistics import ChiSquareResult
from shared.contracts.vocabulary import Need, OfferType
from shared.disclosure import shown_count, shown_ratio

HIGH = (4, 5)  # a need rated 4 or 5 is rated high, as the chi-square table counts it
ALPHA = 0.05
# Ward's height at which two groups stay apart: for two single PCNs the Euclidean distance of
# their profiles, so 1.0 is one need rated high by everyone in one PCN and no one in the other
# (or half of the respondents more rating four needs high): less apart than that is alike.
GROUP_DISTANCE = 1.0
COHEN_W = (("small", 0.1), ("medium", 0.3), ("large", 0.5))

# Which offer types meet each need, most fitting first. Kept small on purpose: it is a reading
# of the four offers' designs, for commissioners to question, not a finding from data.
_OFFERS: dict[Need, tuple[OfferType, ...]] = {
    # Leading is first a personal practice: coaching works on one leader's own aims; the
    # regional programme gives the shared frame (models of leadership, system context).
    Need.LEADERSHIP: (OfferType.COACHING, OfferType.REGIONAL_PROGRAMME),
    # Collaboration is between practices and PCNs: the regional programme brings PCNs of a
    # region together; team development works on collaboration inside one PCN.
    Need.COLLABORATION: (OfferType.REGIONAL_PROGRAMME, OfferType.PCN_TEAM),
    # Conflict is met where it arises: in the PCN's own team, or one to one for a leader in it.
    Need.DEALING_WITH_CONFLICT: (OfferType.PCN_TEAM, OfferType.COACHING),
    # Innovation is learned by trying: an action learning set takes real problems to peers and
    # back to practice, round after round.
    Need.INNOVATION: (OfferType.ACTION_LEARNING_SET, OfferType.REGIONAL_PROGRAMME),
    # Teamwork is a property of a team, so it is developed with the whole PCN team.
    Need.TEAMWORK: (OfferType.PCN_TEAM,),
    # Strategy needs the wider system's view (the regional programme) and peers to test
    # choices against (an action learning set).
    Need.STRATEGY: (OfferType.REGIONAL_PROGRAMME, OfferType.ACTION_LEARNING_SET),
    # Engaging staff and patients is the PCN team's work; peers in a set share what worked.
    Need.ENGAGEMENT: (OfferType.PCN_TEAM, OfferType.ACTION_LEARNING_SET),
}
# Every need has its offers, in the vocabulary's words.
OFFERS_FOR_NEED: dict[str, tuple[str, ...]] = {
    need.value: tuple(t.value for t in types) for need, types in _OFFERS.items()
}


def effect_size(cramers_v: float, dof_star: int) -> str:
    """Cohen's reading of Cramér's V for a table with df* = min(rows, columns) - 1."""
    if dof_star < 1:
        raise ValueError("a table needs at least two rows and two columns")
    reading = "negligible"
    for name, w in COHEN_W:
        if cramers_v >= w / math.sqrt(dof_star):
            reading = name
    return reading


def chi_square_view(test: ChiSquareResult | None, between: str) -> dict | None:
    """A test as the needs ranking publishes it, with its effect size read in plain English."""
    if test is None:
        return None
    dof_star = min(len(test.rows), len(test.columns)) - 1
    v = shown_ratio(test.cramers_v)
    effect = effect_size(test.cramers_v, dof_star)
    clear = test.p_value < ALPHA
    sentence = (
        f"Needs rated high differ between {between} beyond what chance would explain "
        f"(p = {test.p_value:.3f}); the difference is {effect} (Cramér's V = {v:.2f})."
        if clear
        else f"No clear difference in the needs rated high between {between} (p = {test.p_value:.3f}); "
        f"the difference seen is {effect} (Cramér's V = {v:.2f})."
    )
    if test.cells_expected_below_5:
        sentence += " Some expected counts are below 5, so read the p-value with care."
    return {
        "rows": list(test.rows),
        "columns": list(test.columns),
        "statistic": shown_ratio(test.statistic),
        "dof": test.dof,
        "p_value": test.p_value,
        "n": shown_count(test.n),
        "high_from": HIGH[0],
        "cramers_v": v,
        "cells_expected_below_5": test.cells_expected_below_5,
        "significant": clear,
        "effect_size": effect,
        "sentence": sentence,
    }


def needs_profile(stats: Mapping[str, RunningStats]) -> dict[str, float]:
    """Share of respondents rating each need high (4 or 5)."""
    return {need: (stats[need].count_of(HIGH) / stats[need].count if stats[need].count else 0.0) for need in stats}


def offers_for(needs: tuple[str, ...] | list[str]) -> list[str]:
    """Offer types matching the needs given, in the order of the first need each meets."""
    found: dict[str, None] = {}
    for need in needs:
        for offer_type in OFFERS_FOR_NEED.get(need, ()):
            found.setdefault(offer_type, None)
    return list(found)


def needs_groups(profiles: Mapping[str, Mapping[str, float]], regions: Mapping[str, str]) -> list[dict]:
    """Shown PCNs grouped by similar needs, each group with the needs that set it apart and the
    offer types that meet them. `regions` gives each PCN's region."""
    if not profiles:
        return []
    groups: tuple[NeedsGroup, ...] = group_by_needs(profiles, distance=GROUP_DISTANCE)
    return [
        {
            "group": index,
            "pcns": [{"pcn_code": code, "region": regions[code]} for code in group.members],
            "profile": {need: shown_ratio(share) for need, share in group.profile.items()},
            "distinctive_needs": list(group.distinctive),
            "offer_types": offers_for(group.distinctive),
        }
        for index, group in enumerate(groups, start=1)
    ]


def joint_needs(profiles: Mapping[str, Mapping[str, float]], share: float = 0.5) -> list[str]:
    """Needs that at least `share` of the respondents of every shown PCN rate high: what an
    offer for all of them should address. Most widely shared first."""
    if not profiles:
        return []
    needs = sorted(next(iter(profiles.values())))
    lowest = {need: min(p[need] for p in profiles.values()) for need in needs}
    return sorted((n for n in needs if lowest[n] >= share), key=lambda n: (-lowest[n], n))
