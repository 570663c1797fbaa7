"""The seven NHS England commissioning regions: the one list of region codes Convene knows.

Tokens, requests, events and reference data all take their region codes from here (the
enrolment service's regions file, services/enrolment/data/nhs_england_regions.csv, adds
their ONS codes and is checked against this list).
"""
from types import MappingProxyType

# ODS code → name. Read-only: a region is never added at run time.
REGIONS = MappingProxyType(
    {
        "Y56": "London",
        "Y58": "South West",
        "Y59": "South East",
        "Y60": "Midlands",
        "Y61": "East of England",
        "Y62": "North West",
        "Y63": "North East and Yorkshire",
    }
)
REGION_CODES = tuple(REGIONS)

# Pseudo-region of offers open to the whole country: never a person's region, nor a token's.
NATIONAL = "national"
