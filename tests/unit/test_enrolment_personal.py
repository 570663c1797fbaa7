"""A participant's name and e-mail as enrolment keeps them (services.enrolment.personal):
sealed per participant and field, read back in the clear, shown as markers once erased."""

from datetime import UTC, datetime

import pytest

from services.enrolment import personal
from shared.sealing import SealingError, new_data_key

ROW = {
    "id": "p1",
    "role": "gp",
    "pcn_code": "U10001",
    "practice_code": None,
    "leadership_experience": "none",
    "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    "region": "Y56",
    "email_index": "ab" * 32,
    "erased_at": None,
}


def stored(key: bytes, name="Ann Example", email=" Ann@Example.INVALID ", participant_id="p1") -> dict:
    return (
        ROW
        | {"id": participant_id, "wrapped_key": "k1.x.y"}
        | personal.sealed_columns(key, participant_id, name, email)
    )


def test_a_stored_participant_reads_with_name_and_normalised_e_mail_and_without_what_storage_needs():
    key = new_data_key()
    shown = personal.shown(stored(key), key)
    assert (shown["name"], shown["email"]) == ("Ann Example", "ann@example.invalid")
    assert not {"sealed_name", "sealed_email", "email_index", "wrapped_key"} & set(shown)
    assert {k: shown[k] for k in ("id", "role", "region", "erased_at")} == {
        "id": "p1",
        "role": "gp",
        "region": "Y56",
        "erased_at": None,
    }


def test_the_sealed_columns_hold_neither_name_nor_e_mail_and_belong_to_their_row_and_field():
    key = new_data_key()
    row = stored(key)
    sealed = (row["sealed_name"] + row["sealed_email"]).lower()
    # The whole words: a short fragment such as "ann" turns up by chance in base64 text.
    assert not [plain for plain in ("ann example", "example.invalid", "example") if plain in sealed]
    swapped = row | {"sealed_name": row["sealed_email"], "sealed_email": row["sealed_name"]}
    with pytest.raises(SealingError):
        personal.shown(swapped, key)
    with pytest.raises(SealingError):
        personal.shown(stored(key, participant_id="p2") | {"id": "p1"}, key)


def test_an_erased_participant_reads_as_the_markers_and_one_without_a_key_is_an_error():
    erased = ROW | {
        "sealed_name": None,
        "sealed_email": None,
        "email_index": None,
        "erased_at": datetime(2026, 2, 1, tzinfo=UTC),
        "wrapped_key": None,
    }
    shown = personal.shown(erased, None)
    assert (shown["name"], shown["email"]) == ("(erased)", "erased-p1@erased.invalid") and personal.is_erased(erased)
    with pytest.raises(SealingError):
        personal.shown(stored(new_data_key()), None)


def test_the_e_mail_index_ignores_case_and_surrounding_space():
    key = new_data_key()
    assert personal.email_index(key, " Ann@Example.INVALID") == personal.email_index(key, "ann@example.invalid")
    assert personal.email_index(key, "ann@example.invalid") != personal.email_index(key, "ann2@example.invalid")
