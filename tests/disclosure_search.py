"""A differencing search over published figures, as an attacker would run it (docs/disclosure.md).

Each figure a role fetched is a `Figure`: the set of answering units it covers (its
population, known to the test that seeded the data), its filters, and its counts of people
(respondents, attendees, each distribution bucket, pairs) or None when withheld. The search
tries what the threat model names:

- every count on its own;
- every single subtraction A − B where B's population lies inside A's;
- every margin: A minus the sum of the shown figures of one kind inside it, when the figures
  of that kind inside A are disjoint (regions of a national figure, months of an all-time
  one, offers of an offer type, sessions of an offer, PCNs of a region);
- every two-filter overlap: A − (B + C − D) where B and C lie inside A and D is their overlap
  (what lies in A but in neither filter).

A result of 1 to 4 is a disclosure. Pure Python; the integration test feeds it real answers.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

SMALL = range(1, 5)


@dataclass(frozen=True)
class Figure:
    name: str
    kind: str  # which filters made it, e.g. "region", "region+offer_type", "session"
    population: frozenset
    counts: dict | None = field(default=None, hash=False, compare=False)  # None: withheld


@dataclass(frozen=True)
class Disclosure:
    how: str
    measure: str
    value: int


def search(figures: list[Figure]) -> list[Disclosure]:
    shown = [f for f in _distinct(figures) if f.counts is not None]
    found = _alone(shown) + _subtractions(shown) + _margins(shown) + _overlaps(shown)
    return sorted(set(found), key=lambda d: (d.how, d.measure))


def _distinct(figures: list[Figure]) -> list[Figure]:
    """One figure per (kind, population): the same cell fetched by several roles or routes is
    one figure, unless the copies disagree, which is itself a finding (kept twice)."""
    seen: dict = {}
    for figure in figures:
        seen.setdefault((figure.kind, figure.population, tuple(sorted((figure.counts or {}).items()))), figure)
    return list(seen.values())


def _difference(total: dict, parts: list[dict]) -> dict:
    return {m: total[m] - sum(p.get(m, 0) for p in parts) for m in total}


def _small(how: str, values: dict) -> list[Disclosure]:
    return [Disclosure(how, m, v) for m, v in values.items() if v in SMALL]


def _alone(shown: list[Figure]) -> list[Disclosure]:
    return [d for f in shown for d in _small(f.name, f.counts)]


def _subtractions(shown: list[Figure]) -> list[Disclosure]:
    found = []
    for a, b in itertools.permutations(shown, 2):
        if b.population < a.population:
            found += _small(f"{a.name} - {b.name}", _difference(a.counts, [b.counts]))
    return found


def _margins(shown: list[Figure]) -> list[Disclosure]:
    found = []
    kinds = {f.kind for f in shown}
    for total in shown:
        for kind in kinds:
            parts = [f for f in shown if f.kind == kind and f.population < total.population]
            if len(parts) < 2 or not _disjoint(parts):
                continue
            found += _small(f"{total.name} - shown {kind}s", _difference(total.counts, [p.counts for p in parts]))
    return found


def _overlaps(shown: list[Figure]) -> list[Disclosure]:
    by_population = {f.population: f for f in shown}
    found = []
    for total in shown:
        inside = [f for f in shown if f.population < total.population]
        for b, c in itertools.combinations(inside, 2):
            both = by_population.get(b.population & c.population)
            if both is None or b.population <= c.population or c.population <= b.population:
                continue
            union = {m: b.counts[m] + c.counts[m] - both.counts.get(m, 0) for m in b.counts if m in c.counts}
            rest = {m: total.counts[m] - union[m] for m in union if m in total.counts}
            found += _small(f"{total.name} - ({b.name} or {c.name})", rest)
    return found


def _disjoint(parts: list[Figure]) -> bool:
    union: set = set()
    for part in parts:
        if union & part.population:
            return False
        union |= part.population
    return True
