"""A participant's name and e-mail address as enrolment keeps them: sealed under the
participant's own data key (shared.sealing), found by a keyed blind index of the e-mail, and
shown as the erasure markers once the data key is destroyed.

Pure: the caller brings the keys (shared.data_keys) and the stored row.
"""

from __future__ import annotations

from shared.sealing import SealingError, blind_index, open_sealed, seal

ERASED_NAME = "(erased)"
ERASED_EMAIL_DOMAIN = "erased.invalid"  # .invalid: reserved, never deliverable (RFC 2606)
EMAIL_INDEX_KEY = "~email-index"  # the service key of the blind index: "~" is in no participant id
PERSONAL_FIELDS = ("name", "email")


def erased_email(participant_id: str) -> str:
    """The e-mail marker of an erased participant, built from the opaque id alone."""
    return f"erased-{participant_id}@{ERASED_EMAIL_DOMAIN}"


def normalised_email(email: str) -> str:
    """An address as it is compared: e-mail addresses are registered once whatever their case."""
    return email.strip().lower()


def email_index(index_key: bytes, email: str) -> str:
    return blind_index(index_key, normalised_email(email))


def _context(participant_id: str, field: str) -> str:
    return f"participants/{participant_id}/{field}"


def sealed_columns(data_key: bytes, participant_id: str, name: str, email: str) -> dict:
    """The stored form of a name and (normalised) e-mail address."""
    return {
        "sealed_name": seal(data_key, name, _context(participant_id, "name")),
        "sealed_email": seal(data_key, normalised_email(email), _context(participant_id, "email")),
    }


def is_erased(row) -> bool:
    return row["erased_at"] is not None


def shown(row, data_key: bytes | None) -> dict:
    """A stored participant row as it is read: the name and e-mail opened with the data key,
    or the erasure markers once erased; the sealed columns and the blind index left out."""
    shown_row = {
        k: v for k, v in dict(row).items() if k not in ("sealed_name", "sealed_email", "email_index", "wrapped_key")
    }
    if is_erased(row):
        return shown_row | {"name": ERASED_NAME, "email": erased_email(row["id"])}
    if data_key is None:
        raise SealingError("a participant who is not erased has no data key")
    return shown_row | {
        field: open_sealed(data_key, row[f"sealed_{field}"], _context(row["id"], field)) for field in PERSONAL_FIELDS
    }
