"""Where figures are filed: the stored aggregate rows (scope, region, key, period) and the
published table's cells that an answer or an attendance counts in. This module is the only
place that says so; the live answer, the event handlers and the rebuild all ask it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from services.feedback.domain.figures import Figures
from services.feedback.domain.goals import NOT_SET, SPLIT_OFFER_TYPE
from services.feedback.domain.outcomes import OUTCOME_MEASURES
from services.feedback.domain.sessions import SessionInfo
from shared.contracts.vocabulary import NATIONAL, OfferType, Region

# Cells of the published table: (region | ALL, offer_type | ALL, month | ALL_TIME).
ALL = "*"
ALL_TIME = "all"
REGIONS = (*Region.values(), NATIONAL)  # an offer may belong to `national`: a region of its own here
OFFER_TYPES = OfferType.values()
# Where a figure lives. "national" rows are never stored: they are the merge of regional
# rows at publication, so complementary suppression always sees the parts.
# Month is a period, not a scope: region and offer_type rows exist for "all" and per month.
SCOPES = ("session", "offer", "offer_type", "region", "national")


@dataclass(frozen=True)
class AggregateKey:
    """One stored aggregate row's identity (the measure is carried beside it)."""

    scope: str
    region: str
    key: str
    period: str


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def session_keys(session: SessionInfo) -> list[AggregateKey]:
    """The stored rows an answer on this session, and each of its attendees, count in.

    Figures are filed under the month the session was held, not the month the answer came,
    so a month means "sessions held that month" (`ends_at` is in UK time). While the
    session's offer type is unknown (attendance may arrive before its offer) there are no
    offer-type rows; `offer_type_learned` files them once it is known.
    """
    r, month = session.region, month_of(session.ends_at.date())
    keys = [
        AggregateKey("session", r, session.session_id, ALL_TIME),
        AggregateKey("offer", r, session.offer_id, ALL_TIME),
    ]
    if session.offer_type is not None:
        keys += [AggregateKey("offer_type", r, session.offer_type, period) for period in (ALL_TIME, month)]
    return keys + [AggregateKey("region", r, r, period) for period in (ALL_TIME, month)]


def needs_keys(region: str, pcn_code: str | None) -> list[AggregateKey]:
    """A needs answer counts for its region, and for its PCN when it names one."""
    return [AggregateKey("region", region, region, ALL_TIME)] + (
        [AggregateKey("pcn", region, pcn_code, ALL_TIME)] if pcn_code else []
    )


def outcome_keys(region: str, offer_type: str, goals: str | None = None) -> list[AggregateKey]:
    """An outcome pair counts for its offer's (region, offer type); a coaching pair also in
    the one cell of its coachee's combination of goal types (domain/goals.py)."""
    keys = [AggregateKey("offer_type", region, offer_type, ALL_TIME)]
    if offer_type == SPLIT_OFFER_TYPE:
        keys.append(AggregateKey("goals", region, goals or NOT_SET, ALL_TIME))
    return keys


def table_cells(key: AggregateKey) -> list[tuple]:
    """The published table's cells a stored feedback row adds to: a region row to its region's
    and the national cell, an offer-type row to its region's and the national cell of its type."""
    if key.scope == "region":
        return [(key.region, ALL, key.period), (ALL, ALL, key.period)]
    if key.scope == "offer_type":
        return [(key.region, key.key, key.period), (ALL, key.key, key.period)]
    return []


def published_cells(session: SessionInfo) -> list[tuple]:
    """The published cells an answer on this session adds to."""
    return sorted({cell for key in session_keys(session) for cell in table_cells(key)})


@dataclass(frozen=True)
class Counted:
    """What answers or attendance add to the running aggregates: figures per (family, row)
    and attendees per row. One `Counted` is written in one go (store.aggregates.add)."""

    figures: Mapping[tuple[str, AggregateKey], Figures] = field(default_factory=dict)
    attendees: Mapping[AggregateKey, int] = field(default_factory=dict)

    @classmethod
    def total(cls, parts: Iterable[Counted]) -> Counted:
        """Several counted at once, one entry per row: a statement may not add to a row twice."""
        figures: dict[tuple[str, AggregateKey], Figures] = {}
        attendees: dict[AggregateKey, int] = {}
        for part in parts:
            for slot, added in part.figures.items():
                figures[slot] = figures[slot].merge(added) if slot in figures else added
            for key, n in part.attendees.items():
                attendees[key] = attendees.get(key, 0) + n
        return cls(figures, attendees)

    @property
    def cells(self) -> list[tuple]:
        """The published table's cells whose figures this changes."""
        return sorted({cell for family, key in self.figures if family == "feedback" for cell in table_cells(key)})


def feedback_counted(session: SessionInfo, figures: Figures) -> Counted:
    """Session feedback counted: one answer's `Figures.answer("feedback", scores)`, or in a
    rebuild every answer on the session at once."""
    return Counted(figures={("feedback", key): figures for key in session_keys(session)})


def feedback_counts_counted(by_session: Iterable[tuple[SessionInfo, Mapping[str, Mapping]]]) -> Counted:
    """Many sessions' answers at once (a rebuild), each as {measure: {value: answers}}, filed as
    `feedback_counted` files them; summed per row before any figure is built, so the work grows
    with the rows rather than the sessions."""
    totals: dict[AggregateKey, dict] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for session, by_measure in by_session:
        for key in session_keys(session):
            for measure, by_value in by_measure.items():
                for value, n in by_value.items():
                    totals[key][measure][value] += n
    return Counted(
        figures={("feedback", key): Figures.from_counts("feedback", by_measure) for key, by_measure in totals.items()}
    )


def attendance_counted(session: SessionInfo, change: int) -> Counted:
    """`change` more attendees present at the session (negative when marked absent again)."""
    return Counted(attendees={key: change for key in session_keys(session)})


def offer_type_learned(session: SessionInfo, present: int) -> Counted:
    """Attendees counted before their offer's type was known, filed under its offer-type rows now."""
    return Counted(attendees={key: present for key in session_keys(session) if key.scope == "offer_type"})


def needs_counted(region: str, pcn_code: str | None, figures: Figures) -> Counted:
    return Counted(figures={("needs", key): figures for key in needs_keys(region, pcn_code)})


def outcome_counted(
    region: str, offer_type: str, before: Mapping[str, int], after: Mapping[str, int], goals: str | None = None
) -> Counted:
    """One person's before/after pair, counted when the second of the two arrives: change is
    within-person. `goals` is a coachee's `goal_combination` (None: not set)."""
    values = {f"{m}.before": before[m] for m in OUTCOME_MEASURES} | {f"{m}.after": after[m] for m in OUTCOME_MEASURES}
    return Counted(
        figures={
            ("outcomes", key): Figures.answer("outcomes", values) for key in outcome_keys(region, offer_type, goals)
        }
    )
