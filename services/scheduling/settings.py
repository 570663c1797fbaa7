"""Settings of the scheduling service."""
from dataclasses import dataclass
from typing import ClassVar

from shared.config import Settings


@dataclass(frozen=True)
class SchedulingSettings(Settings):
    service: ClassVar[str] = "scheduling"
    default_port: ClassVar[int] = 8002
