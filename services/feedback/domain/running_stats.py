"""Running statistics of one measure: `RunningStats`, a mergeable summary (count, sum, sum of
squares, histogram over a fixed scale). The store keeps one per (scope, region, key, period, measure) and updates it as
answers arrive, so no figure needs a rescan; national figures are the merge of regional
ones. Values are immutable: `add` and `merge` return a new value.

Which of these figures may be shown, and how, is the disclosure policy's to say
(shared/disclosure.py, docs/disclosure.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from services.feedback.domain.scales import FFT, FFT_NEGATIVE, FFT_POSITIVE, SCALES, Scale


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
