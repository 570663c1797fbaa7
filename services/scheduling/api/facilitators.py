"""Facilitators and coaches: registration and look-up, by region, kind and skill."""

from services.scheduling.api.roles import ADMIN, LEADERS
from services.scheduling.schemas import FacilitatorCreateSchema, FacilitatorListQuery, FacilitatorSchema
from services.scheduling.usecases import facilitators
from shared.api import Api

facilitators_api = Api("facilitators", __name__)


@facilitators_api.post(
    "/v1/facilitators",
    summary="Register a facilitator or coach in the caller's region",
    roles=ADMIN,
    body=FacilitatorCreateSchema,
    response=FacilitatorSchema,
    status=201,
    idempotent=True,
)
def add_facilitator(unit, body):
    return facilitators.add_facilitator(unit, body)


@facilitators_api.get(
    "/v1/facilitators",
    summary="Facilitators and coaches of the caller's region",
    roles=ADMIN,
    query=FacilitatorListQuery,
    response=FacilitatorSchema,
    paged=True,
)
def list_facilitators(unit, query):
    return facilitators.list_facilitators(unit, query)


@facilitators_api.get(
    "/v1/facilitators/<facilitator_id>",
    summary="One facilitator or coach (a facilitator or coach: their own record)",
    roles=LEADERS,
    response=FacilitatorSchema,
)
def get_facilitator(unit, facilitator_id):
    return facilitators.get_facilitator(unit, facilitator_id)
