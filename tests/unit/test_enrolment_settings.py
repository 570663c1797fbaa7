"""Unit tests of enrolment's settings: the completion threshold is read from the environment
and a wrong one stops the service at start. No I/O."""

import pytest

from services.enrolment.settings import EnrolmentSettings


def test_the_completion_threshold_defaults_to_three_quarters_and_is_read_from_the_environment():
    assert EnrolmentSettings.load({}).completion_threshold == 0.75
    assert EnrolmentSettings.load({"COMPLETION_THRESHOLD": "0.6"}).completion_threshold == 0.6


@pytest.mark.parametrize("threshold", ["0", "-0.1", "1.01", "75"])
def test_a_completion_threshold_outside_zero_to_one_stops_the_service_at_start(threshold):
    with pytest.raises(ValueError, match="COMPLETION_THRESHOLD"):
        EnrolmentSettings.load({"COMPLETION_THRESHOLD": threshold})
