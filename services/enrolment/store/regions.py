"""The seven NHS England regions as the service ships them (data/nhs_england_regions.csv):
their ODS codes, names and ONS codes."""

from __future__ import annotations

import csv
from pathlib import Path

from services.enrolment.domain.reference import Region

REGIONS_FILE = Path(__file__).parent.parent / "data" / "nhs_england_regions.csv"


def load_regions(path: Path = REGIONS_FILE) -> tuple[Region, ...]:
    with open(path, newline="", encoding="utf-8") as source:
        return tuple(Region(row["ods_code"], row["name"], row["ons_code"]) for row in csv.DictReader(source))
