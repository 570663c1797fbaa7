"""The plain-English findings of each page, written only from what the insight endpoints publish
(the same rounded figures and the same "fewer than 5"), never from a count of their own."""

from __future__ import annotations

from services.feedback.report.words import (
    WITHHELD,
    listed,
    need_name,
    offer_type_name,
    p_value,
    rating,
    region_name,
    share,
)

NO_FEEDBACK = "No session feedback was given in this quarter."
NO_NEEDS = "No needs surveys were answered in this quarter."
NO_DIFFERENCES = "No needs surveys have been answered yet, so there are no needs to compare."
NO_GROUPS = "No groups met in this quarter."
NOT_AVAILABLE = "This part of the report is not available in this version of Convene."


def quarter_of(row: dict, quarter: str) -> dict | None:
    """A learned row's figures for the quarter, if the quarter has any."""
    return next((q for q in row.get("quarters", []) if q["quarter"] == quarter), None)


def learned_findings(learned: dict, quarter: str) -> list[str]:
    if quarter not in learned.get("quarters", []):
        return [NO_FEEDBACK]
    found = [f["sentence"] for f in learned.get("went_well", [])] + [f["sentence"] for f in learned.get("remains", [])]
    if not found:
        found.append(
            "No region or offer type differed from the rest of the country beyond what chance would explain "
            f"in {quarter} (Welch's t-test, Holm-corrected over {learned.get('compared', 0)} comparisons)."
        )
    withheld = [
        region_name(row["region"])
        for row in [learned["national"], *learned.get("regions", [])]
        if (cell := quarter_of(row, quarter)) is not None and cell["suppressed"]
    ]
    if withheld:
        found.append(
            f"Figures for {listed(withheld)} are withheld: {WITHHELD} people answered, or showing them "
            "would reveal a figure that is."
        )
    return found


def ranking_of(needs: dict, quarter: str) -> dict | None:
    return next((r for r in needs.get("ranking", []) if r["quarter"] == quarter), None)


def needs_findings(needs: dict, quarter: str) -> list[str]:
    ranking = ranking_of(needs, quarter)
    if ranking is None:
        return [NO_NEEDS]
    found = []
    if ranking["suppressed"]:
        found.append(f"The ranking for {quarter} is withheld: {WITHHELD} people answered the needs survey.")
    elif ranking["needs"]:
        top = sorted(ranking["needs"], key=lambda n: n["rank"])[:3]
        found.append(
            f"In {quarter} the needs rated most important were {listed([need_name(n['need']) for n in top])} "
            f"({ranking['respondents']} people answered, rounded to 5)."
        )
    quarters = needs.get("quarters", [])
    period = f"{quarters[0]} to {quarters[-1]}" if len(quarters) > 1 else quarter
    for trend in needs.get("trends", []):
        if trend["direction"] == "steady":
            continue
        shown = [s for s in trend["high_shares"] if s is not None]
        movement = "rose" if trend["direction"] == "rising" else "fell"
        span = f" from {share(shown[0])} to {share(shown[-1])}" if len(shown) > 1 else ""
        found.append(
            f"The share rating {need_name(trend['need'])} 4 or 5 {movement}{span} over {period}, beyond what chance "
            f"would explain (trend test, adjusted p {p_value(trend['adjusted_p'])})."
        )
    if needs.get("emerging"):
        found.append(f"Emerging as most important: {listed([need_name(n) for n in needs['emerging']])}.")
    elif needs.get("trends"):
        found.append(f"No need's share rose beyond what chance would explain over {period}.")
    for region in needs.get("regions", []):
        if region["suppressed"]:
            found.append(f"{region_name(region['region'])}: withheld, {WITHHELD} people answered.")
        elif region["emerging"]:
            found.append(
                f"{region_name(region['region'])}: {listed([need_name(n) for n in region['emerging']])} emerging."
            )
    return found


def differences_findings(differences: dict) -> list[str]:
    tests = [t for t in (differences.get("regions"), differences.get("pcns")) if t]
    groups = differences.get("groups", [])
    if not tests and not groups:
        return [NO_DIFFERENCES]
    found = [t["sentence"] for t in tests]
    if differences.get("joint_needs"):
        joint = listed([need_name(n) for n in differences["joint_needs"]])
        offers = listed([offer_type_name(t) for t in differences.get("joint_offer_types", [])])
        found.append(
            f"Needs every PCN shares (rated 4 or 5 by at least half of each): {joint}"
            + (f"; met by {offers}." if offers else ".")
        )
    for group in groups:
        apart = group.get("distinctive_needs", [])
        offers = group.get("offer_types", [])
        if apart:
            found.append(
                f"Group {group['group']} ({len(group['pcns'])} PCNs) rates {listed([need_name(n) for n in apart])} "
                f"higher than PCNs overall"
                + (f": {listed([offer_type_name(t) for t in offers])} would meet it." if offers else ".")
            )
    found.append(f"PCNs with {WITHHELD} answers, or that would reveal one that has, are left out of every figure.")
    return found


def conditions_findings(conditions: dict) -> list[str]:
    summary = conditions.get("summary", {})
    if not conditions.get("groups") and not summary.get("groups"):
        return [NO_GROUPS]
    found = [
        f"Of {summary.get('groups', 0)} groups, {summary.get('shown', 0)} are shown and {summary.get('withheld', 0)} "
        f"withheld because they have {WITHHELD} members; groups at risk: {summary.get('at_risk', 0)}."
    ]
    for group in conditions.get("groups", []):
        if group.get("at_risk") and not group.get("suppressed"):
            reasons = [r["reason"] for r in group.get("risks", [])]
            found.append(f"At risk: {group_label(group)}." + "".join(f" {reason}" for reason in reasons))
    for association in conditions.get("associations", []):
        found.append(association_sentence(association))
    return found


def group_label(group: dict) -> str:
    return f"{offer_type_name(group.get('offer_type'))} {group['group_id'][:8]}, {region_name(group.get('region'))}"


def association_sentence(association: dict) -> str:
    measure = association["measure"].replace("_", " ")
    if association.get("rho") is None:
        reason = (association.get("reason") or "too few groups").replace("_", " ")
        return f"Continuity and {measure}: not measured ({reason})."
    interval = (
        f", 95 % interval {association['low']:.2f} to {association['high']:.2f}"
        if association.get("low") is not None and association.get("high") is not None
        else ""
    )
    clear = association.get("p_value") is not None and association["p_value"] < 0.05
    reading = (
        f"groups that attend more consistently report {'more' if association['rho'] > 0 else 'less'} {measure}"
        if clear
        else "no clear association"
    )
    return (
        f"Continuity and {measure} across {association['groups']} groups: Spearman's rho {association['rho']:.2f}"
        f"{interval}, p {p_value(association.get('p_value'))}; {reading}."
    )


def measure_cell(name: str, measure: dict | None) -> str:
    """A learned measure as a table cell: its mean (the recommend measure: its positive share) and
    its 95 % interval."""
    is_share = name == "recommend"
    value = None if measure is None else measure.get("positive_share" if is_share else "mean")
    if value is None:
        return "-"
    show = share if is_share else rating
    if measure.get("low") is None or measure.get("high") is None:
        return show(value)
    return f"{show(value)} ({show(measure['low'])} to {show(measure['high'])})"
