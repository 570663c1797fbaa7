"""Feedback domain: session feedback, development-needs surveys, outcome measures.

Pure Python (stdlib + `shared.errors`): the service layer loads what a rule needs (who
was present, which response markers exist), calls these functions, and stores what they
return. Running aggregates live in `aggregates`, the chi-square test in `statistics`, the
disclosure policy in `shared.disclosure`; the names the service needs are re-exported here.

Anonymous feedback and "once each"
----------------------------------
An anonymous answer row must not say who gave it, yet nobody may answer twice. So the two
facts are stored apart:

* `feedback_response` (answer row): the answers, session/offer/region, no participant id
  when anonymous, a random (not sequential) id, and no submission time when anonymous.
* `feedback_responded` (has-responded set): one row per (session, person), holding only
  `response_marker(pepper, session_id, participant_id)` = HMAC-SHA256 under a secret
  pepper kept outside the database, under a UNIQUE constraint, with no timestamp and no
  reference to the answer row.

Both rows are written in one transaction; a unique violation on the marker is mapped to
`feedback_already_given()`. Nothing links a marker to an answer: no foreign key, no shared
id, no time, no insertion order (random ids). With the pepper one can tell *whether*
someone answered (which attendance reveals anyway), never *what* they answered. The same
marker set serves named feedback, so "once each" is checked in one place.
Free text may still identify its author; it never leaves the region (see the brief).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any

from shared.errors import Conflict, RuleViolation

from .aggregates import (
    FFT,
    LIKERT_5,
    OUTCOME_7,
    OutcomeChange,
    RunningStats,
    Scale,
    StatsSummary,
)
from .statistics import ChiSquareResult, chi2_sf, chi_square_independence
from .markers import keyed_marker
from .needs_rules import needs_already_answered, needs_marker, needs_pcn, needs_round

__all__ = [
    # re-exported building blocks
    "FFT", "LIKERT_5", "OUTCOME_7", "OutcomeChange", "RunningStats", "Scale", "StatsSummary",
    "ChiSquareResult", "chi2_sf", "chi_square_independence",
    # this module
    "DEFAULT_FEEDBACK_WINDOW", "MAX_TEXT_LENGTH", "FEEDBACK_MEASURES", "NEEDS",
    "OUTCOME_MEASURES", "LOWER_IS_BETTER", "SCOPES", "SessionInfo", "SessionFeedback",
    "AcceptedFeedback", "AggregateKey", "AggregateUpdate", "response_marker",
    "accept_feedback", "feedback_already_given", "month_of", "aggregate_keys",
    "feedback_updates", "apply_updates", "NeedsSurveyAnswers", "NeedRank",
    "validate_needs_survey", "needs_stats", "add_needs", "rank_needs", "needs_contingency",
    "needs_differ_between_regions", "OutcomeAnswers", "OutcomeResponse", "accept_outcome",
    "empty_outcome_changes", "add_outcome_pair", "outcome_changes",
    # once per round, and the PCN a needs answer may name (from needs_rules.py)
    "needs_round", "needs_marker", "needs_already_answered", "needs_pcn",
]

DEFAULT_FEEDBACK_WINDOW = timedelta(days=14)
MAX_TEXT_LENGTH = 2000

FEEDBACK_MEASURES: dict[str, Scale] = {
    "overall": LIKERT_5,
    "usefulness": LIKERT_5,
    "will_apply": LIKERT_5,
    "recommend": FFT,
}
NEEDS = (
    "leadership", "collaboration", "dealing_with_conflict", "innovation",
    "teamwork", "strategy", "engagement",
)
OUTCOME_MEASURES = ("confidence", "isolation", "trust_in_group", "sense_of_direction")
# Isolation is the one measure where a fall is the good news.
LOWER_IS_BETTER = frozenset({"isolation"})
OUTCOME_PHASES = ("before", "after")

# Where a figure lives. "national" rows are never stored: they are the merge of regional
# rows at publication, so complementary suppression always sees the parts (`suppress`).
# Month is a period, not a scope: region and offer_type rows exist for "all" and per month.
SCOPES = ("session", "offer", "offer_type", "region", "national")
ALL_TIME = "all"

_MARKER_CONTEXT = b"convene.feedback.responded.v1"


# --- validation --------------------------------------------------------------------------


class _Errors:
    """Collects field errors so one response can name every bad field."""

    def __init__(self) -> None:
        self.items: list[dict] = []

    def add(self, field: str, rule: str, detail: str) -> None:
        self.items.append({"field": field, "rule": rule, "detail": detail})

    def raise_if_any(self) -> None:
        if self.items:
            first = self.items[0]
            raise RuleViolation(first["rule"], first["detail"], field=first["field"], extra={"errors": self.items})


def _rating(errors: _Errors, field: str, value: Any, low: int, high: int) -> Any:
    if value is None:
        errors.add(field, "required", f"{field} is required.")
    elif isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.add(field, "out_of_range", f"{field} must be a whole number from {low} to {high}.")
    return value


def _text(errors: _Errors, field: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors.add(field, "invalid_type", f"{field} must be text.")
        return None
    value = value.strip()
    if len(value) > MAX_TEXT_LENGTH:
        # The detail never quotes the text: it reaches logs.
        errors.add(field, "text_too_long", f"{field} must be at most {MAX_TEXT_LENGTH} characters.")
    return value or None


def _unknown(errors: _Errors, given: Iterable[str], allowed: Iterable[str], prefix: str = "") -> None:
    allowed = set(allowed)
    for name in sorted(set(given) - allowed):
        errors.add(f"{prefix}{name}", "unknown_field", f"{prefix}{name} is not a known field.")


# --- session feedback --------------------------------------------------------------------


@dataclass(frozen=True)
class SessionInfo:
    """What feedback knows of a session, from scheduling's events."""

    session_id: str
    offer_id: str
    offer_type: str
    region: str
    ends_at: datetime
    cancelled: bool = False


