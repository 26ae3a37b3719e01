"""Issue #11, 3: claims carry a short lease renewed while the dispatcher lives. A dead
dispatcher's rows are sent by another within 15 s (real time, a real subprocess killed
with SIGKILL); a live one's are never taken; a graceful stop gives them back at once."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta

import pytest

from cetr_bot.scheduling.dispatcher import Dispatcher
from cetr_bot.storage.types import utcnow
from tests.reminders.helpers import rows, seed_due
from tests.reminders.test_crash_and_scale import start_worker, worker_env

CHATS = list(range(83_001, 83_121))
LEASE = {"dispatch_claim_lease_seconds": 2.0}


@pytest.mark.parametrize("extra_settings", [LEASE])
async def test_a_live_dispatchers_claims_are_renewed_not_taken(svc, sandbox, extra_settings):
    now = utcnow()
    svc.clock = utcnow  # real time: leases run out in real seconds
    await seed_due(
        svc, CHATS[:3], due=now - timedelta(minutes=1), review_at=now + timedelta(days=9)
    )
    holder, other = Dispatcher(svc), Dispatcher(svc)
    claimed = await holder._claim(svc.now())
    beat = asyncio.create_task(holder._heartbeat())
    try:
        await asyncio.sleep(3 * holder.lease / 2)  # past the first lease: renewed meanwhile
        assert await other._recover(svc.now()) == 0
    finally:
        beat.cancel()
    await asyncio.sleep(holder.lease + 0.2)  # no heartbeat: the "process" is gone
    assert await other._recover(svc.now()) == len(claimed)


async def test_a_killed_worker_s_rows_are_sent_within_15_seconds(svc, sandbox):
    now = utcnow()
    await seed_due(svc, CHATS, due=now - timedelta(minutes=1), review_at=now + timedelta(days=9))
    for chat in CHATS:
        sandbox.add_user(chat)
    env = {
        **worker_env(svc, sandbox),
        "DISPATCH_CLAIM_LEASE_SECONDS": "10",
        "DISPATCH_INTERVAL_SECONDS": "30",  # the next tick is far off: the watch must act
        "DISPATCH_BATCH_SIZE": "200",
        "SEND_RATE_PER_SECOND": "20",
    }
    first = await start_worker(env)
    try:
        for _ in range(1500):
            if len(sandbox.delivered) >= 20:
                break
            await asyncio.sleep(0.02)
    finally:
        first.kill()
        await first.wait()
    killed_at = time.monotonic()
    in_flight = {r.chat_id for r in await rows(svc, status="sending") if r.in_flight_at}
    assert len(sandbox.delivered) < len(CHATS), "the kill must land mid-run"
    dead = {r.claimed_by for r in await rows(svc, status="sending")}
    assert dead and None not in dead
    # A second worker: its first tick finds everything claimed; its lease watch acts.
    second = await start_worker(env)
    try:
        async with asyncio.timeout(60):
            while any(r.claimed_by in dead for r in await rows(svc, status="sending")):  # noqa: ASYNC110
                await asyncio.sleep(0.1)
            recovered_in = time.monotonic() - killed_at
            while len({m.chat_id for m in sandbox.delivered}) < len(CHATS):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        second.terminate()
        await second.wait()
    per_chat = Counter(m.chat_id for m in sandbox.delivered)
    assert set(per_chat) == set(CHATS)
    assert {c for c, n in per_chat.items() if n > 1} <= in_flight
    assert recovered_in <= 15  # every row the dead worker held is back in play


@pytest.mark.parametrize("extra_settings", [{"send_rate_per_second": 5.0}])
async def test_a_graceful_stop_gives_back_unsent_claims_at_once(bot, svc, sandbox, extra_settings):
    now = utcnow()
    svc.clock = utcnow
    await seed_due(
        svc, CHATS[:40], due=now - timedelta(minutes=1), review_at=now + timedelta(days=9)
    )
    for chat in CHATS[:40]:
        sandbox.add_user(chat)
    dispatcher = Dispatcher(svc)
    ticking = asyncio.create_task(dispatcher.tick(bot.app.bot))
    while len(sandbox.delivered) < 3:  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    started = time.monotonic()
    await dispatcher.stop()
    await ticking
    assert time.monotonic() - started < 2  # not a lease later
    assert await rows(svc, status="sending") == []
    sent = {r.chat_id for r in await rows(svc, status="sent")}
    waiting = await rows(svc, status="pending")
    assert len(sent) + len(waiting) == 40 and len(waiting) > 20
    assert all(r.attempts == 0 and r.claimed_by is None for r in waiting)
    # Another dispatcher sends the rest at once, nothing twice.
    await Dispatcher(svc).drain(bot.app.bot)
    per_chat = Counter(m.chat_id for m in sandbox.delivered)
    assert set(per_chat) == set(CHATS[:40]) and max(per_chat.values()) == 1
