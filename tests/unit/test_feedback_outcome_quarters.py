"""Outcome changes by quarter, as published: the mean within-person change with a 95 % interval
from the published (rounded) distribution of changes, checked against scipy on that
distribution, nothing but the fact of it for a withheld quarter, and quarter cells that no
subtraction from the outcome table or each other turns into a group under 5."""

from __future__ import annotations

import random

import numpy as np
import pytest
from scipy import stats

from services.feedback.domain.aggregates import ALL, ALL_TIME
from services.feedback.domain.insight import UNDATED, dated_cells_withheld
from services.feedback.domain.outcomes import CHANGE, changes_of, quarter_changes_view
from shared.disclosure import THRESHOLD, margin_relations, shown_ratio, with_margins, withhold

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
    assert view["measures"]["isolation"] == {"change": 0.0, "low": None, "high": None}  # one bucket: spread unknown


def test_a_change_can_fall_and_its_interval_stays_on_the_scale():
    view = quarter_changes_view("2026-Q2", changes_of(pairs([-6] * 7 + [-5] * 3, before=7)), None)
    confidence = view["measures"]["confidence"]
    assert confidence["change"] == -5.7 and confidence["low"] >= CHANGE.values[0] and confidence["high"] < 0


@pytest.mark.parametrize("reason", ["below_threshold", "complementary"])
def test_a_withheld_quarter_shows_only_that_it_is_withheld(reason):
    assert quarter_changes_view("2026-Q2", changes_of(pairs([1, 2, 3])), reason) == {
        "quarter": "2026-Q2",
        "suppressed": True,
        "reason": "small_numbers",
        "respondents": None,
        "measures": {},
    }


REGIONS, TYPES, QUARTERS = ("Y56", "Y58"), ("coaching", "action_learning_set"), ("2026-Q1", "2026-Q2")


def test_no_outcome_quarter_can_be_worked_out_as_a_group_under_five_from_what_is_shown():
    rng = random.Random(5)
    periods = (*QUARTERS, UNDATED)
    axes = [(ALL, REGIONS), (ALL, TYPES), (ALL_TIME, periods)]
    relations = margin_relations(axes)
    for _ in range(150):
        counts = {(r, t, q): rng.choice((0, 0, 1, 2, 4, 6, 11)) for r in REGIONS for t in TYPES for q in periods}
        counts = {cell: n for cell, n in counts.items() if n}
        full = with_margins(counts, axes)
        table = {cell[:2]: n for cell, n in full.items() if cell[2] == ALL_TIME}
        table_withheld = withhold(table, margin_relations(axes[:2]), THRESHOLD)
        published = {cell: table_withheld.get(cell) for cell in table}
        withheld = dated_cells_withheld(counts, axes[:2], published)
        shown = {c for c, reason in withheld.items() if reason is None}
        assert all(full[c] >= THRESHOLD for c in shown)
        from_table = _closure({(*c, ALL_TIME) for c, reason in published.items() if reason is None}, full, relations)
        for cell in _closure(from_table | shown, full, relations) - from_table:
            assert full[cell] >= THRESHOLD, (counts, cell)


def _closure(known, full, relations):
    known = set(known)
    changed = True
    while changed:
        changed = False
        for total, parts in relations:
            unknown = [c for c in (total, *parts) if full.get(c, 0) > 0 and c not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                changed = True
    return known
