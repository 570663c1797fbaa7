"""Unit tests of the rule that an "after" outcome measure needs the offer to have run
(services/feedback/domain/outcomes.py): completed, or a set share of its planned sessions held.
No I/O."""

import pytest

from services.feedback.domain.outcomes import OfferProgress, check_phase_allowed, has_run
from shared.errors import Conflict


@pytest.mark.parametrize(
    "status, planned, held, share, run",
    [
        ("completed", 6, 0, 0.5, True),  # completion is enough, whatever was held
        ("completed", None, 0, 0.5, True),
        ("started", 6, 3, 0.5, True),  # exactly the share
        ("started", 6, 2, 0.5, False),
        ("published", 6, 0, 0.5, False),
        ("started", 3, 1, 0.34, False),  # 1/3 is less than 0.34, compared exactly
        ("started", 3, 1, 0.33, True),
        ("started", 4, 4, 1.0, True),
        ("started", None, 5, 0.5, False),  # planned sessions not known yet: wait for completion
        ("cancelled", 6, 3, 0.5, True),  # it ran its share before it was cancelled
    ],
)
def test_an_offer_has_run_when_completed_or_its_share_of_planned_sessions_is_held(status, planned, held, share, run):
    assert has_run(OfferProgress(status, planned, held), share) is run


def test_a_before_is_always_taken():
    check_phase_allowed("before", OfferProgress("published", 6, 0), 0.5)


def test_an_after_on_an_offer_that_has_not_run_is_a_conflict_naming_the_rule_and_the_phase():
    with pytest.raises(Conflict) as caught:
        check_phase_allowed("after", OfferProgress("started", 6, 2), 0.5)
    error = caught.value
    assert (error.status, error.rule, error.field) == (409, "offer_not_run_yet", "phase")
    assert "50%" in error.detail and "6 planned sessions" in error.detail and "2 so far" in error.detail


def test_an_after_is_taken_once_the_offer_has_run():
    check_phase_allowed("after", OfferProgress("started", 6, 3), 0.5)
    check_phase_allowed("after", OfferProgress("completed", 6, 0), 0.5)
