"""Outcome changes by quarter, as published: the mean within-person change with a 95 % interval
from the published (rounded) distribution of changes, checked against scipy on that
distribution, and nothing but the fact of it for a withheld quarter."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from services.feedback.domain.outcomes import CHANGE, changes_of, quarter_changes_view
from shared.disclosure import shown_ratio

SAME = {"isolation": 4, "trust_in_group": 4, "sense_of_direction": 4}


def pairs(changes, before=3):
    return [({"confidence": before} | SAME, {"confidence": before + c} | SAME) for c in changes]


def test_a_change_has_the_t_interval_of_the_published_changes_centred_on_its_mean():
    changes = [2] * 8 + [1] * 6 + [3] * 4 + [0] * 3  # 21 pairs; published buckets 10, 5, 5, 5
    view = quarter_changes_view("2026-Q2", changes_of(pairs(changes)), None)
    assert view["respondents"] == 20 and view["suppressed"] is False
    published = np.repeat([2, 1, 3, 0], [10, 5, 5, 5])
    sem = stats.sem(published)
    half = stats.t.ppf(0.975, len(published) - 1) * sem
    mean = float(np.mean(changes))
    confidence = view["measures"]["confidence"]
    assert confidence == {
        "change": shown_ratio(mean),
        "low": shown_ratio(mean - half),
        "high": shown_ratio(mean + half),
    }
    assert view["measures"]["isolation"] == {"change": 0.0, "low": 0.0, "high": 0.0}


def test_a_change_can_fall_and_its_interval_stays_on_the_scale():
    view = quarter_changes_view("2026-Q2", changes_of(pairs([-6] * 9 + [-5], before=7)), None)
    confidence = view["measures"]["confidence"]
    assert confidence["change"] == -5.9 and confidence["low"] >= CHANGE.values[0] and confidence["high"] < 0


@pytest.mark.parametrize("reason", ["below_threshold", "complementary"])
def test_a_withheld_quarter_shows_only_that_it_is_withheld(reason):
    assert quarter_changes_view("2026-Q2", changes_of(pairs([1, 2, 3])), reason) == {
        "quarter": "2026-Q2",
        "suppressed": True,
        "reason": "small_numbers",
        "respondents": None,
        "measures": {},
    }
