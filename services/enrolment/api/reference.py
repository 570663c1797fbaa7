"""Reference data: regions, PCNs, practices, and the import of NHS ODS files."""

from flask import current_app, request

from services.enrolment.api.roles import EVERYONE, OFFER_MANAGERS
from services.enrolment.schemas import (
    ImportReportSchema,
    ImportRequestSchema,
    PcnQuery,
    PcnSchema,
    PracticeQuery,
    PracticeSchema,
    RegionSchema,
)
from services.enrolment.usecases import reference
from shared.api import Api

reference_api = Api("reference", __name__, tag="reference data")


@reference_api.get(
    "/v1/regions", summary="The seven NHS England regions", roles=EVERYONE, response=RegionSchema, paged=True
)
def list_regions(unit):
    return reference.regions()


@reference_api.get(
    "/v1/pcns", summary="PCNs, by region", roles=EVERYONE, query=PcnQuery, response=PcnSchema, paged=True
)
def list_pcns(unit, query):
    return reference.pcn_page(unit, query)


@reference_api.get("/v1/pcns/<code>", summary="One PCN", roles=EVERYONE, response=PcnSchema)
def get_pcn(unit, code):
    return reference.get_pcn(unit, code)


@reference_api.get(
    "/v1/practices",
    summary="GP practices, by PCN",
    roles=EVERYONE,
    query=PracticeQuery,
    response=PracticeSchema,
    paged=True,
)
def list_practices(unit, query):
    return reference.practice_page(unit, query)


@reference_api.before_request
def allow_ods_files():
    # The national ODS files are a few MB; only the import endpoint takes bodies that large.
    if request.endpoint == "reference.import_reference_data":
        request.max_content_length = current_app.extensions["convene.runtime"].settings.import_max_bytes


@reference_api.post(
    "/v1/reference-data/imports",
    summary="Import PCNs and practices from NHS ODS files (JSON with the text of epcn.csv and gp-reg-pat-prac-map.csv)",
    roles=OFFER_MANAGERS,
    body=ImportRequestSchema,
    response=ImportReportSchema,
)
def import_reference_data(unit, body):
    return reference.import_reference_data(unit, body)
