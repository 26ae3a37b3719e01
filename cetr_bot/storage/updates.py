"""Claiming update ids in the shared processed_updates table (webhook mode)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from cetr_bot.storage.models_updates import ProcessedUpdate
from cetr_bot.storage.session import Database
from cetr_bot.storage.types import utcnow


async def claim(db: Database, update_id: int, now: datetime | None = None) -> bool:
    """True for the one caller that claims this update_id first (of every process);
    False for a redelivery. One INSERT … ON CONFLICT DO NOTHING, judged by its row count."""
    insert = postgresql.insert if db.url.startswith("postgresql") else sqlite.insert
    statement = (
        insert(ProcessedUpdate)
        .values(update_id=update_id, claimed_at=now or utcnow())
        .on_conflict_do_nothing(index_elements=["update_id"])
    )
    async with db.transaction() as session:
        result = await session.execute(statement)
    return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]


async def forget_before(db: Database, cutoff: datetime) -> int:
    """Delete claims older than cutoff; returns how many."""
    async with db.transaction() as session:
        result = await session.execute(
            delete(ProcessedUpdate)
            .where(ProcessedUpdate.claimed_at < cutoff)
            .execution_options(synchronize_session=False)
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def forget_old(db: Database, retention: timedelta, now: datetime | None = None) -> int:
    return await forget_before(db, (now or utcnow()) - retention)


async def count(db: Database) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(ProcessedUpdate)) or 0)
