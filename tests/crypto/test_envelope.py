"""The envelope itself: AES-GCM round trip, the key ring, and what it refuses."""

from __future__ import annotations

import base64

import pytest

from cetr_bot.storage.encrypted import (
    DecryptionError,
    KeyRing,
    KeyRingError,
    generate_key,
    key_id_of,
)

CONTEXT = "prep_answers.value"


def test_round_trip_and_a_fresh_nonce_each_time():
    ring = KeyRing.parse(generate_key())
    one, two = (ring.encrypt("Sam likes trains 🚂", CONTEXT) for _ in range(2))
    assert one != two  # a random nonce per write: equal answers do not look equal
    assert one.startswith(f"v1:{ring.current_id}:") and "trains" not in one
    assert ring.decrypt(one, CONTEXT) == ring.decrypt(two, CONTEXT) == "Sam likes trains 🚂"
    assert ring.decrypt(ring.encrypt("", CONTEXT), CONTEXT) == ""


def test_a_wrong_key_fails_clearly():
    written = KeyRing.parse(generate_key()).encrypt("secret", CONTEXT)
    other = KeyRing.parse(generate_key())
    with pytest.raises(DecryptionError, match="not in the ring"):
        other.decrypt(written, CONTEXT)
    # The same id with different key material: the tag does not verify.
    same_id = KeyRing.parse(f"{key_id_of(written)}:" + generate_key().partition(":")[2])
    with pytest.raises(DecryptionError, match="wrong key, or altered"):
        same_id.decrypt(written, CONTEXT)


def test_tampered_ciphertext_is_refused():
    ring = KeyRing.parse(generate_key())
    envelope = ring.encrypt("a concern in their own words", CONTEXT)
    prefix, key_id, body = envelope.split(":")
    blob = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    for position in (0, 13, len(blob) - 1):  # the nonce, the ciphertext, the tag
        changed = bytearray(blob)
        changed[position] ^= 0x01
        forged = f"{prefix}:{key_id}:" + base64.urlsafe_b64encode(bytes(changed)).decode()
        with pytest.raises(DecryptionError, match="altered"):
            ring.decrypt(forged, CONTEXT)
    with pytest.raises(DecryptionError, match="too short"):
        ring.decrypt(f"v1:{key_id}:AAAA", CONTEXT)
    with pytest.raises(DecryptionError, match="no v1 envelope"):
        ring.decrypt("plain text from before encryption", CONTEXT)


def test_a_ciphertext_moved_to_another_column_does_not_decrypt():
    ring = KeyRing.parse(generate_key())
    envelope = ring.encrypt("Dana", "people.preferred_name")
    with pytest.raises(DecryptionError):
        ring.decrypt(envelope, "actions.what")
    assert ring.decrypt(envelope, "people.preferred_name") == "Dana"


def test_the_ring_writes_with_the_first_key_and_reads_with_any():
    old, new = generate_key(), generate_key()
    written_old = KeyRing.parse(old).encrypt("before", CONTEXT)
    ring = KeyRing.parse(f"{new}, {old}")
    assert ring.current_id == new.partition(":")[0]
    assert ring.decrypt(written_old, CONTEXT) == "before"
    assert key_id_of(ring.encrypt("after", CONTEXT)) == ring.current_id


def test_bad_rings_are_refused_without_showing_key_material():
    key = generate_key()
    material = key.partition(":")[2]
    for text, message in (
        ("", "at least one key"),
        (material, "id:base64"),
        ("k1:" + base64.b64encode(b"short").decode(), "32 bytes"),
        (f"{key},{key}", "appears twice"),
        ("bad.id:" + material, "letters, digits"),
    ):
        with pytest.raises(KeyRingError, match=message) as caught:
            KeyRing.parse(text)
        assert material not in str(caught.value)
    ring = KeyRing.parse(key)
    assert material not in repr(ring) and key.partition(":")[0] in repr(ring)
