"""Sealing personal data for crypto-shredding: each record's personal fields are encrypted
(AES-256-GCM) under a data key of that record alone; the data key is kept only wrapped
(encrypted) by a key-encryption key (KEK) that never enters the database. Destroying a
record's data key leaves every copy of its fields (write-ahead logs, freed pages, dead row
versions, replicas, backups) as ciphertext nobody can open without a KEK that once wrapped it.

Look-ups that a sealed value can no longer serve (is this e-mail address registered?) use a
keyed blind index: an HMAC of the normalised value under a key that is itself a data key.

Pure: bytes and text in and out; `shared.data_keys` keeps the wrapped keys in the database.

Both formats are ASCII, so one column type holds them on SQLite and PostgreSQL:

    sealed value  s1.<base64url(nonce | AES-GCM(data key, padded UTF-8, aad=context))>
    wrapped key   k1.<KEK id>.<base64url(nonce | AES-GCM(KEK, data key, aad=record id))>
    enveloped     e1.<KEK id>.<wrapped data key>.<sealed value>  (a field with its own key)

The associated data binds a sealed value to its record and field, and a wrapped key to its
record, so a ciphertext copied into another row or field does not open. Values are padded to
a multiple of PAD_TO bytes first, so a ciphertext's length says little about a name's.
The KEK id names which KEK wrapped a key, so KEKs can be rotated (`KeyRing`, `rewrap`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12
PAD_TO = 32
SEALED, WRAPPED, ENVELOPED = "s1.", "k1.", "e1."
_KEK_ID = b"convene key-encryption key id"
_WRAP_CONTEXT = b"convene data key\x00"


class SealingError(ValueError):
    """A sealed value or wrapped key that is malformed, altered, bound to another record, or
    wrapped by a KEK this process does not hold. The message never holds the value."""


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def new_kek_text() -> str:
    """A new random KEK as PERSONAL_DATA_KEY takes it: URL-safe base64 of 32 bytes."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise SealingError("not base64") from None


def _pad(data: bytes) -> bytes:
    # ISO/IEC 7816-4: a 0x80 byte, then zeros up to the next multiple of PAD_TO.
    data += b"\x80"
    return data + b"\x00" * (-len(data) % PAD_TO)


def _unpad(data: bytes) -> bytes:
    end = data.rstrip(b"\x00")
    if not end.endswith(b"\x80"):
        raise SealingError("bad padding")
    return end[:-1]


def seal(data_key: bytes, text: str, context: str) -> str:
    """`text` encrypted under `data_key`, bound to `context` (its table, record and field)."""
    nonce = os.urandom(NONCE_BYTES)
    return SEALED + _b64(nonce + AESGCM(data_key).encrypt(nonce, _pad(text.encode("utf-8")), context.encode()))


