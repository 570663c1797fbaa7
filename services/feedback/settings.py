"""Settings of the feedback service, and the secret pepper of anonymous-feedback markers."""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

from shared.config import PersonalDataSettings, setting

MIN_PEPPER_BYTES = 32


@dataclass(frozen=True)
class FeedbackSettings(PersonalDataSettings):  # comments are sealed (store.sealed_comments)
    service: ClassVar[str] = "feedback"
    default_port: ClassVar[int] = 8003

    feedback_window_days: int = setting(
        "FEEDBACK_WINDOW_DAYS",
        14,
        "Days after a session ends (or is recorded, if it was recorded after it happened) during which its attendees "
        "may give feedback.",
    )
    outcome_after_min_share: float = setting(
        "OUTCOME_AFTER_MIN_SHARE",
        0.5,
        'Share of an offer\'s planned sessions (0 to 1) that must have been held before its "after" outcome measure is '
        "accepted, unless the offer is completed (a 1:1 coaching offer: the sessions the coachee attended).",
    )
    marker_pepper: str = setting(
        "FEEDBACK_MARKER_PEPPER",
        "",
        "Secret (at least 32 characters) keying the has-responded markers and the cohort needs pseudonyms of "
        "feedback. PRODUCTION MUST SET IT "
        "from a secret store, the same in every feedback process, never stored in the database. Empty: development "
        "only, a random pepper kept in CONVENE_DATA_DIR/secrets/feedback-marker-pepper.",
    )

    def __post_init__(self):
        if self.feedback_window_days < 1:
            raise ValueError("FEEDBACK_WINDOW_DAYS must be at least 1")
        if not 0 < self.outcome_after_min_share <= 1:
            raise ValueError("OUTCOME_AFTER_MIN_SHARE must be more than 0 and at most 1")


@lru_cache(maxsize=8)
def marker_pepper(settings: FeedbackSettings) -> bytes:
    """The pepper of `domain.response_marker`: the configured secret, or a development one.

    The development pepper is random (never a constant in code, so no two installations
    share it), created once, readable only by its owner, and outside the database.
    """
    if settings.marker_pepper:
        pepper = settings.marker_pepper.encode()
        if len(pepper) < MIN_PEPPER_BYTES:
            raise ValueError(f"FEEDBACK_MARKER_PEPPER must be at least {MIN_PEPPER_BYTES} bytes")
        return pepper
    return _development_pepper(Path(settings.data_dir) / "secrets" / "feedback-marker-pepper")


def _development_pepper(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: of several processes starting together exactly one creates it.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32))
    for _ in range(50):
        pepper = path.read_text().strip().encode()
        if len(pepper) >= MIN_PEPPER_BYTES:
            return pepper
        time.sleep(0.02)  # another process is still writing it
    raise RuntimeError(f"the development pepper in {path} is unreadable")
