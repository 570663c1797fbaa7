"""Settings of the scheduling service (with the key-encryption key of coaching goals and progress notes)."""

from dataclasses import dataclass
from typing import ClassVar

from shared.config import PersonalDataSettings


@dataclass(frozen=True)
class SchedulingSettings(PersonalDataSettings):  # coaching goals and progress notes are sealed (store.goals)
    service: ClassVar[str] = "scheduling"
    default_port: ClassVar[int] = 8002
