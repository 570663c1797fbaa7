"""The conditions for a productive learning community: does each group keep meeting as the same
people, which groups are at risk, and does continuity go with trust and a sense of direction?

Pure functions of plain inputs; no I/O and no store. The store and the event handlers fill the
inputs later from other services' events: a group is an offer whose members meet as one (an
action learning set, a programme cohort); its held sessions and each member's mark at them come
from scheduling's `attendance.recorded` (the latest `recorded_at` wins, as feedback already
keeps it), its membership from enrolment's `enrolment.confirmed` / `promoted` (joined) and
`enrolment.withdrawn` (left), and when it formed from enrolment's `offer.started`. The trust and
direction scores per group come from feedback's own outcome measures (`trust_in_group`,
`sense_of_direction`).

Per group (`group_conditions`)
------------------------------
* A member is expected at a session when a period of their membership covers its start
  (joined_at <= starts_at < left_at), as scheduling's continuity counts it; a mark for someone
  not expected is ignored, and an expected member with no mark was not present.
* Each member's attendance share: sessions present / sessions expected at (members expected at
  none yet take no part). The group's continuity is the **median** of its members' shares: what
  a typical member attends, not moved by one member who never comes (which the pooled share,
  all present / all expected, also given, would be).
* Membership changes: members who joined and who left after the group formed (a member who
  joined late and left counts in both; leaving before the group formed, from the waitlist or
  before the first meeting, is no change to the group); size: the members now.

At-risk flags, with plain-English reasons, on thresholds named below with why they are what
they are: attendance falling over the last sessions, members leaving, too few members left.

Why not a trend test for falling attendance
-------------------------------------------
`insight_statistics.trend_in_proportions` (Cochran-Armitage) treats every mark as an independent
answer, but a group's marks are the same few people session after session: one member who
stops coming is one decision, not six independent absences, so the test's p-value would be far
too small and flag groups on one person's change of job. The flag is a stated margin instead,
last sessions against the earlier ones, which an administrator can check by eye on the register.
Members who have left are no longer expected, so a group losing members shows as members
leaving, and its attendance as the stayers' own.

Disclosure (docs/disclosure.md)
-------------------------------
* A group of fewer than `THRESHOLD` (5) members now is withheld, reason `small_numbers`, as any
  other small cell: no figure, no flag, no reason beside it (`group_view`). Its withholding is
  all a reader learns of it, as with every withheld cell.
* A shown group's counts of people (size, joined, left) are published rounded to a multiple of
  5 (`shown_count`) and its continuity (the median member's share) to two places
  (`shown_ratio`). A flag's reason names the threshold crossed, never a figure, and no flag,
  beside the rounded counts, pins down a count of 1 to 4 (`MAX_LEAVERS`; below a workable
  size, a shown group has 5 members, which the policy allows).
* The pooled attendance shares (all, recent, earlier) go only to the region's administrator,
  who keeps the group's register in scheduling and so learns nothing new from them
  (`group_view(..., keeps_register=True)`). To anyone else they would give attendance counts
  away over time: a pooled share is present / expected person-sessions, so the share read
  before and after one session of a small group, beside its size, tells how many came to it,
  often 1 to 4. The median member's share moves by whole members' attendance and bounds a
  session's count without naming it.
* Nothing here is published across groups but the association, computed over the shown groups
  only and over groups whose outcome scores rest on at least `THRESHOLD` respondents: there is
  no total over all groups beside the shown ones, so no withheld group comes out of a
  difference. The per-group trust and direction scores are inputs only; published per group
  they would be offer-level outcome cells, to be settled against their (region, offer type)
  cell of the outcome table first (`disclosure.children_withheld`).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

# scipy is imported in the functions that use it: at the top of the module it cost every process
# of the service about 100 MB and a second at start, for reads most processes never serve.
from shared.contracts.vocabulary import OfferType
from shared.disclosure import SMALL_NUMBERS, THRESHOLD, shown_count, shown_ratio

PRESENT = "present"
JOINED = "joined"
LEFT = "left"

CONFIDENCE = 0.95

# The offers whose members meet as one group over time: an action learning set, a regional
# programme's cohort, and a PCN's leadership team, which meets together on its shared purpose
# and direction and so depends on the same continuity and trust. Coaching is one person with a
# coach: no group to keep together.
GROUP_OFFER_TYPES = (
    OfferType.ACTION_LEARNING_SET.value,
    OfferType.REGIONAL_PROGRAMME.value,
    OfferType.PCN_TEAM.value,
)

# --- thresholds, and why ---------------------------------------------------------------------

# Falling attendance: the pooled attendance share of the last RECENT_SESSIONS sessions against
# that of every session before them. Three sessions, so one session missed by many (a strike,
# snow, a clash with a PCN board) does not flag a group on its own, while a set meeting monthly
# is flagged within a quarter of starting to drift.
RECENT_SESSIONS = 3
# At least this many earlier sessions to compare with: fewer, and the "earlier" share is itself
# one or two sessions' worth, no steadier than the recent one.
MIN_EARLIER_SESSIONS = 2
# Flag when the recent share is at least this far below the earlier one. In a set of six, one
# regular member who stops coming lowers the share by 1/6 = 0.17: the smallest fall that is a
# person rather than noise, and in a cohort of twelve, two people.
FALL_MARGIN = 0.15
# Members leaving: more than this many leaving after the group formed flags it. One or two
# leavers are ordinary life (a new job, a practice merger); three from a set of six to eight is
# well over a third of it, and changes whom the rest are talking to. Two, not one, also for
# disclosure: the published count of leavers is rounded to 5 (0-2 -> 0, 3-7 -> 5), so the flag
# is raised exactly when the published count is 5 or more and says nothing it does not. A flag
# at "more than one" beside a published 0 would say that exactly 2 people left.
MAX_LEAVERS = 2
# A group with fewer members than this is too small to work: action learning sets are formed
# with six to eight, so that one absence still leaves enough people to question a presenter's
# problem from several sides. (A group under 5 is withheld altogether, see above.)
MIN_WORKABLE_SIZE = 6

# The association across groups is given only over at least this many groups. Below ten a rank
# correlation must be 0.65 or more to reach p < 0.05, its 95 % interval spans most of -1..1 and
# one group moves it a long way: a figure that would read as a finding without being one.
MIN_GROUPS_FOR_ASSOCIATION = 10
# Fisher's z of a Spearman coefficient has variance 1.06 / (n - 3) (Fieller, Hartley and Pearson,
# Biometrika 1957), a little more than Pearson's 1 / (n - 3).
SPEARMAN_FISHER_VARIANCE = 1.06

TOO_FEW_GROUPS = "too_few_groups"
NO_SPREAD = "no_spread"

# The outcome measures whose association with continuity is measured (domain/outcomes.py).
TRUST = "trust_in_group"
DIRECTION = "sense_of_direction"


# --- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionMarks:
    """A held session of the group (not cancelled, already started) and each member's mark at it
    (scheduling's attendance: present, apologies or absent; only present counts as attending)."""

    session_id: str
    starts_at: datetime
    marks: Mapping[str, str]


@dataclass(frozen=True)
class MembershipEvent:
    """A member joined (`JOINED`) or left (`LEFT`) the group at a time."""

    member_id: str
    change: str
    at: datetime

    def __post_init__(self) -> None:
        if self.change not in (JOINED, LEFT):
            raise ValueError(f"a membership change is {JOINED} or {LEFT}")


@dataclass(frozen=True)
class Group:
    """One learning community: an offer whose members meet as a group, when it formed (its first
    meeting, enrolment's `offer.started`), its held sessions and its membership events."""

    group_id: str
    region: str
    offer_type: str
    formed_at: datetime
    sessions: Sequence[SessionMarks]
    memberships: Sequence[MembershipEvent]


@dataclass(frozen=True)
class OutcomeScores:
    """A group's trust and direction scores (means on the outcome measures' scale, or their mean
    change; the same kind for every group) and how many people they rest on."""

    trust_in_group: float | None
    sense_of_direction: float | None
    respondents: int


# --- per group ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Risk:
    """Why a group is at risk: a stable `code` and a sentence for its region's administrator."""

    code: str
    reason: str


FALLING_ATTENDANCE = "falling_attendance"
MEMBERS_LEAVING = "members_leaving"
BELOW_WORKABLE_SIZE = "below_workable_size"


@dataclass(frozen=True)
class GroupConditions:
    """One group's figures, exact (not yet as published: `group_view` gives that).

    `member_shares` maps each member expected at one session or more to their attendance share;
    `continuity` is their median (None before any session), `attendance_share` all present /
    all expected. `recent_share` and `earlier_share` are the pooled shares of the last
    `RECENT_SESSIONS` sessions and of those before (None when there are too few to compare).
    `withheld` is `SMALL_NUMBERS` for a group under `THRESHOLD` members, else None.
    """

    group_id: str
    region: str
    offer_type: str
    sessions: int
    size: int
    members_ever: int
    joined_after_forming: int
    left_after_forming: int
    member_shares: Mapping[str, float]
    continuity: float | None
    attendance_share: float | None
    recent_share: float | None
    earlier_share: float | None
    risks: tuple[Risk, ...]
    withheld: str | None

    @property
    def at_risk(self) -> bool:
        return bool(self.risks)


def membership_periods(events: Iterable[MembershipEvent]) -> dict[str, list[tuple[datetime, datetime | None]]]:
    """{member: [(joined_at, left_at or None)]}, from events in time order (a join while a member
    and a leave while not one change nothing)."""
    periods: dict[str, list[tuple[datetime, datetime | None]]] = {}
    for event in sorted(events, key=lambda e: e.at):
        own = periods.setdefault(event.member_id, [])
        open_now = bool(own) and own[-1][1] is None
        if event.change == JOINED and not open_now:
            own.append((event.at, None))
        elif event.change == LEFT and open_now:
            own[-1] = (own[-1][0], event.at)
    return {member: own for member, own in periods.items() if own}


def _member_at(periods: list[tuple[datetime, datetime | None]], at: datetime) -> bool:
    return any(joined <= at and (left is None or at < left) for joined, left in periods)


def group_conditions(group: Group) -> GroupConditions:
    """The group's continuity, membership changes, size and risks (see the module docstring)."""
    periods = membership_periods(group.memberships)
    sessions = sorted(group.sessions, key=lambda s: (s.starts_at, s.session_id))
    expected = dict.fromkeys(periods, 0)
    present = dict.fromkeys(periods, 0)
    per_session: list[tuple[int, int]] = []  # (present, expected) per session, in order
    for session in sessions:
        here = [m for m, own in periods.items() if _member_at(own, session.starts_at)]
        came = [m for m in here if session.marks.get(m) == PRESENT]
        for m in here:
            expected[m] += 1
        for m in came:
            present[m] += 1
        per_session.append((len(came), len(here)))
    shares = {m: present[m] / expected[m] for m in sorted(periods) if expected[m]}
    size = sum(1 for own in periods.values() if own[-1][1] is None)
    joined = sum(1 for own in periods.values() for joined_at, _ in own if joined_at > group.formed_at)
    left = sum(1 for own in periods.values() for _, left_at in own if left_at is not None and left_at > group.formed_at)
    recent, earlier = _recent_and_earlier(per_session)
    withheld = SMALL_NUMBERS if size < THRESHOLD else None
    return GroupConditions(
        group_id=group.group_id,
        region=group.region,
        offer_type=group.offer_type,
        sessions=len(sessions),
        size=size,
        members_ever=len(periods),
        joined_after_forming=joined,
        left_after_forming=left,
        member_shares=shares,
        continuity=statistics.median(shares.values()) if shares else None,
        attendance_share=_pooled(per_session),
        recent_share=recent,
        earlier_share=earlier,
        risks=() if withheld else _risks(size, left, recent, earlier),
        withheld=withheld,
    )


def _pooled(per_session: Sequence[tuple[int, int]]) -> float | None:
    expected = sum(e for _, e in per_session)
    return sum(p for p, _ in per_session) / expected if expected else None


def _recent_and_earlier(per_session: Sequence[tuple[int, int]]) -> tuple[float | None, float | None]:
    if len(per_session) < RECENT_SESSIONS + MIN_EARLIER_SESSIONS:
        return None, None
    recent = _pooled(per_session[-RECENT_SESSIONS:])
    earlier = _pooled(per_session[:-RECENT_SESSIONS])
    if recent is None or earlier is None:
        return None, None
    return recent, earlier


def _risks(size: int, left: int, recent: float | None, earlier: float | None) -> tuple[Risk, ...]:
    risks = []
    if recent is not None and earlier is not None and earlier - recent >= FALL_MARGIN - 1e-12:
        risks.append(
            Risk(
                FALLING_ATTENDANCE,
                f"Attendance at the last {RECENT_SESSIONS} sessions is {_percent(FALL_MARGIN)} or more "
                "below the earlier sessions.",
            )
        )
    if left > MAX_LEAVERS:
        what = "member" if MAX_LEAVERS == 1 else "members"
        risks.append(
            Risk(
                MEMBERS_LEAVING,
                f"More than {_words(MAX_LEAVERS)} {what} {_has(MAX_LEAVERS)} left since the group formed.",
            )
        )
    if size < MIN_WORKABLE_SIZE:
        risks.append(
            Risk(
                BELOW_WORKABLE_SIZE,
                f"The group has fewer than {MIN_WORKABLE_SIZE} members, too few for its meetings to work well.",
            )
        )
    return tuple(risks)


def _percent(share: float) -> str:
    """A share as a whole percentage, from its published two places (so a reason says no more)."""
    return f"{round(100 * shown_ratio(share))}%"


def _words(n: int) -> str:
    return ("no", "one", "two", "three", "four", "five")[n] if 0 <= n <= 5 else str(n)


def _has(n: int) -> str:
    return "has" if n == 1 else "have"


def group_view(conditions: GroupConditions, *, keeps_register: bool = False) -> dict:
    """A group's figures as published, or only the fact that it is withheld (as `feedback_view`).
    The pooled attendance shares only for a reader who `keeps_register` (the region's
    administrator; see the module docstring), None for anyone else."""
    naming = {"group_id": conditions.group_id, "region": conditions.region, "offer_type": conditions.offer_type}
    if conditions.withheld:
        return naming | {
            "suppressed": True,
            "reason": SMALL_NUMBERS,
            "size": None,
            "joined": None,
            "left": None,
            "continuity": None,
            "attendance_share": None,
            "recent_share": None,
            "earlier_share": None,
            "at_risk": None,
            "risks": [],
        }
    return naming | {
        "suppressed": False,
        "reason": None,
        "size": shown_count(conditions.size),
        "joined": shown_count(conditions.joined_after_forming),
        "left": shown_count(conditions.left_after_forming),
        "continuity": shown_ratio(conditions.continuity),
        "attendance_share": shown_ratio(conditions.attendance_share) if keeps_register else None,
        "recent_share": shown_ratio(conditions.recent_share) if keeps_register else None,
        "earlier_share": shown_ratio(conditions.earlier_share) if keeps_register else None,
        "at_risk": conditions.at_risk,
        "risks": [{"code": r.code, "reason": r.reason} for r in conditions.risks],
    }


def at_risk_in_region(groups: Iterable[GroupConditions], region: str, *, keeps_register: bool = False) -> list[dict]:
    """The shown groups of a region that are at risk, as published (`group_view`), for its
    administrator: most reasons first, then by group id. Withheld groups are not among them (no
    flag beside a withheld group)."""
    flagged = [g for g in groups if g.region == region and not g.withheld and g.at_risk]
    ordered = sorted(flagged, key=lambda g: (-len(g.risks), g.group_id))
    return [group_view(g, keeps_register=keeps_register) for g in ordered]


# --- across groups -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Association:
    """Spearman's rank correlation between groups' continuity and one outcome measure.

    `rho` and its two-sided `p_value` are scipy's (`spearmanr`); `low`..`high` its interval by
    Fisher's z with Spearman's variance 1.06 / (n - 3), None when rho is exactly -1 or 1. When
    it is not given, `rho` is None and `reason` says why: `too_few_groups` (fewer than
    `MIN_GROUPS_FOR_ASSOCIATION` usable groups) or `no_spread` (every group alike on one side).
    """

    measure: str
    groups: int
    rho: float | None = None
    p_value: float | None = None
    low: float | None = None
    high: float | None = None
    confidence: float = CONFIDENCE
    reason: str | None = None


def spearman_interval(rho: float, n: int, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """The interval of a Spearman coefficient on n pairs by Fisher's z: tanh(atanh(rho) +- z * se),
    se = sqrt(1.06 / (n - 3)). None for n <= 3 or rho of exactly -1 or 1 (no finite z)."""
    if n <= 3 or abs(rho) >= 1:
        return None
    centre = math.atanh(rho)
    from scipy.stats import norm

    half = norm.ppf(0.5 + confidence / 2) * math.sqrt(SPEARMAN_FISHER_VARIANCE / (n - 3))
    return math.tanh(centre - half), math.tanh(centre + half)


def association(groups: Iterable[GroupConditions], outcomes: Mapping[str, OutcomeScores], measure: str) -> Association:
    """Does continuity go with `measure` (`TRUST` or `DIRECTION`) across groups?

    Only groups that are shown, have a continuity (a session held), and whose outcome scores on
    the measure rest on at least `THRESHOLD` respondents take part; the count of those is
    `groups`. The figure is given over `MIN_GROUPS_FOR_ASSOCIATION` groups or more.
    """
    if measure not in (TRUST, DIRECTION):
        raise ValueError(f"the measure is {TRUST} or {DIRECTION}")
    pairs = []
    for g in sorted(groups, key=lambda g: g.group_id):
        scores = outcomes.get(g.group_id)
        if g.withheld or g.continuity is None or scores is None or scores.respondents < THRESHOLD:
            continue
        score = getattr(scores, measure)
        if score is not None:
            pairs.append((g.continuity, float(score)))
    n = len(pairs)
    if n < MIN_GROUPS_FOR_ASSOCIATION:
        return Association(measure, n, reason=TOO_FEW_GROUPS)
    x, y = zip(*pairs)
    if len(set(x)) == 1 or len(set(y)) == 1:
        return Association(measure, n, reason=NO_SPREAD)
    from scipy.stats import spearmanr

    result = spearmanr(x, y)
    rho = float(result.statistic)
    interval = spearman_interval(rho, n)
    low, high = interval if interval else (None, None)
    return Association(measure, n, rho=rho, p_value=float(result.pvalue), low=low, high=high)


def association_view(a: Association) -> dict:
    """An association as published: the coefficient, its ends and p-value to two places (p below
    0.01 as 0.0, read "below 0.01")."""
    return {
        "measure": a.measure,
        "groups": a.groups,
        "rho": shown_ratio(a.rho),
        "p_value": shown_ratio(a.p_value),
        "low": shown_ratio(a.low),
        "high": shown_ratio(a.high),
        "confidence": a.confidence,
        "reason": a.reason,
    }
