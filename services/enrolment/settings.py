"""Settings of the enrolment service (with the key-encryption key of names and e-mails)."""

from dataclasses import dataclass
from typing import ClassVar

from shared.config import PersonalDataSettings, setting


@dataclass(frozen=True)
class EnrolmentSettings(PersonalDataSettings):
    service: ClassVar[str] = "enrolment"
    default_port: ClassVar[int] = 8001

    completion_threshold: float = setting(
        "COMPLETION_THRESHOLD", 0.75, "Share of held sessions a member must attend to complete an offer."
    )
    import_max_bytes: int = setting(
        "IMPORT_MAX_BYTES",
        20_000_000,
        "Largest body of POST /v1/reference-data/imports (the national ODS files are a few MB).",
    )

    def __post_init__(self):
        # A wrong threshold must stop the service at start, not surface later as a refused request.
        if not 0 < self.completion_threshold <= 1:
            raise ValueError("COMPLETION_THRESHOLD must be above 0 and at most 1")
