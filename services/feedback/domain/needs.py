"""The development-needs survey: every need rated 1-5, its ranking and the test of whether
needs differ between regions; the round an answer belongs to, the marker that keeps it once
per person and round, the pseudonym under which a cohort member's latest answer replaces their
earlier one, and the PCN it may name.

Once per round
--------------
One person's answers must not steer a region's ranking, so each person answers once per round:

* when the answer names an offer (`offer_id`, which must be one of the person's): once per
  offer, round `offer/<offer_id>`;
* otherwise: once per region per calendar quarter (UK time), round `region/<region>/<YYYY>-Q<n>`,
  so a region's needs can be asked again each quarter without anyone counting twice in one.

Needs answers are anonymous, so "once" is kept as session feedback keeps it (see `feedback`): a
has-answered set of markers, HMAC-SHA256 under the feedback pepper of (round, person), in a table
of its own that holds the round beside each marker and nothing else: no answer id, no time. The
answer row holds no person and no date, and has a random id; its event carries a fresh id. The
request is neither Idempotency-Keyed nor audited, since either record would say who answered
when, and the answer's event says when and what.

A repeat in a region's quarter answers 409 `needs_already_answered`, which also tells a client
retrying after a lost reply that its answer was kept.

One member, one voice in a cohort's co-design
---------------------------------------------
A member may answer their cohort's survey (`offer_id`) again: the latest answer replaces the
earlier one in the cohort's co-design (scheduling's ranking), never adds to it. So the
`needs.reported` event of a cohort answer carries, as `response_id`, a stable pseudonym of
(person, offer) (`cohort_voice`): HMAC-SHA256 under the feedback pepper of the offer and the
person's *voice secret*, a random value feedback keeps per person under a keyed marker of their
id (`voice_holder`), never beside the id itself. Scheduling's projection upserts by
`response_id`, so the latest answer wins and five members are five answers, however often each
answers. The pseudonym names no one: without the pepper and the secret it cannot be computed
from an id, and two offers' pseudonyms of one person are unrelated. Erasure deletes the voice
secret, so the person's cohort answers stay counted but become unlinkable to them for good, even
by someone holding the pepper and the old id; their next answer could not replace them either.

Feedback's own figures (the region's and PCN's ranking) keep **one voice per person per round**
as well, but the first one: the stored answer carries nothing that links it to its person
(that is what keeps it anonymous in feedback's database), so a later answer cannot find it to
take it out. A repeat for an offer is therefore accepted (201, `replaced: true`) and changes the
cohort's co-design only; the region's figures, the rebuild and the free text keep the first.

The PCN an answer names
-----------------------
A PCN's figures are the ranking of its own people, so an answer may name only the PCN its
person is registered with (enrolment's `participant.registered`, projected by feedback), which
is always a PCN of their region that exists. Anything else is 422 naming `pcn_code`; an answer
that names no PCN counts for the region only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from services.feedback.domain.answers import FieldErrors, checked_rating, checked_text, unknown_fields
from services.feedback.domain.markers import keyed_marker
from services.feedback.domain.running_stats import RunningStats
from services.feedback.domain.scales import LIKERT_5
from services.feedback.domain.statistics import ChiSquareResult, chi_square_independence
from shared.contracts.vocabulary import Need
from shared.errors import Conflict, RuleViolation

NEEDS = Need.values()

_NEEDS_CONTEXT = b"convene.feedback.needs-answered.v1"
_VOICE_HOLDER_CONTEXT = b"convene.feedback.needs-voice-holder.v1"
_COHORT_VOICE_CONTEXT = b"convene.feedback.needs-cohort-voice.v1"


def needs_round(region: str, offer_id: str | None, today: date) -> str:
    """The round an answer belongs to; `today` is the UK date it is given on."""
    if offer_id is not None:
        return f"offer/{offer_id}"
    return f"region/{region}/{today.year:04d}-Q{(today.month - 1) // 3 + 1}"


def needs_marker(pepper: bytes, round_: str, participant_id: str) -> str:
    """One-way, per-round, per-person marker of having answered the needs survey."""
    return keyed_marker(_NEEDS_CONTEXT, pepper, round_, participant_id)


def voice_holder(pepper: bytes, participant_id: str) -> str:
    """The keyed marker under which a person's voice secret is kept: not their id."""
    return keyed_marker(_VOICE_HOLDER_CONTEXT, pepper, participant_id)


def cohort_voice(pepper: bytes, voice_secret: str, offer_id: str) -> str:
    """The `response_id` of a person's answers for one offer: the same for every answer they
    give it (so the latest replaces the earlier in co-design), unrelated across offers, and
    impossible to compute once erasure has deleted the voice secret."""
    return keyed_marker(_COHORT_VOICE_CONTEXT, pepper, offer_id, voice_secret)


def repeat_replaces(offer_id: str | None) -> bool:
    """A second answer in a round: for an offer it replaces the member's answer in the cohort's
    co-design (True); for a region's quarter it is refused, since nothing but feedback's
    figures would hold it and they keep the first."""
    if offer_id is None:
        raise needs_already_answered()
    return True


def needs_already_answered() -> Conflict:
    """The error for a second answer in one round; also what a duplicate marker means."""
    return Conflict(
        "needs_already_answered",
        "You have already answered the needs survey for this round (this offer, or this quarter).",
    )


def needs_pcn(pcn_code: str | None, *, region: str, registered: tuple[str, str] | None) -> str | None:
    """The PCN an answer counts for: None when it names none, else the person's own.

    `registered` is the (region, PCN) enrolment registered the person with, None while feedback
    has not heard of them."""
    if pcn_code is None:
        return None
    if registered is None:
        raise RuleViolation(
            "pcn_not_known_yet",
            "Your PCN is not known here yet: answer without pcn_code, or try again later.",
            field="pcn_code",
        )
    if registered != (region, pcn_code):
        raise RuleViolation("not_your_pcn", "pcn_code must be the PCN you are registered with.", field="pcn_code")
    return pcn_code


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
    errors = FieldErrors()
    if not isinstance(ratings, Mapping):
        errors.add("ratings", "invalid_type", "ratings must map each need to a rating.")
        errors.raise_if_any()
    unknown_fields(errors, ratings, NEEDS, prefix="ratings.")
    clean = {need: checked_rating(errors, f"ratings.{need}", ratings.get(need), 1, 5) for need in NEEDS}
    text = checked_text(errors, "other_needs", other_needs)
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
        region: {need: s.count_of(high) for need, s in by_need.items()} for region, by_need in stats_by_region.items()
    }


def needs_differ_between_regions(
    stats_by_region: Mapping[str, Mapping[str, RunningStats]], high_from: int = 4
) -> ChiSquareResult | None:
    """Chi-square test of independence of region and which needs are rated high.

    Caveat for readers: one person rates every need, so the high ratings in a table are not
    fully independent observations; treat the p-value as a guide, not a verdict.
    """
    return chi_square_independence(needs_contingency(stats_by_region, high_from))
