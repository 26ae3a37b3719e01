"""Global send pacing: two worker processes on one PostgreSQL send due reminders to the
sandbox, which enforces Telegram's limits itself (429 on a breach) and whose receive
times we record. At most 30 a second overall and one a second per chat, across both
processes, with the pacer in PostgreSQL and (if a Redis is reachable) in Redis;
nothing lost, nothing sent twice.

`make test` sends 600 (about 30 s at 20/s) through PostgreSQL and 300 through Redis;
benchmarks/bench_pacer.py sends the issue's 5,000 (about 3 minutes)."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import pytest

from cetr_bot.sandbox import Sandbox
from cetr_bot.services.context import Services
from cetr_bot.storage.types import utcnow
from tests.reminders.helpers import rows, seed_due

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

pytestmark = pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
    reason="needs PostgreSQL (set TEST_DATABASE_URL): several processes share one database",
)


def redis_reachable() -> bool:
    host, _, port = REDIS_URL.removeprefix("redis://").partition("/")[0].partition(":")
    try:
        with socket.create_connection((host, int(port or 6379)), timeout=0.5):
            return True
    except OSError:
        return False


class Recorder:
    """Wraps the sandbox's flood control: the time of each send it admits, by chat."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.times: list[tuple[float, int]] = []
        admit = sandbox.rate.admit

        def recording(faults, chat_id: int) -> None:  # type: ignore[no-untyped-def]
            admit(faults, chat_id)  # raises 429 first if a window is full
            self.times.append((time.monotonic(), chat_id))

        sandbox.rate.admit = recording  # type: ignore[method-assign]

    def busiest_second(self) -> int:
        stamps = sorted(t for t, _ in self.times)
        most, start = 0, 0
        for end, t in enumerate(stamps):
            while stamps[start] <= t - 1.0:
                start += 1
            most = max(most, end - start + 1)
        return most

    def closest_to_one_chat(self) -> float:
        by_chat: dict[int, list[float]] = defaultdict(list)
        for t, chat in self.times:
            by_chat[chat].append(t)
        gaps = [b - a for ts in by_chat.values() for a, b in zip(ts, ts[1:], strict=False)]
        return min(gaps, default=float("inf"))


def worker_env(svc: Services, sandbox: Sandbox, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SEND_PACING")}
    return {
        **env,
        "DATABASE_URL": svc.settings.database_url,
        "BOT_TOKEN": sandbox.token,
        "TELEGRAM_API_URL": sandbox.url,
        "COORDINATOR_IDS": "1001",
        "QUIET_HOURS_START": "00:00",  # real time in the workers: no quiet hours
        "QUIET_HOURS_END": "00:00",
        "DISPATCH_INTERVAL_SECONDS": "0.2",
        "DISPATCH_BATCH_SIZE": "60",  # small batches: both processes take part
        "AUTO_MIGRATE": "false",  # the test database is migrated already
        # Wider margins than the defaults (28/s, 1.1 s): on a loaded CI machine a send can
        # reach the sandbox a few tenths of a second after the pacer let it go. Without
        # the shared pacer two processes would still send 50/s, and to a chat twice.
        "SEND_RATE_PER_SECOND": "20",
        "SEND_CHAT_INTERVAL_SECONDS": "1.4",
        **extra,
    }


async def two_processes_send(svc: Services, sandbox: Sandbox, count: int, **env: str) -> None:
    hot = list(range(80_001, 80_011))  # ten chats with a run of reminders each
    per_hot = max(1, count // 40)
    quiet = list(range(81_001, 81_001 + count - per_hot * len(hot)))  # one each
    now = utcnow()
    await seed_due(
        svc,
        hot,
        due=now - timedelta(minutes=1),
        review_at=now + timedelta(days=9),
        per_chat=per_hot,
    )
    await seed_due(svc, quiet, due=now - timedelta(minutes=1), review_at=now + timedelta(days=9))
    for chat in hot + quiet:
        sandbox.add_user(chat)
    sandbox.faults.global_rate = 30  # Telegram's limits, enforced by the sandbox (429)
    sandbox.faults.per_chat_rate = 1
    recorder = Recorder(sandbox)

    environment = worker_env(svc, sandbox, **env)
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cetr_bot.worker", "--until-idle", env=environment, cwd=ROOT
        )
        for _ in range(2)
    ]
    try:
        async with asyncio.timeout(count / 20 + 45):
            codes = [await w.wait() for w in workers]
    finally:
        for w in workers:
            if w.returncode is None:
                w.kill()
                await w.wait()
    assert codes == [0, 0]

    refused = Counter(str(c.params.get("chat_id")) for c in sandbox.calls if c.status == 429)
    seen = f"busiest second {recorder.busiest_second()}, closest {recorder.closest_to_one_chat()}"
    assert not refused, f"sends refused by the sandbox's flood control: {refused}; {seen}"
    assert recorder.busiest_second() <= 30
    assert recorder.closest_to_one_chat() >= 1.0
    per_chat = Counter(m.chat_id for m in sandbox.delivered)
    assert len(sandbox.delivered) == count  # 0 lost, 0 duplicates
    assert per_chat == Counter({**{c: per_hot for c in hot}, **{c: 1 for c in quiet}})
    assert {r.status for r in await rows(svc)} == {"sent"}


async def test_two_processes_pace_together_through_postgres(svc, sandbox):
    await two_processes_send(svc, sandbox, 600)


@pytest.mark.skipif(not redis_reachable(), reason=f"no Redis at {REDIS_URL}")
async def test_two_processes_pace_together_through_redis(svc, sandbox):
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    try:  # a fresh budget: the sandbox's bot id is the same in every test
        keys = [k async for k in client.scan_iter("cetr:pace:123456:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
    await two_processes_send(svc, sandbox, 300, REDIS_URL=REDIS_URL)
