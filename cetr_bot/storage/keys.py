"""Where the data encryption keys come from, and re-encrypting under the newest one.

DATA_ENCRYPTION_KEYS (newest first) when set. Otherwise, with ENVIRONMENT=production,
nothing starts; in development a local key file (DATA_KEY_FILE, default
.cetr-bot/data.key, mode 0600) is read, or made on first use and reported.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Text, column, select, table, update

from cetr_bot.config import ConfigError, Settings
from cetr_bot.storage.encrypted import (
    DecryptionError,
    KeyRing,
    KeyRingError,
    encrypted_columns,
    generate_key,
    key_id_of,
    ring_of,
)
from cetr_bot.storage.registry import Base
from cetr_bot.storage.session import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResolvedKeys:
    ring: KeyRing
    generated: Path | None = None  # a key file made just now (development only)
    from_file: Path | None = None


def resolve(settings: Settings) -> ResolvedKeys:
    """The key ring to use, or ConfigError with one clear line (never key material)."""
    secret = settings.data_encryption_keys
    text = secret.get_secret_value().strip() if secret is not None else ""
    if text:
        try:
            return ResolvedKeys(KeyRing.parse(text))
        except KeyRingError as exc:
            raise ConfigError(f"Configuration problem in DATA_ENCRYPTION_KEYS: {exc}") from None
    if settings.environment == "production":
        raise ConfigError(
            "DATA_ENCRYPTION_KEYS is not set: with ENVIRONMENT=production the bot will not "
            "start without a data encryption key (make one with `cetr-bot keys generate`)."
        )
    path = settings.data_key_file
    generated = None
    if not path.exists():
        _write_key_file(path, generate_key())
        generated = path
        log.warning(
            "no DATA_ENCRYPTION_KEYS: generated a local data encryption key file at %s "
            "(development only; keep it with the database, it cannot be recovered)",
            path,
        )
    try:
        ring = KeyRing.parse(path.read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read the data key file {path}: {exc}") from None
    except KeyRingError as exc:
        raise ConfigError(f"The data key file {path} is not usable: {exc}") from None
    return ResolvedKeys(ring, generated=generated, from_file=path)


def _write_key_file(path: Path, key: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")


async def check(db: Database) -> None:
    """Refuse to go on (ConfigError) when stored values name a key the ring lacks: a
    lost key file or a key dropped too early, found at start rather than on every read.
    Looks at the first value of each encrypted column."""
    ring = ring_of(db.engine.dialect)
    missing: set[str] = set()
    async with db.transaction() as session:
        for enc in encrypted_columns(Base.metadata):
            raw = table(enc.table.name, column(enc.column, Text))
            value = await session.scalar(
                select(raw.c[enc.column]).where(raw.c[enc.column].is_not(None)).limit(1)
            )
            key_id = key_id_of(value) if value is not None else None
            if value is not None and key_id not in ring.ids:
                missing.add(key_id or "none: not encrypted")
    if missing:
        raise ConfigError(
            "The database holds data encrypted under key(s) "
            + ", ".join(sorted(missing))
            + " that DATA_ENCRYPTION_KEYS (or the local key file) does not have: "
            "without them it cannot be read. Put the old key back (after the newest)."
        )


@dataclass(frozen=True)
class Rotated:
    column: str  # "table.column"
    reencrypted: int
    current: int  # already under the newest key


async def rotate(db: Database, *, batch_size: int = 500) -> list[Rotated]:
    """Re-encrypt every encrypted value not under the ring's first key, in batches
    (one transaction each). Running it again finds nothing to do."""
    ring = ring_of(db.engine.dialect)
    results: list[Rotated] = []
    for enc in encrypted_columns(Base.metadata):
        (pk_name,) = (c.name for c in enc.table.primary_key.columns)
        raw = table(enc.table.name, column(pk_name), column(enc.column, Text))
        pk, value = raw.c[pk_name], raw.c[enc.column]
        done = current = 0
        after: object = None
        while True:
            query = select(pk, value).where(value.is_not(None)).order_by(pk).limit(batch_size)
            if after is not None:
                query = query.where(pk > after)
            async with db.transaction() as session:
                rows = (await session.execute(query)).all()
                for row_pk, stored in rows:
                    if key_id_of(stored) == ring.current_id:
                        current += 1
                        continue
                    try:
                        plain = ring.decrypt(stored, enc.context)
                    except DecryptionError as exc:
                        raise DecryptionError(f"{exc} (row {row_pk})") from None
                    result = await session.execute(
                        update(raw)
                        .where(pk == row_pk, value == stored)
                        .values({enc.column: ring.encrypt(plain, enc.context)})
                    )
                    done += int(result.rowcount)  # type: ignore[attr-defined]
            if len(rows) < batch_size:
                break
            after = rows[-1][0]
        results.append(Rotated(enc.context, done, current))
    return results
