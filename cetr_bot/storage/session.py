"""Engine and session factory, and migrations applied through Alembic."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from cetr_bot.storage import encrypted
from cetr_bot.storage.encrypted import KeyRing

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "migrations"
# pg_advisory_xact_lock key for upgrades ("cetr" in ASCII): a second `db upgrade`
# started meanwhile waits for the first to commit, then finds nothing left to do.
UPGRADE_LOCK = 0x63657472


class SchemaNotCurrent(Exception):
    """The database schema is not the one this code needs, and we may not migrate it."""


_default_ring: KeyRing | None = None


def set_default_key_ring(ring: KeyRing | None) -> None:
    """The ring for a Database made without one (the tests' and benchmarks' key)."""
    global _default_ring
    _default_ring = ring


class Database:
    """One engine and its session factory; the key ring encrypts its free-text columns."""

    def __init__(self, url: str, keys: KeyRing | None = None) -> None:
        self.url = url
        self.engine: AsyncEngine = _make_engine(url)
        ring = keys or _default_ring
        if ring is not None:  # without one, encrypted columns refuse to read or write
            encrypted.install(self.engine.sync_engine.dialect, ring)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def upgrade(self) -> None:
        """Apply every migration not yet applied; concurrent upgrades take turns (PostgreSQL)."""
        async with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": UPGRADE_LOCK})
            await conn.run_sync(_upgrade)

    async def revisions(self) -> tuple[set[str], set[str]]:
        """(the database's revisions, the code's heads)."""
        async with self.engine.connect() as conn:
            current = await conn.run_sync(
                lambda c: set(MigrationContext.configure(c).get_current_heads())
            )
        return current, set(ScriptDirectory.from_config(alembic_config()).get_heads())

    async def ensure_current(self) -> None:
        """Raise SchemaNotCurrent unless the schema is at head (AUTO_MIGRATE=false)."""
        current, heads = await self.revisions()
        if current != heads:
            at = ", ".join(sorted(current)) or "empty"
            raise SchemaNotCurrent(
                f"The database schema is at {at}, not at {', '.join(sorted(heads))}: "
                "run `cetr-bot db upgrade` first (AUTO_MIGRATE is false, so the bot "
                "does not migrate by itself)."
            )

    async def dispose(self) -> None:
        await self.engine.dispose()


def _make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    # WAL lets the bot and the CLI use the file at once; foreign keys are off by default.
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _upgrade(connection: Connection) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")