def open_sealed(data_key: bytes, sealed: str, context: str) -> str:
    """What `seal` sealed, given the same key and context."""
    if not isinstance(sealed, str) or not sealed.startswith(SEALED):
        raise SealingError("not a sealed value")
    raw = _unb64(sealed[len(SEALED) :])
    try:
        plain = AESGCM(data_key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
    except (InvalidTag, ValueError):
        raise SealingError("the value does not open with this key and context") from None
    return _unpad(plain).decode("utf-8")


def seal_enveloped(ring: KeyRing, text: str, context: str) -> str:
    """`text` sealed under a fresh data key that travels wrapped beside it, in one value:

        e1.<KEK id>.<base64url(nonce | wrapped data key)>.<base64url(nonce | ciphertext)>

    For a field that is a record of its own (a free-text answer): emptying the field destroys
    its key, and every older copy of it is ciphertext under a key only a KEK can unwrap."""
    data_key = new_data_key()
    wrapped, sealed = ring.wrap(data_key, context), seal(data_key, text, context)
    return ENVELOPED + wrapped[len(WRAPPED) :] + "." + sealed[len(SEALED) :]


def is_enveloped(value) -> bool:
    return isinstance(value, str) and value.startswith(ENVELOPED) and value.count(".") == 3


def open_enveloped(ring: KeyRing, value: str, context: str) -> str:
    wrapped, sealed = _envelope_parts(value)
    return open_sealed(ring.unwrap(wrapped, context), sealed, context)


def rewrap_enveloped(ring: KeyRing, value: str, context: str) -> str:
    """The same sealed text with its data key wrapped by the current KEK (rotation)."""
    wrapped, sealed = _envelope_parts(value)
    return ENVELOPED + ring.wrap(ring.unwrap(wrapped, context), context)[len(WRAPPED) :] + "." + sealed[len(SEALED) :]


def _envelope_parts(value: str) -> tuple[str, str]:
    if not is_enveloped(value):
        raise SealingError("not an enveloped value")
    _, named, wrapped, sealed = value.split(".")
    return f"{WRAPPED}{named}.{wrapped}", SEALED + sealed


def blind_index(index_key: bytes, value: str) -> str:
    """A keyed HMAC-SHA256 of `value` (already normalised): equal values give equal indexes,
    and without the key an index cannot be checked against a guess."""
    return hmac.new(index_key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def kek_id(kek: bytes) -> str:
    """A short public name of a KEK (an HMAC under the KEK itself: it reveals nothing of it)."""
    return hmac.new(kek, _KEK_ID, hashlib.sha256).hexdigest()[:12]


@dataclass(frozen=True)
class KeyRing:
    """The KEKs a process holds: the first wraps new data keys, all of them unwrap. During a
    rotation the ring is "new,old"; once `rewrap` has run, the old KEK can be destroyed."""

    keks: tuple[bytes, ...]

    def __post_init__(self):
        if not self.keks:
            raise ValueError("a key ring needs at least one key-encryption key")
        if any(len(k) != KEY_BYTES for k in self.keks):
            raise ValueError(f"every key-encryption key must be {KEY_BYTES} bytes")

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """KEKs as URL-safe base64 (32 bytes each), separated by commas or line breaks, the
        current one first. Errors never quote the text."""
        parts = [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]
        keks = []
        for n, part in enumerate(parts, start=1):
            try:
                kek = _unb64(part)
            except SealingError:
                raise ValueError(f"key-encryption key {n} is not URL-safe base64") from None
            if len(kek) != KEY_BYTES:
                raise ValueError(f"key-encryption key {n} is {len(kek)} bytes, not {KEY_BYTES}")
            keks.append(kek)
        return cls(tuple(keks))

    @property
    def current_id(self) -> str:
        return kek_id(self.keks[0])

    def wrap(self, data_key: bytes, record_id: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keks[0]).encrypt(nonce, data_key, _WRAP_CONTEXT + record_id.encode())
        return f"{WRAPPED}{self.current_id}.{_b64(nonce + sealed)}"

    def unwrap(self, wrapped: str, record_id: str) -> bytes:
        named, body = _wrapped_parts(wrapped)
        kek = next((k for k in self.keks if kek_id(k) == named), None)
        if kek is None:
            raise SealingError("the data key was wrapped by a key-encryption key this process does not hold")
        raw = _unb64(body)
        try:
            return AESGCM(kek).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _WRAP_CONTEXT + record_id.encode())
        except (InvalidTag, ValueError):
            raise SealingError("the data key does not unwrap for this record") from None

    def is_current(self, value: str) -> bool:
        """Was this wrapped key (or enveloped value) wrapped by the current KEK?"""
        return _wrapped_parts(_envelope_parts(value)[0] if is_enveloped(value) else value)[0] == self.current_id


def _wrapped_parts(wrapped: str) -> tuple[str, str]:
    if not isinstance(wrapped, str) or not wrapped.startswith(WRAPPED) or wrapped.count(".") != 2:
        raise SealingError("not a wrapped data key")
    _, named, body = wrapped.split(".")
    return named, body
