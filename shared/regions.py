"""The seven NHS England commissioning regions as the rest of the code reads them: codes and
names, taken from the published vocabulary (shared.contracts.vocabulary.Region)."""

from types import MappingProxyType

from shared.contracts.vocabulary import NATIONAL, REGION_NAMES, Region

# ODS code → name. Read-only: a region is never added at run time.
REGIONS = MappingProxyType({region.value: name for region, name in REGION_NAMES.items()})
REGION_CODES = Region.values()

__all__ = ["NATIONAL", "REGIONS", "REGION_CODES"]