@dataclass(frozen=True)
class SessionFeedback:
    """The answer row. When `anonymous`, `participant_id` and `given_on` are None."""

    session_id: str
    offer_id: str
    offer_type: str
    region: str
    participant_id: str | None
    anonymous: bool
    overall: int
    usefulness: int
    will_apply: int
    recommend: str
    comment: str | None
    given_on: date | None


@dataclass(frozen=True)
class AggregateKey:
    """One stored aggregate row's identity (the measure is carried beside it)."""

    scope: str
    region: str
    key: str
    period: str


@dataclass(frozen=True)
class AggregateUpdate:
    key: AggregateKey
    measure: str
    value: Any


@dataclass(frozen=True)
class AcceptedFeedback:
    """What to store, in one transaction: the answer row, the has-responded marker (in its
    own table, unlinked), and the aggregate rows to update."""

    record: SessionFeedback
    marker: str
    updates: tuple[AggregateUpdate, ...]


def response_marker(pepper: bytes, session_id: str, participant_id: str) -> str:
    """One-way, per-session, per-person marker: HMAC-SHA256(pepper, session, person)
    (`markers.keyed_marker`: length-prefixed fields, a pepper outside the database)."""
    return keyed_marker(_MARKER_CONTEXT, pepper, session_id, participant_id)


def feedback_already_given() -> Conflict:
    """The error for a second answer; also what a unique violation on the marker means."""
    return Conflict("feedback_already_given", "Feedback for this session has already been given.")


_FEEDBACK_FIELDS = ("overall", "usefulness", "will_apply", "recommend", "comment", "anonymous")


def _validate_feedback_answers(answers: Mapping[str, Any]) -> dict:
    errors = _Errors()
    _unknown(errors, answers, _FEEDBACK_FIELDS)
    clean = {m: _rating(errors, m, answers.get(m), 1, 5) for m in ("overall", "usefulness", "will_apply")}
    recommend = answers.get("recommend")
    if recommend is None:
        errors.add("recommend", "required", "recommend is required.")
    elif recommend not in FFT.values:
        errors.add("recommend", "unknown_choice", "recommend must be one of " + ", ".join(FFT.values) + ".")
    clean["recommend"] = recommend
    clean["comment"] = _text(errors, "comment", answers.get("comment"))
    anonymous = answers.get("anonymous", False)
    if not isinstance(anonymous, bool):
        errors.add("anonymous", "invalid_type", "anonymous must be true or false.")
    clean["anonymous"] = anonymous
    errors.raise_if_any()
    return clean


