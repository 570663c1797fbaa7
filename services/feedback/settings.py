"""Settings of the feedback service."""
from dataclasses import dataclass
from typing import ClassVar

from shared.config import Settings


@dataclass(frozen=True)
class FeedbackSettings(Settings):
    service: ClassVar[str] = "feedback"
