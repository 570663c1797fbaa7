"""Who may see and change what: the region scope of every object, not only of routes."""

from shared.auth import Principal, Role
from shared.contracts.vocabulary import NATIONAL
from shared.errors import Forbidden, NotFound

REGIONAL_ROLES = frozenset({Role.REGIONAL_ADMIN, Role.FACILITATOR, Role.COACH, Role.PARTICIPANT})


def region_scope(principal: Principal) -> str | None:
    """The one region the caller's lists are limited to; None for the national team and services."""
    return principal.region if principal.role in REGIONAL_ROLES else None


def sees_offer(principal: Principal, offer) -> bool:
    """Staff see their region's and national offers; participants see every offer once published
    (a catalogue: whether they may enrol is the eligibility rules' answer, by name)."""
    if principal.role is Role.PARTICIPANT:
        return offer["status"] != "draft"
    return region_scope(principal) is None or offer["region"] in (principal.region, NATIONAL)


def manages(principal: Principal, offer) -> bool:
    """A regional administrator runs their region's offers; the national team runs national ones."""
    if principal.role not in (Role.REGIONAL_ADMIN, Role.NATIONAL):
        return False
    return offer["region"] == (principal.region if principal.role is Role.REGIONAL_ADMIN else NATIONAL)


def require_manager(principal: Principal, offer) -> None:
    if not manages(principal, offer):
        raise Forbidden(
            "offer_not_yours",
            "Only the offer's own region's administrator changes it (the national team: national offers only).",
        )


def sees_participant(principal: Principal, participant) -> bool:
    if principal.role is Role.PARTICIPANT:
        return participant["id"] == principal.subject
    return principal.role is Role.REGIONAL_ADMIN and participant["region"] == principal.region


def sees_enrolment(principal: Principal, enrolment) -> bool:
    """The participant's own; an administrator's region's offers, and their people in national ones."""
    if principal.role is Role.PARTICIPANT:
        return enrolment["participant_id"] == principal.subject
    if principal.role is Role.REGIONAL_ADMIN:
        return principal.region in (enrolment["offer_region"], enrolment["participant_region"])
    return False


def not_found(what: str) -> NotFound:
    return NotFound(f"{what}_not_found", f"No such {what}.")