def accept_feedback(
    session: SessionInfo,
    participant_id: str,
    answers: Mapping[str, Any],
    *,
    present: Container[str],
    responded: Container[str],
    pepper: bytes,
    now: datetime,
    window: timedelta = DEFAULT_FEEDBACK_WINDOW,
) -> AcceptedFeedback:
    """Check one person's feedback on one session and say what to store.

    `answers`: overall, usefulness, will_apply (1-5), recommend (FFT), optional comment
    (<= 2000 characters) and anonymous (default false). `present`: participant ids recorded
    present at the session. `responded`: markers already in the has-responded set.
    `now` and `session.ends_at` must both be naive or both aware.

    Raises RuleViolation (bad field, `session_not_held`, `feedback_window_closed`,
    `not_an_attendee`) or Conflict (`feedback_already_given`).
    """
    if window <= timedelta(0):
        raise ValueError("feedback window must be positive")
    clean = _validate_feedback_answers(answers)

    if session.cancelled or now < session.ends_at:
        raise RuleViolation("session_not_held", "Feedback opens when the session has been held.")
    if now > session.ends_at + window:
        raise RuleViolation(
            "feedback_window_closed",
            f"Feedback closes {window.days} days after the session ends.",
            extra={"closed_at": (session.ends_at + window).isoformat()},
        )
    if participant_id not in present:
        raise RuleViolation("not_an_attendee", "Only people recorded as present at the session may give feedback.")
    marker = response_marker(pepper, session.session_id, participant_id)
    if marker in responded:
        raise feedback_already_given()

    anonymous = clean["anonymous"]
    record = SessionFeedback(
        session_id=session.session_id,
        offer_id=session.offer_id,
        offer_type=session.offer_type,
        region=session.region,
        participant_id=None if anonymous else participant_id,
        anonymous=anonymous,
        overall=clean["overall"],
        usefulness=clean["usefulness"],
        will_apply=clean["will_apply"],
        recommend=clean["recommend"],
        comment=clean["comment"],
        # A submission date could be matched against who was seen answering when.
        given_on=None if anonymous else now.date(),
    )
    return AcceptedFeedback(record=record, marker=marker, updates=tuple(feedback_updates(record, session)))


# --- aggregate rows ----------------------------------------------------------------------


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def aggregate_keys(session: SessionInfo) -> list[AggregateKey]:
    """The stored rows an answer on this session counts towards.

    Figures are filed under the month the session was held, not the month the answer came,
    so a month means "sessions held that month". Pass `ends_at` in local (UK) time.
    """
    r, month = session.region, month_of(session.ends_at.date())
    return [
        AggregateKey("session", r, session.session_id, ALL_TIME),
        AggregateKey("offer", r, session.offer_id, ALL_TIME),
        AggregateKey("offer_type", r, session.offer_type, ALL_TIME),
        AggregateKey("offer_type", r, session.offer_type, month),
        AggregateKey("region", r, r, ALL_TIME),
        AggregateKey("region", r, r, month),
    ]


def feedback_updates(record: SessionFeedback, session: SessionInfo) -> list[AggregateUpdate]:
    """One update per (row, measure). The respondent count is the `overall` row's count."""
    return [
        AggregateUpdate(key, measure, getattr(record, measure))
        for key in aggregate_keys(session)
        for measure in FEEDBACK_MEASURES
    ]


def apply_updates(
    rows: Mapping[tuple[AggregateKey, str], RunningStats], updates: Iterable[AggregateUpdate]
) -> dict[tuple[AggregateKey, str], RunningStats]:
    """New values of the touched rows; a missing row starts empty on its measure's scale."""
    changed: dict[tuple[AggregateKey, str], RunningStats] = {}
    for u in updates:
        slot = (u.key, u.measure)
        current = changed.get(slot) or rows.get(slot) or RunningStats(FEEDBACK_MEASURES[u.measure])
        changed[slot] = current.add(u.value)
    return changed


# --- development-needs survey ------------------------------------------------------------


@dataclass(frozen=True)
class NeedsSurveyAnswers:
    ratings: dict[str, int]
    other_needs: str | None


@dataclass(frozen=True)
class NeedRank:
    rank: int
    need: str
    mean: float | None
    count: int


def validate_needs_survey(ratings: Mapping[str, Any], other_needs: Any = None) -> NeedsSurveyAnswers:
    """Every common need rated 1-5 (field `ratings.<need>`), optional free text."""
    errors = _Errors()
    if not isinstance(ratings, Mapping):
        errors.add("ratings", "invalid_type", "ratings must map each need to a rating.")
        errors.raise_if_any()
    _unknown(errors, ratings, NEEDS, prefix="ratings.")
    clean = {need: _rating(errors, f"ratings.{need}", ratings.get(need), 1, 5) for need in NEEDS}
    text = _text(errors, "other_needs", other_needs)
    errors.raise_if_any()
    return NeedsSurveyAnswers(ratings=clean, other_needs=text)


def add_needs(stats: Mapping[str, RunningStats], answers: NeedsSurveyAnswers) -> dict[str, RunningStats]:
    """Running per-need figures with one more survey counted (for a group or a region)."""
    return {need: stats.get(need, RunningStats(LIKERT_5)).add(answers.ratings[need]) for need in NEEDS}


def needs_stats(responses: Iterable[NeedsSurveyAnswers]) -> dict[str, RunningStats]:
    stats: dict[str, RunningStats] = {need: RunningStats(LIKERT_5) for need in NEEDS}
    for answers in responses:
        stats = add_needs(stats, answers)
    return stats


