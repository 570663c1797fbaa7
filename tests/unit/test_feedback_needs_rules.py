"""Unit tests of the needs survey's write-path rules (services/feedback/domain/needs.py): which
round an answer is in, the keyed marker of having answered, a cohort member's one voice, the PCN
an answer may name. No I/O."""

from datetime import date

import pytest

from services.feedback.domain.feedback import response_marker
from services.feedback.domain.needs import (
    cohort_voice,
    needs_already_answered,
    needs_marker,
    needs_pcn,
    needs_round,
    repeat_replaces,
    voice_holder,
)
from shared.errors import Conflict, RuleViolation

PEPPER = b"p" * 32


def test_an_answer_for_an_offer_is_in_that_offers_round_whatever_the_day():
    assert needs_round("Y56", "o-1", date(2027, 1, 1)) == needs_round("Y56", "o-1", date(2031, 12, 31)) == "offer/o-1"


@pytest.mark.parametrize(
    "day, quarter",
    [
        (date(2027, 1, 1), "2027-Q1"),
        (date(2027, 3, 31), "2027-Q1"),
        (date(2027, 4, 1), "2027-Q2"),
        (date(2027, 9, 30), "2027-Q3"),
        (date(2027, 10, 1), "2027-Q4"),
        (date(2027, 12, 31), "2027-Q4"),
    ],
)
def test_an_answer_without_an_offer_is_in_its_regions_calendar_quarter(day, quarter):
    assert needs_round("Y56", None, day) == f"region/Y56/{quarter}"
    assert needs_round("Y58", None, day) != needs_round("Y56", None, day)


def test_the_marker_is_one_per_round_and_person_and_never_a_session_feedback_marker():
    base = needs_marker(PEPPER, "offer/o-1", "p-1")
    assert base == needs_marker(PEPPER, "offer/o-1", "p-1") and len(base) == 64 and "p-1" not in base
    assert (
        len(
            {
                base,
                needs_marker(PEPPER, "offer/o-2", "p-1"),
                needs_marker(PEPPER, "offer/o-1", "p-2"),
                needs_marker(b"q" * 32, "offer/o-1", "p-1"),
            }
        )
        == 4
    )
    assert needs_marker(PEPPER, "s-1", "p-1") != response_marker(PEPPER, "s-1", "p-1")
    with pytest.raises(ValueError):
        needs_marker(b"short", "offer/o-1", "p-1")


def test_a_repeat_in_one_round_is_a_conflict_named_for_its_rule():
    error = needs_already_answered()
    assert isinstance(error, Conflict) and error.status == 409 and error.rule == "needs_already_answered"


def test_a_members_answers_for_one_offer_share_one_pseudonym_that_names_no_one():
    voice = cohort_voice(PEPPER, "secret-1", "o-1")
    assert voice == cohort_voice(PEPPER, "secret-1", "o-1") and len(voice) == 64
    others = {
        cohort_voice(PEPPER, "secret-1", "o-2"),
        cohort_voice(PEPPER, "secret-2", "o-1"),
        cohort_voice(b"q" * 32, "secret-1", "o-1"),
    }
    assert voice not in others and len(others) == 3  # another offer, another person, another pepper
    assert voice != needs_marker(PEPPER, "offer/o-1", "secret-1")  # its own context


def test_a_voice_secret_is_kept_under_a_marker_of_the_person_not_their_id():
    holder = voice_holder(PEPPER, "p-1")
    assert holder == voice_holder(PEPPER, "p-1") != voice_holder(PEPPER, "p-2") and "p-1" not in holder
    assert holder != needs_marker(PEPPER, "p-1", "") and holder != voice_holder(b"q" * 32, "p-1")


def test_a_repeat_for_an_offer_replaces_the_earlier_answer_and_a_repeat_in_a_quarter_is_refused():
    assert repeat_replaces("o-1") is True
    with pytest.raises(Conflict) as caught:
        repeat_replaces(None)
    assert caught.value.rule == "needs_already_answered"


def test_an_answer_may_name_no_pcn_or_the_one_its_person_is_registered_with():
    assert needs_pcn(None, region="Y56", registered=None) is None
    assert needs_pcn("U10001", region="Y56", registered=("Y56", "U10001")) == "U10001"


@pytest.mark.parametrize(
    "pcn, region, registered, rule",
    [
        ("U10002", "Y56", ("Y56", "U10001"), "not_your_pcn"),  # another PCN of the region
        ("U20002", "Y56", ("Y56", "U10001"), "not_your_pcn"),  # another region's
        ("U10001", "Y58", ("Y56", "U10001"), "not_your_pcn"),  # the token's region is not the registration's
        ("U10001", "Y56", None, "pcn_not_known_yet"),  # a person feedback has not heard of
    ],
)
def test_any_other_pcn_is_refused_naming_pcn_code(pcn, region, registered, rule):
    with pytest.raises(RuleViolation) as caught:
        needs_pcn(pcn, region=region, registered=registered)
    assert (caught.value.rule, caught.value.field, caught.value.status) == (rule, "pcn_code", 422)
