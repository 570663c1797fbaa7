"""Sealing personal data (shared.sealing): what seals opens only with its key and context, a
wrapped key unwraps only for its record and with a KEK of the ring, rotation keeps every value
readable, and nothing sealed shows the text in any encoding."""

import base64
from dataclasses import replace

import pytest

from shared.sealing import (
    PAD_TO,
    KeyRing,
    SealingError,
    blind_index,
    is_enveloped,
    new_data_key,
    new_kek_text,
    open_enveloped,
    open_sealed,
    rewrap_enveloped,
    seal,
    seal_enveloped,
)

NAME = "Ottoline Vexworth-Anand"


def ring(*texts: str) -> KeyRing:
    return KeyRing.parse(",".join(texts or (new_kek_text(),)))


def test_a_sealed_value_opens_with_its_key_and_context_only():
    key = new_data_key()
    sealed = seal(key, NAME, "participants/p1/name")
    assert open_sealed(key, sealed, "participants/p1/name") == NAME
    for wrong_key, wrong_context in (
        (new_data_key(), "participants/p1/name"),
        (key, "participants/p2/name"),
        (key, "participants/p1/email"),
    ):
        with pytest.raises(SealingError):
            open_sealed(wrong_key, sealed, wrong_context)


def test_sealing_twice_gives_different_ciphertexts_and_hides_the_text_in_every_encoding():
    key = new_data_key()
    first, second = seal(key, NAME, "c"), seal(key, NAME, "c")
    assert first != second  # a fresh nonce each time: equal names do not look equal
    raw = base64.urlsafe_b64decode(first[3:] + "==")
    for needle in (NAME.encode(), NAME.encode("utf-16-le"), base64.b64encode(NAME.encode()), NAME.lower().encode()):
        assert needle not in first.encode() and needle not in raw


def test_lengths_are_padded_so_a_ciphertext_says_little_about_a_names_length():
    key = new_data_key()
    assert len({len(seal(key, "x" * n, "c")) for n in range(0, PAD_TO - 1)}) == 1
    assert open_sealed(key, seal(key, "", "c"), "c") == ""
    assert open_sealed(key, seal(key, "Zoë Ó Súilleabháin\x80", "c"), "c") == "Zoë Ó Súilleabháin\x80"


def test_an_altered_or_foreign_value_is_refused_without_quoting_it():
    key = new_data_key()
    sealed = seal(key, NAME, "c")
    altered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    for bad in (altered, NAME, "s1.!!!", "", None):
        with pytest.raises(SealingError) as refused:
            open_sealed(key, bad, "c")
        assert NAME not in str(refused.value)


def test_a_wrapped_key_unwraps_only_for_its_record_and_with_a_kek_of_the_ring():
    keys = ring()
    data_key = new_data_key()
    wrapped = keys.wrap(data_key, "p1")
    assert wrapped.startswith("k1." + keys.current_id + ".")
    assert keys.unwrap(wrapped, "p1") == data_key
    with pytest.raises(SealingError):
        keys.unwrap(wrapped, "p2")
    with pytest.raises(SealingError, match="does not hold"):
        ring().unwrap(wrapped, "p1")


def test_rotation_new_kek_first_unwraps_the_old_and_wraps_anew():
    old_text, new_text = new_kek_text(), new_kek_text()
    old, rotating, new = ring(old_text), ring(new_text, old_text), ring(new_text)
    data_key = new_data_key()
    before = old.wrap(data_key, "p1")
    assert rotating.unwrap(before, "p1") == data_key and not rotating.is_current(before)
    after = rotating.wrap(rotating.unwrap(before, "p1"), "p1")
    assert rotating.is_current(after) and new.unwrap(after, "p1") == data_key
    with pytest.raises(SealingError):
        new.unwrap(before, "p1")  # the old KEK destroyed: every old copy of the key is beyond use


def test_an_enveloped_value_carries_its_own_wrapped_key_and_survives_rotation():
    old_text, new_text = new_kek_text(), new_kek_text()
    value = seal_enveloped(ring(old_text), "Thanks from " + NAME, "feedback_responses/s1/comment")
    assert is_enveloped(value) and NAME not in value and not is_enveloped("plain text") and not is_enveloped(None)
    assert open_enveloped(ring(old_text), value, "feedback_responses/s1/comment") == "Thanks from " + NAME
    with pytest.raises(SealingError):
        open_enveloped(ring(old_text), value, "feedback_responses/s2/comment")
    rotated = rewrap_enveloped(ring(new_text, old_text), value, "feedback_responses/s1/comment")
    assert ring(new_text).is_current(rotated) and not ring(new_text, old_text).is_current(value)
    assert open_enveloped(ring(new_text), rotated, "feedback_responses/s1/comment") == "Thanks from " + NAME


def test_a_blind_index_is_stable_for_its_key_and_says_nothing_without_it():
    key = new_data_key()
    assert blind_index(key, "ann@example.invalid") == blind_index(key, "ann@example.invalid")
    assert blind_index(key, "ann@example.invalid") != blind_index(new_data_key(), "ann@example.invalid")
    assert blind_index(key, "ann@example.invalid") != blind_index(key, "bob@example.invalid")
    assert len(blind_index(key, "x")) == 64


def test_key_rings_are_parsed_from_settings_text_and_bad_keys_are_named_not_quoted():
    first, second = new_kek_text(), new_kek_text()
    assert ring(first, second).keks == ring(first).keks + ring(second).keks
    assert KeyRing.parse(f"{first}\n{second}\n") == ring(first, second)
    assert KeyRing.parse(first.rstrip("=")) == ring(first)  # padding is optional
    for bad, message in (
        ("REPLACE_ME", "key-encryption key 1 is 7 bytes"),
        (f"{first},not base64!", "key-encryption key 2 is not"),
        ("", "at least one"),
    ):
        with pytest.raises(ValueError, match=message) as refused:
            KeyRing.parse(bad)
        assert first not in str(refused.value)
    with pytest.raises(ValueError):
        replace(ring(first), keks=(b"short",))
