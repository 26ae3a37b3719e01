"""Encryption at rest: free text is stored as an AES-GCM envelope, transparently.

A value is written as ``v1:<key id>:<base64url(nonce | ciphertext | tag)>`` with a fresh
random 96-bit nonce, under the first key of the ring; the table and column are the
associated data, so a ciphertext copied into another column (or row of another table)
does not decrypt. Reads pick the key by its id, so any key still in the ring opens it.

The ring is installed on the engine's dialect (``install``, done by
``storage.session.Database``); a value is never read or written without one. The type
never accepts plaintext: rows written before encryption are encrypted in place by
migration 0014, which reads them with plain SQL (``is_envelope`` tells them apart).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import MetaData, Table, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

PREFIX = "v1"
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
_RING_ATTR = "cetr_key_ring"


class KeyRingError(Exception):
    """A key ring that cannot be used: the message names no key material."""


class DecryptionError(Exception):
    """A stored value that no key in the ring opens (wrong key, tampered, moved)."""


class NoKeyRing(Exception):
    """An encrypted column used on an engine with no key ring installed."""


@dataclass(frozen=True, repr=False)
class _Key:
    id: str
    aead: AESGCM


class KeyRing:
    """Keys by id; the first one encrypts. Its repr shows ids only."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise KeyRingError("a key ring needs at least one key")
        seen: dict[str, _Key] = {}
        for key_id, raw in keys:
            if not KEY_ID.match(key_id):
                raise KeyRingError(f"key id {key_id!r} must be 1-16 letters, digits, - or _")
            if len(raw) != KEY_BYTES:
                raise KeyRingError(f"key {key_id!r} must be {KEY_BYTES} bytes (base64 of 32 bytes)")
            if key_id in seen:
                raise KeyRingError(f"key id {key_id!r} appears twice")
            seen[key_id] = _Key(key_id, AESGCM(raw))
        self._keys = seen
        self.current_id = keys[0][0]
        self.ids = tuple(seen)

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """``id:base64key,id:base64key`` (newest first); spaces and newlines are ignored."""
        keys: list[tuple[str, bytes]] = []
        for part in re.split(r"[,\s]+", text.strip()):
            if not part:
                continue
            key_id, sep, encoded = part.partition(":")
            if not sep:
                raise KeyRingError(
                    "each key must be written id:base64 (see `cetr-bot keys generate`)"
                )
            try:
                raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4), altchars=b"-_")
            except (binascii.Error, ValueError):
                raise KeyRingError(f"key {key_id!r} is not base64") from None
            keys.append((key_id, raw))
        return cls(keys)

    def __repr__(self) -> str:
        return f"KeyRing(ids={list(self.ids)!r})"

    def encrypt(self, plaintext: str, context: str) -> str:
        key = self._keys[self.current_id]
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = key.aead.encrypt(nonce, plaintext.encode("utf-8"), context.encode())
        body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{PREFIX}:{key.id}:{body}"

    def decrypt(self, envelope: str, context: str) -> str:
        key_id, blob = _split(envelope)
        key = self._keys.get(key_id)
        if key is None:
            raise DecryptionError(f"{context}: encrypted under key {key_id!r}, not in the ring")
        try:
            plain = key.aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode())
        except InvalidTag:
            raise DecryptionError(
                f"{context}: does not decrypt with key {key_id!r} (wrong key, or altered)"
            ) from None
        return plain.decode("utf-8")

    def opens(self, value: str, context: str) -> bool:
        """True if ``value`` is an envelope this ring decrypts (migration and rotation)."""
        try:
            self.decrypt(value, context)
        except DecryptionError:
            return False
        return True


def key_id_of(value: str) -> str | None:
    """The key id of an envelope, None if ``value`` is not shaped like one."""
    try:
        return _split(value)[0]
    except DecryptionError:
        return None


def _split(envelope: str) -> tuple[str, bytes]:
    prefix, _, rest = envelope.partition(":")
    key_id, _, body = rest.partition(":")
    if prefix != PREFIX or not key_id or not body:
        raise DecryptionError("not an encrypted value (no v1 envelope)")
    try:
        blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise DecryptionError("not an encrypted value (bad base64)") from None
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("not an encrypted value (too short)")
    return key_id, blob


def generate_key() -> str:
    """A new key, ``id:base64``, for DATA_ENCRYPTION_KEYS."""
    raw = AESGCM.generate_key(bit_length=256)
    return f"k{secrets.token_hex(4)}:" + base64.urlsafe_b64encode(raw).decode()


def install(dialect: Dialect, ring: KeyRing) -> None:
    setattr(dialect, _RING_ATTR, ring)


def ring_of(dialect: Dialect) -> KeyRing:
    ring = getattr(dialect, _RING_ATTR, None)
    if ring is None:
        raise NoKeyRing("no data encryption key ring installed on this database engine")
    return ring


class EncryptedText(TypeDecorator[str]):
    """Text encrypted at rest; ``context`` ("table.column") is bound in as associated data.

    Only equality against NULL works in SQL: no filtering, sorting or LIKE on the content.
    """

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return ring_of(dialect).encrypt(value, self.context)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return ring_of(dialect).decrypt(value, self.context)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document encrypted at rest (as EncryptedText of its JSON text)."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return ring_of(dialect).encrypt(text, self.context)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.loads(ring_of(dialect).decrypt(value, self.context))


@dataclass(frozen=True)
class EncryptedColumn:
    table: Table
    column: str
    context: str


def encrypted_columns(metadata: MetaData) -> Iterator[EncryptedColumn]:
    """Every encrypted column the models declare (rotation walks these)."""
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText | EncryptedJSON):
                yield EncryptedColumn(table, column.name, column.type.context)
