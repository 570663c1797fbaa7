"""Settings of the scheduling service (with the key-encryption key of coaching goals and progress notes)."""

from dataclasses import dataclass
from typing import ClassVar

from shared.config import PersonalDataSettings, setting


@dataclass(frozen=True)
class SchedulingSettings(PersonalDataSettings):  # coaching goals and progress notes are sealed (store.goals)
    service: ClassVar[str] = "scheduling"
    default_port: ClassVar[int] = 8002

    calendar_feed_base_url: str = setting(
        "CALENDAR_FEED_BASE_URL",
        "",
        "Public address (scheme and host, e.g. https://scheduling.convene.example) that calendar subscription "
        "addresses start with, as calendar apps reach this service. Empty: the host the request came to.",
    )
