"""Which events a subscription receives: its event types, and the regions it is bound to.

A subscription bound to regions receives only events of those regions. An event without a
region (the national summaries of feedback, whose national scope has none) belongs to no
region, so only a subscription bound to no region receives it: a region's system must never
be handed figures it did not ask for, and cannot tell apart from its own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Filter:
    types: frozenset[str]  # event types; empty: every type
    regions: frozenset[str]  # region codes (or `national`); empty: every region, and events without one

    def accepts(self, event_type: str, region: str | None) -> bool:
        if self.types and event_type not in self.types:
            return False
        if not self.regions:
            return True
        return region is not None and region in self.regions


def regions_of(expressions: list) -> list[str]:
    """The regions a subscription's `filters` (CloudEvents Subscriptions API filter expressions)
    bind it to. Convene understands the `exact` dialect on the `region` attribute, alone or as
    alternatives under `any`: `[{"exact": {"region": "Y56"}}]`,
    `[{"any": [{"exact": {"region": "Y56"}}, {"exact": {"region": "Y58"}}]}]`. The spec ANDs the
    expressions of the list, so at most one may be given. ValueError says what is wrong."""
    if not expressions:
        return []
    if len(expressions) > 1:
        raise ValueError("give one filter expression; several regions go under `any`")
    expression = expressions[0]
    alternatives = (
        expression.get("any") if isinstance(expression, dict) and set(expression) == {"any"} else [expression]
    )
    if not isinstance(alternatives, list) or not alternatives:
        raise ValueError("`any` takes a non-empty list of `exact` expressions")
    regions = []
    for alternative in alternatives:
        if not (isinstance(alternative, dict) and set(alternative) == {"exact"}):
            raise ValueError("only the `exact` and `any` dialects are supported")
        exact = alternative["exact"]
        if not (isinstance(exact, dict) and set(exact) == {"region"} and isinstance(exact["region"], str)):
            raise ValueError("an `exact` expression names the `region` attribute only")
        regions.append(exact["region"])
    return sorted(set(regions))


def expressions_of(regions: list[str]) -> list[dict]:
    """The `filters` that `regions_of` reads back as `regions`."""
    if not regions:
        return []
    if len(regions) == 1:
        return [{"exact": {"region": regions[0]}}]
    return [{"any": [{"exact": {"region": region}} for region in regions]}]
