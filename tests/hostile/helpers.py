"""Helpers for the hostile-input tests: what the database holds, and waiting for it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy import func, select

from cetr_bot.services.context import Services
from cetr_bot.storage.models import Base

# Refusals may be audited; everything else must stay exactly as it was.
NOT_COMPARED = frozenset({"audit_events", "alembic_version"})


async def snapshot(svc: Services) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table (but the audit log), to compare before and after."""
    found: dict[str, list[tuple[object, ...]]] = {}
    async with svc.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in NOT_COMPARED:
                continue
            result = await session.execute(select(table))
            found[table.name] = sorted((tuple(row) for row in result), key=repr)
    return found


async def count(svc: Services, model: type[Base], *where: object) -> int:
    async with svc.db.transaction() as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)  # type: ignore[arg-type]
        return int(await session.scalar(query) or 0)


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 5.0) -> None:
    """Poll a database condition that follows an update with no reply to wait for."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await check():
        if loop.time() > deadline:
            raise AssertionError("condition never became true")
        await asyncio.sleep(0.05)
