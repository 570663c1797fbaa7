"""Running aggregates and small-number suppression for feedback figures.

`RunningStats` is a mergeable summary (count, sum, sum of squares, histogram over a fixed
scale). The store keeps one per (scope, region, key, period, measure) and updates it as
answers arrive, so no figure needs a rescan; national figures are the merge of regional
ones. Values are immutable: `add` and `merge` return a new value.

Which of these figures may be shown, and how, is the disclosure policy's to say
(shared/disclosure.py, docs/disclosure.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any



@dataclass(frozen=True)
class Scale:
    """The closed set of answers a measure allows, in display order."""

    name: str
    values: tuple

    @property
    def numeric(self) -> bool:
        return all(isinstance(v, int) and not isinstance(v, bool) for v in self.values)


LIKERT_5 = Scale("likert_5", (1, 2, 3, 4, 5))
OUTCOME_7 = Scale("outcome_7", (1, 2, 3, 4, 5, 6, 7))
# NHS Friends and Family Test answer set.
FFT = Scale("fft", ("very_good", "good", "neither", "poor", "very_poor", "dont_know"))
SCALES = {s.name: s for s in (LIKERT_5, OUTCOME_7, FFT)}

FFT_POSITIVE = ("very_good", "good")
FFT_NEGATIVE = ("poor", "very_poor")


@dataclass(frozen=True)
class StatsSummary:
    """What a published `RunningStats` shows. Numeric fields are None on a categorical
    scale; FFT shares are None on a numeric one."""

    count: int
    total: int | None
    mean: float | None
    variance: float | None
    distribution: dict
    positive_share: float | None = None
    negative_share: float | None = None


@dataclass(frozen=True)
class RunningStats:
    """Mergeable summary of answers on one scale.

    `histogram[i]` counts answers equal to `scale.values[i]`. `total` and `sum_sq` stay 0 on
    a categorical scale. Integers throughout, so merging in any order gives the same bits.
    """

    scale: Scale
    count: int = 0
    total: int = 0
    sum_sq: int = 0
    histogram: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not self.histogram:
            object.__setattr__(self, "histogram", (0,) * len(self.scale.values))
        if len(self.histogram) != len(self.scale.values):
            raise ValueError("histogram does not match the scale")
        if sum(self.histogram) != self.count or min(self.histogram) < 0:
            raise ValueError("histogram does not add up to count")

    @classmethod
    def empty(cls, scale: Scale) -> RunningStats:
        return cls(scale)

    @classmethod
    def of(cls, scale: Scale, values: Iterable) -> RunningStats:
        stats = cls(scale)
        for v in values:
            stats = stats.add(v)
        return stats

    @classmethod
    def from_counts(cls, scale: Scale, counts: Mapping) -> RunningStats:
        """A figure from how many answered each value: {value: answers}."""
        for value in counts:
            RunningStats(scale)._index(value)  # refuses a value off the scale
        histogram = tuple(counts.get(v, 0) for v in scale.values)
        if not scale.numeric:
            return cls(scale, sum(histogram), 0, 0, histogram)
        pairs = list(zip(scale.values, histogram))
        return cls(scale, sum(histogram), sum(v * n for v, n in pairs), sum(v * v * n for v, n in pairs), histogram)

    def _index(self, value: Any) -> int:
        # bool is an int in Python; True must not pass as a rating of 1.
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not on scale {self.scale.name}")
        try:
            return self.scale.values.index(value)
        except ValueError:
            raise ValueError(f"{value!r} is not on scale {self.scale.name}") from None

    def add(self, value: Any) -> RunningStats:
        """A new value with one more answer counted."""
        i = self._index(value)
        hist = list(self.histogram)
        hist[i] += 1
        numeric = self.scale.numeric
        return RunningStats(
            self.scale,
            self.count + 1,
            self.total + (value if numeric else 0),
            self.sum_sq + (value * value if numeric else 0),
            tuple(hist),
        )

    def merge(self, other: RunningStats) -> RunningStats:
        """A new value counting the answers of both."""
        if other.scale != self.scale:
            raise ValueError("cannot merge figures on different scales")
        return RunningStats(
            self.scale,
            self.count + other.count,
            self.total + other.total,
            self.sum_sq + other.sum_sq,
            tuple(a + b for a, b in zip(self.histogram, other.histogram)),
        )

    @property
    def mean(self) -> float | None:
        if not self.scale.numeric or self.count == 0:
            return None
        return self.total / self.count

    @property
    def variance(self) -> float | None:
        """Sample variance (n - 1), None below 2 answers or on a categorical scale."""
        if not self.scale.numeric or self.count < 2:
            return None
        # Exact integer numerator avoids the cancellation of the naive float formula.
        return (self.count * self.sum_sq - self.total * self.total) / (self.count * (self.count - 1))

    @property
    def stdev(self) -> float | None:
        v = self.variance
        return None if v is None else math.sqrt(v)

    @property
    def distribution(self) -> dict:
        return dict(zip(self.scale.values, self.histogram))

    def count_of(self, values: Iterable) -> int:
        return sum(self.histogram[self._index(v)] for v in values)

    def share(self, values: Iterable) -> float | None:
        return None if self.count == 0 else self.count_of(values) / self.count

    def summary(self) -> StatsSummary:
        is_fft = self.scale == FFT
        return StatsSummary(
            count=self.count,
            total=self.total if self.scale.numeric else None,
            mean=self.mean,
            variance=self.variance,
            distribution=self.distribution,
            # FFT "percentage positive/negative" use all answers, "don't know" included,
            # as NHS England publishes them.
            positive_share=self.share(FFT_POSITIVE) if is_fft else None,
            negative_share=self.share(FFT_NEGATIVE) if is_fft else None,
        )

    def to_dict(self) -> dict:
        """JSON-ready form for a store column; `from_dict` reverses it."""
        return {
            "scale": self.scale.name,
            "count": self.count,
            "total": self.total,
            "sum_sq": self.sum_sq,
            "histogram": list(self.histogram),
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> RunningStats:
        return cls(
            SCALES[data["scale"]],
            int(data["count"]),
            int(data["total"]),
            int(data["sum_sq"]),
            tuple(int(n) for n in data["histogram"]),
        )


@dataclass(frozen=True)
class OutcomeChange:
    """Paired before/after answers on one outcome measure (1-7).

    Only participants who answered both are added, as a pair, so `change` is the mean
    within-person change. `improvement` flips the sign for measures where lower is better
    (isolation), so a positive improvement always means things got better.
    """

    measure: str
    lower_is_better: bool = False
    before: RunningStats = field(default_factory=lambda: RunningStats(OUTCOME_7))
    after: RunningStats = field(default_factory=lambda: RunningStats(OUTCOME_7))

    @property
    def count(self) -> int:
        return self.before.count

    def add_pair(self, before: int, after: int) -> OutcomeChange:
        return OutcomeChange(self.measure, self.lower_is_better, self.before.add(before), self.after.add(after))

    def merge(self, other: OutcomeChange) -> OutcomeChange:
        if (other.measure, other.lower_is_better) != (self.measure, self.lower_is_better):
            raise ValueError("cannot merge changes of different measures")
        return OutcomeChange(
            self.measure, self.lower_is_better, self.before.merge(other.before), self.after.merge(other.after)
        )

    @property
    def change(self) -> float | None:
        if self.count == 0:
            return None
        return (self.after.total - self.before.total) / self.count

    @property
    def improvement(self) -> float | None:
        c = self.change
        if c is None:
            return None
        return -c if self.lower_is_better else c

    def summary(self) -> dict:
        return {
            "measure": self.measure,
            "pairs": self.count,
            "mean_before": self.before.mean,
            "mean_after": self.after.mean,
            "change": self.change,
            "improvement": self.improvement,
            "lower_is_better": self.lower_is_better,
        }
