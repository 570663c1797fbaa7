"""The commissioners' insight, question 4: are we creating the conditions for a learning community?"""

from services.feedback import schemas as s
from services.feedback.api.roles import READERS
from services.feedback.usecases import conditions as usecase
from shared.api import Api

conditions_api = Api("conditions", __name__, tag="insight")


@conditions_api.get(
    "/v1/insight/conditions",
    summary="Each group's continuity, membership changes and size, the groups at risk, and how continuity goes "
    "with trust and direction",
    roles=READERS,
    query=s.ConditionsQuerySchema,
    response=s.ConditionsSchema,
)
def conditions(unit, query):
    return usecase.conditions(unit, query)
