"""Completion: which confirmed members attended enough of the sessions held to complete an offer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.enrolment.domain.enrolments import EnrolmentStatus
from services.enrolment.domain.values import as_enum
from shared.errors import RuleViolation

DEFAULT_COMPLETION_THRESHOLD = 0.75


@dataclass(frozen=True)
class MemberAttendance:
    """A member's enrolment and how many of the held sessions they were present at."""

    enrolment_id: str
    status: EnrolmentStatus
    sessions_present: int

    def __post_init__(self):
        object.__setattr__(self, "status", as_enum(EnrolmentStatus, self.status, "status"))


def select_completions(
    members: Iterable[MemberAttendance], sessions_held: int, *, threshold: float = DEFAULT_COMPLETION_THRESHOLD
) -> list[str]:
    """Ids of the confirmed enrolments whose attendance share reaches `threshold`.

    share = sessions_present / sessions_held. With no sessions held nobody completes:
    there is no attendance to complete on.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        raise RuleViolation("invalid_threshold", "threshold must be above 0 and at most 1.", field="threshold")
    if sessions_held <= 0:
        return []
    # Compare the quotient, not present >= threshold * held: 0.56 * 25 is 14.000000000000002.
    return [
        m.enrolment_id
        for m in members
        if m.status is EnrolmentStatus.CONFIRMED and m.sessions_present / sessions_held >= threshold
    ]
