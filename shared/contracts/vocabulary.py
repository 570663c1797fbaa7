"""The published vocabulary: every closed list of words a request, an event or a figure may
carry, defined once here as an enum. Schemas validate against these, the domain compares with
them, and the AsyncAPI and OpenAPI documents list their values; nothing else spells them."""

from enum import Enum
from types import MappingProxyType


class Vocabulary(str, Enum):
    """A closed list of words. `values()` is what a schema's OneOf takes."""

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(member.value for member in cls)


class Region(Vocabulary):
    """The seven NHS England commissioning regions, by ODS code. The enrolment service's
    regions file (services/enrolment/data/nhs_england_regions.csv) adds their ONS codes and is
    checked against this list."""

    LONDON = "Y56"
    SOUTH_WEST = "Y58"
    SOUTH_EAST = "Y59"
    MIDLANDS = "Y60"
    EAST_OF_ENGLAND = "Y61"
    NORTH_WEST = "Y62"
    NORTH_EAST_AND_YORKSHIRE = "Y63"


REGION_NAMES = MappingProxyType(
    {
        Region.LONDON: "London",
        Region.SOUTH_WEST: "South West",
        Region.SOUTH_EAST: "South East",
        Region.MIDLANDS: "Midlands",
        Region.EAST_OF_ENGLAND: "East of England",
        Region.NORTH_WEST: "North West",
        Region.NORTH_EAST_AND_YORKSHIRE: "North East and Yorkshire",
    }
)
# Pseudo-region of offers open to the whole country: never a person's region, nor a token's.
NATIONAL = "national"


class OfferType(Vocabulary):
    REGIONAL_PROGRAMME = "regional_programme"
    PCN_TEAM = "pcn_team"
    ACTION_LEARNING_SET = "action_learning_set"
    COACHING = "coaching"


class WithdrawalReason(Vocabulary):
    """Why an enrolment ended as `withdrawn` (docs/programme-rules.md, "Endings")."""

    WITHDREW = "withdrew"  # the person left, or their administrator took them out
    PARTICIPANT_ERASED = "participant_erased"  # their personal data was erased
    WAITLIST_RELEASED = "waitlist_released"  # a closed group started: its waitlist could never be reached
    OFFER_CANCELLED = "offer_cancelled"  # the offer was cancelled


class ParticipantRole(Vocabulary):
    CLINICAL_DIRECTOR = "clinical_director"
    PCN_MANAGER = "pcn_manager"
    PRACTICE_MANAGER = "practice_manager"
    GP = "gp"
    NURSE = "nurse"
    PHARMACIST = "pharmacist"
    OTHER = "other"


class LeadershipExperience(Vocabulary):
    NONE = "none"
    PRACTICE = "practice"
    FEDERATION = "federation"
    CCG_OR_ICB_BOARD = "ccg_or_icb_board"


class Need(Vocabulary):
    """The development needs a needs survey rates, 1 to 5 each."""

    LEADERSHIP = "leadership"
    COLLABORATION = "collaboration"
    DEALING_WITH_CONFLICT = "dealing_with_conflict"
    INNOVATION = "innovation"
    TEAMWORK = "teamwork"
    STRATEGY = "strategy"
    ENGAGEMENT = "engagement"


class Recommend(Vocabulary):
    """The Friends and Family Test scale, best first; `dont_know` is outside its score."""

    VERY_GOOD = "very_good"
    GOOD = "good"
    NEITHER = "neither"
    POOR = "poor"
    VERY_POOR = "very_poor"
    DONT_KNOW = "dont_know"


class CoachingGoal(Vocabulary):
    """The kinds of goal a coaching enrolment is for (the brief's coaching: "specific leadership
    development goals, or building own coaching / facilitation skills"). Events and figures
    carry these types only; the coachee's own words stay in scheduling, in their region."""

    LEADERSHIP_GOAL = "leadership_goal"
    COACHING_SKILLS = "coaching_skills"
    FACILITATION_SKILLS = "facilitation_skills"
