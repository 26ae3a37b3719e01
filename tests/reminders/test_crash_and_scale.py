"""Crash and scale safety: kill -9 mid-dispatch, and two dispatchers on one PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from telegram import Bot

from cetr_bot.scheduling.dispatcher import Dispatcher, TickReport
from cetr_bot.services.context import Services
from cetr_bot.storage.session import Database
from cetr_bot.storage.types import utcnow
from tests.conftest import make_settings
from tests.reminders.helpers import rows, seed_due

ROOT = Path(__file__).resolve().parents[2]
CHATS = list(range(50_001, 50_241))  # 240 people, one reminder each


def worker_env(svc: Services, sandbox) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": svc.settings.database_url,
        "BOT_TOKEN": sandbox.token,
        "TELEGRAM_API_URL": sandbox.url,
        "COORDINATOR_IDS": "1001",
        # Real time in the worker: no quiet hours, so the test runs at any hour.
        "QUIET_HOURS_START": "00:00",
        "QUIET_HOURS_END": "00:00",
        "DISPATCH_INTERVAL_SECONDS": "0.1",
        "DISPATCH_BATCH_SIZE": "20",
        "DISPATCH_CLAIM_LEASE_SECONDS": "3",
        "SEND_RATE_PER_SECOND": "40",
        "SEND_CHAT_INTERVAL_SECONDS": "0",
    }


async def start_worker(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cetr_bot.worker", *args, env=env, cwd=ROOT
    )


async def test_kill_9_during_dispatch_then_restart_loses_nothing(svc, sandbox):
    now = utcnow()
    await seed_due(svc, CHATS, due=now - timedelta(minutes=1), review_at=now + timedelta(days=9))
    for chat in CHATS:
        sandbox.add_user(chat)
    env = worker_env(svc, sandbox)
    worker = await start_worker(env)
    try:
        for _ in range(3000):  # up to 60 s
            if len(sandbox.delivered) >= 60:
                break
            await asyncio.sleep(0.02)
    finally:
        worker.kill()  # SIGKILL: no cleanup, no goodbye
        await worker.wait()
    in_flight = {r.chat_id for r in await rows(svc, status="sending")}
    delivered_at_kill = len(sandbox.delivered)
    assert 60 <= delivered_at_kill < len(CHATS), "the kill must land mid-run"

    restarted = await start_worker(env, "--until-idle")
    async with asyncio.timeout(90):
        assert await restarted.wait() == 0

    per_chat = Counter(m.chat_id for m in sandbox.delivered)
    assert set(per_chat) == set(CHATS)  # every reminder delivered
    duplicates = {chat for chat, n in per_chat.items() if n > 1}
    assert duplicates <= in_flight  # only those in flight at the kill, if any
    assert all(n <= 2 for n in per_chat.values())
    assert {r.status for r in await rows(svc)} == {"sent"}


@pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
    reason="needs PostgreSQL (set TEST_DATABASE_URL)",
)
async def test_two_dispatchers_on_one_postgres_never_send_twice(svc, sandbox, database_url):
    now = utcnow()
    chats = list(range(60_001, 60_301))
    await seed_due(svc, chats, due=now - timedelta(minutes=1), review_at=now + timedelta(days=9))
    for chat in chats:
        sandbox.add_user(chat)
    settings = make_settings(
        database_url,
        sandbox,
        quiet_hours_start="00:00",
        quiet_hours_end="00:00",
        dispatch_batch_size=7,
        send_rate_per_second=1000.0,
        send_chat_interval_seconds=0.0,
    )

    async def run_one() -> TickReport:
        db = Database(database_url)  # its own pool: a second process as far as locks go
        other = Services(db=db, settings=settings)
        total = TickReport()
        try:
            async with Bot(sandbox.token, base_url=sandbox.base_url) as bot:
                dispatcher = Dispatcher(other)
                while (report := await dispatcher.tick(bot)).claimed:
                    total.add(report)
        finally:
            await db.dispose()
        return total

    first, second = await asyncio.gather(run_one(), run_one())
    assert first.sent + second.sent == len(chats)
    assert first.sent > 0 and second.sent > 0  # both really took part
    per_chat = Counter(m.chat_id for m in sandbox.delivered)
    assert set(per_chat) == set(chats) and max(per_chat.values()) == 1


@pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
    reason="needs PostgreSQL (set TEST_DATABASE_URL)",
)
async def test_claiming_skips_rows_locked_by_another_transaction(svc, sandbox):
    from sqlalchemy import select

    from cetr_bot.storage.models_reminders import Reminder

    now = utcnow()
    await seed_due(svc, [70_001, 70_002, 70_003], due=now, review_at=now + timedelta(days=9))
    async with svc.db.transaction() as session:
        locked = (
            await session.scalars(select(Reminder).order_by(Reminder.id).limit(2).with_for_update())
        ).all()
        # While those two are locked (a planner or another claim), a claim gets the third
        # at once instead of waiting.
        async with asyncio.timeout(5):
            claimed = await Dispatcher(svc)._claim(now + timedelta(seconds=1))
        assert {r.id for r in claimed}.isdisjoint({r.id for r in locked})
        assert len(claimed) == 1
