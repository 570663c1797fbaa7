"""The closed answer sets of feedback's measures: 1-5, 1-7, and the Friends and Family Test
scale (shared.contracts.vocabulary.Recommend)."""

from __future__ import annotations

from dataclasses import dataclass

from shared.contracts.vocabulary import Recommend


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
FFT = Scale("fft", Recommend.values())
SCALES = {s.name: s for s in (LIKERT_5, OUTCOME_7, FFT)}

FFT_POSITIVE = (Recommend.VERY_GOOD.value, Recommend.GOOD.value)
FFT_NEGATIVE = (Recommend.POOR.value, Recommend.VERY_POOR.value)
