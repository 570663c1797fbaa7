"""Unit tests of the needs survey's write-path rules (services/feedback/domain/needs.py): which
round an answer is in, the keyed marker of having answered, the PCN an answer may name. No I/O."""
from datetime import date

import pytest

from shared.errors import Conflict, RuleViolation
from services.feedback.domain.feedback import response_marker
from services.feedback.domain.needs import needs_already_answered, needs_marker, needs_pcn, needs_round

PEPPER = b"p" * 32


def test_an_answer_for_an_offer_is_in_that_offers_round_whatever_the_day():
    assert needs_round("Y56", "o-1", date(2027, 1, 1)) == needs_round("Y56", "o-1", date(2031, 12, 31)) == "offer/o-1"


@pytest.mark.parametrize("day, quarter", [
    (date(2027, 1, 1), "2027-Q1"), (date(2027, 3, 31), "2027-Q1"), (date(2027, 4, 1), "2027-Q2"),
    (date(2027, 9, 30), "2027-Q3"), (date(2027, 10, 1), "2027-Q4"), (date(2027, 12, 31), "2027-Q4"),
])
def test_an_answer_without_an_offer_is_in_its_regions_calendar_quarter(day, quarter):
    assert needs_round("Y56", None, day) == f"region/Y56/{quarter}"
    assert needs_round("Y58", None, day) != needs_round("Y56", None, day)


def test_the_marker_is_one_per_round_and_person_and_never_a_session_feedback_marker():
    base = needs_marker(PEPPER, "offer/o-1", "p-1")
    assert base == needs_marker(PEPPER, "offer/o-1", "p-1") and len(base) == 64 and "p-1" not in base
    assert len({base, needs_marker(PEPPER, "offer/o-2", "p-1"), needs_marker(PEPPER, "offer/o-1", "p-2"), needs_marker(b"q" * 32, "offer/o-1", "p-1")}) == 4
    assert needs_marker(PEPPER, "s-1", "p-1") != response_marker(PEPPER, "s-1", "p-1")
    with pytest.raises(ValueError):
        needs_marker(b"short", "offer/o-1", "p-1")


def test_a_repeat_in_one_round_is_a_conflict_named_for_its_rule():
    error = needs_already_answered()
    assert isinstance(error, Conflict) and error.status == 409 and error.rule == "needs_already_answered"


def test_an_answer_may_name_no_pcn_or_the_one_its_person_is_registered_with():
    assert needs_pcn(None, region="Y56", registered=None) is None
    assert needs_pcn("U10001", region="Y56", registered=("Y56", "U10001")) == "U10001"


@pytest.mark.parametrize("pcn, region, registered, rule", [
    ("U10002", "Y56", ("Y56", "U10001"), "not_your_pcn"),  # another PCN of the region
    ("U20002", "Y56", ("Y56", "U10001"), "not_your_pcn"),  # another region's
    ("U10001", "Y58", ("Y56", "U10001"), "not_your_pcn"),  # the token's region is not the registration's
    ("U10001", "Y56", None, "pcn_not_known_yet"),  # a person feedback has not heard of
])
def test_any_other_pcn_is_refused_naming_pcn_code(pcn, region, registered, rule):
    with pytest.raises(RuleViolation) as caught:
        needs_pcn(pcn, region=region, registered=registered)
    assert (caught.value.rule, caught.value.field, caught.value.status) == (rule, "pcn_code", 422)