def rank_needs(stats: Mapping[str, RunningStats]) -> list[NeedRank]:
    """Needs by mean rating, highest first; ties by name; unrated needs last.

    Means compare as exact fractions so 4/3 and 8/6 tie as they should.
    """

    def order(need: str):
        s = stats[need]
        return (0, -Fraction(s.total, s.count), need) if s.count else (1, 0, need)

    return [
        NeedRank(rank=i, need=need, mean=stats[need].mean, count=stats[need].count)
        for i, need in enumerate(sorted(stats, key=order), start=1)
    ]


def needs_contingency(
    stats_by_region: Mapping[str, Mapping[str, RunningStats]], high_from: int = 4
) -> dict[str, dict[str, int]]:
    """Regions x needs table counting ratings of `high_from` or more."""
    high = [v for v in LIKERT_5.values if v >= high_from]
    return {
        region: {need: s.count_of(high) for need, s in by_need.items()}
        for region, by_need in stats_by_region.items()
    }


def needs_differ_between_regions(
    stats_by_region: Mapping[str, Mapping[str, RunningStats]], high_from: int = 4
) -> ChiSquareResult | None:
    """Chi-square test of independence of region and which needs are rated high.

    Caveat for readers: one person rates every need, so the high ratings in a table are not
    fully independent observations; treat the p-value as a guide, not a verdict.
    """
    return chi_square_independence(needs_contingency(stats_by_region, high_from))


# --- outcome measures --------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeAnswers:
    phase: str
    scores: dict[str, int]


@dataclass(frozen=True)
class OutcomeResponse:
    participant_id: str
    offer_id: str
    phase: str
    scores: Mapping[str, int]


def accept_outcome(phase: Any, scores: Mapping[str, Any], *, already_given: bool) -> OutcomeAnswers:
    """Validate one before/after questionnaire: every measure 1-7 (field `scores.<measure>`).

    Once per person, offer and phase: `already_given` -> Conflict `outcome_already_given`.
    """
    errors = _Errors()
    if phase not in OUTCOME_PHASES:
        errors.add("phase", "unknown_choice", "phase must be before or after.")
    if not isinstance(scores, Mapping):
        errors.add("scores", "invalid_type", "scores must map each measure to a score.")
        errors.raise_if_any()
    _unknown(errors, scores, OUTCOME_MEASURES, prefix="scores.")
    clean = {m: _rating(errors, f"scores.{m}", scores.get(m), 1, 7) for m in OUTCOME_MEASURES}
    errors.raise_if_any()
    if already_given:
        raise Conflict("outcome_already_given", f"The {phase} questionnaire for this offer has already been given.")
    return OutcomeAnswers(phase=phase, scores=clean)


def empty_outcome_changes() -> dict[str, OutcomeChange]:
    return {m: OutcomeChange(m, lower_is_better=m in LOWER_IS_BETTER) for m in OUTCOME_MEASURES}


def add_outcome_pair(
    changes: Mapping[str, OutcomeChange], before: Mapping[str, int], after: Mapping[str, int]
) -> dict[str, OutcomeChange]:
    """Count one participant's before/after pair. Call when the second of the two arrives."""
    return {m: changes.get(m, OutcomeChange(m, m in LOWER_IS_BETTER)).add_pair(before[m], after[m])
            for m in OUTCOME_MEASURES}


def outcome_changes(
    responses: Iterable[OutcomeResponse], offers: Mapping[str, tuple[str, str]]
) -> dict[tuple[str, str], dict[str, OutcomeChange]]:
    """Paired change per (offer_type, region): mean(after) - mean(before) over people who
    gave both for the same offer. `offers` maps offer_id to (offer_type, region).

    `OutcomeChange.change` is the raw difference; for isolation a negative change is an
    improvement, which `OutcomeChange.improvement` reports as positive.
    """
    by_person: dict[tuple[str, str], dict[str, Mapping[str, int]]] = {}
    for r in responses:
        if r.offer_id not in offers:
            raise ValueError("response for an unknown offer")
        # Only one per phase is accepted; were there more, the last one read wins.
        by_person.setdefault((r.participant_id, r.offer_id), {})[r.phase] = r.scores
    result: dict[tuple[str, str], dict[str, OutcomeChange]] = {}
    for (_, offer_id), phases in by_person.items():
        if "before" in phases and "after" in phases:
            group = offers[offer_id]
            result[group] = add_outcome_pair(result.get(group) or empty_outcome_changes(),
                                             phases["before"], phases["after"])
    return result
