"""Shared send pacing: the slot stores measured, then the issue's two-process run.

1. Reservations: `--reservations` messages' bookings (reserve + sending, the two calls a
   send makes) by `--concurrency` tasks (distinct chats, no rate limit, so the store
   itself is measured): reservations/s and p50/p95 latency of the pair,
   for the in-process Pacer (the baseline), PostgreSQL and Redis (if reachable).
2. Two processes: `--reminders` due reminders (5,000 by default, about 3 minutes at
   28/s) sent by two worker processes through the PostgreSQL pacer to the sandbox,
   which enforces Telegram's 30/s and 1/s per chat (429 beyond them): elapsed time,
   the busiest second and the closest two sends to one chat in the sandbox's own
   times, 429s, lost and duplicates. `--reminders 0` skips it.

    .venv/bin/python benchmarks/bench_pacer.py [--database-url URL] [--redis-url URL] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cetr_bot.sandbox import start_sandbox  # noqa: E402
from cetr_bot.scheduling.delivery import Pacer  # noqa: E402
from cetr_bot.scheduling.shared_pacer import PostgresSlots, RedisSlots  # noqa: E402
from cetr_bot.storage.models import Participant, Person, Review, YoungPerson  # noqa: E402
from cetr_bot.storage.models_reminders import Reminder  # noqa: E402
from cetr_bot.storage.session import Database  # noqa: E402
from cetr_bot.storage.types import utcnow  # noqa: E402

PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_pacer"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", PG))
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--reservations", type=int, default=5_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--reminders", type=int, default=5_000)
    parser.add_argument("--json", action="store_true", help="one JSON object on the last line")
    return parser.parse_args(argv)


async def fresh_database(url: str) -> Database:
    u = make_url(url)
    conn = await asyncpg.connect(
        host=u.host, port=u.port, user=u.username, password=u.password, database="postgres"
    )
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{u.database}"')
    finally:
        await conn.close()
    db = Database(url)
    await db.upgrade()
    return db


def figures(latencies: list[float], elapsed: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "per_second": round(len(ordered) / elapsed),
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[int(len(ordered) * 0.95)] * 1000, 3),
    }


async def measure_store(store: Any, count: int, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    chats = iter(range(1, count + 1))

    async def one_task() -> None:
        for chat in chats:
            began = time.perf_counter()
            await store.reserve(chat, 1e-9, 0.0)  # book the slot...
            await store.sending(chat, 0.0, 1_000_000)  # ...and count the send as it goes
            latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(one_task() for _ in range(concurrency)))
    return figures(latencies, time.perf_counter() - began)


def measure_in_process(count: int) -> dict[str, float]:
    pacer = Pacer(1e9, 0.0)
    latencies = []
    began = time.perf_counter()
    for chat in range(1, count + 1):
        t = time.perf_counter()
        pacer.reserve(chat)
        latencies.append(time.perf_counter() - t)
    return figures(latencies, time.perf_counter() - began)


async def seed(db: Database, count: int) -> tuple[dict[int, int], int]:
    """Ten busy chats with a run of reminders each, the rest one each; all due."""
    hot, per_hot = list(range(900_001, 900_011)), max(1, count // 40)
    quiet = list(range(910_001, 910_001 + count - per_hot * len(hot)))
    expected = {**{c: per_hot for c in hot}, **{c: 1 for c in quiet}}
    now = utcnow()
    async with db.transaction() as session:
        review = Review(
            young_person=YoungPerson(ref="YP-BENCH", setting="inpatient"),
            type="inpatient",
            scheduled_at=now + timedelta(days=9),
            status="scheduled",
        )
        members = [
            Participant(
                review=review,
                role="other",
                joined_at=now,
                person=Person(telegram_user_id=c, chat_id=c, preferred_name="P"),
            )
            for c in expected
        ]
        session.add_all([review, *members])
        await session.flush()
        for member in members:
            chat = member.person.chat_id if member.person else 0
            for n in range(expected[chat]):
                session.add(
                    Reminder(
                        key=f"bench:{member.id}:{n}",
                        kind="review_reminder",
                        review_id=review.id,
                        participant_id=member.id,
                        person_id=member.person_id,
                        chat_id=chat,
                        due_at=now - timedelta(minutes=1),
                        send_after=now - timedelta(minutes=1),
                        status="pending",
                        attempts=0,
                        payload={"days": 2},
                    )
                )
    return expected, per_hot


async def two_processes(url: str, count: int) -> dict[str, Any]:
    db = await fresh_database(url)
    expected, _ = await seed(db, count)
    await db.dispose()
    sandbox = await start_sandbox()
    for chat in expected:
        sandbox.add_user(chat)
    sandbox.faults.global_rate, sandbox.faults.per_chat_rate = 30, 1
    times: list[tuple[float, int]] = []
    admit = sandbox.rate.admit

    def recording(faults: Any, chat_id: int) -> None:
        admit(faults, chat_id)
        times.append((time.monotonic(), chat_id))

    sandbox.rate.admit = recording  # type: ignore[method-assign]
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SEND_PACING")},
        "DATABASE_URL": url,
        "BOT_TOKEN": sandbox.token,
        "TELEGRAM_API_URL": sandbox.url,
        "QUIET_HOURS_START": "00:00",
        "QUIET_HOURS_END": "00:00",
        "DISPATCH_INTERVAL_SECONDS": "0.2",
        "AUTO_MIGRATE": "false",
    }
    began = time.monotonic()
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cetr_bot.worker", "--until-idle", env=env, cwd=ROOT
        )
        for _ in range(2)
    ]
    codes = [await w.wait() for w in workers]
    elapsed = time.monotonic() - began
    stamps = sorted(t for t, _ in times)
    busiest, start = 0, 0
    for end, t in enumerate(stamps):
        while stamps[start] <= t - 1.0:
            start += 1
        busiest = max(busiest, end - start + 1)
    by_chat: dict[int, list[float]] = defaultdict(list)
    for t, chat in times:
        by_chat[chat].append(t)
    closest = min(
        (b - a for ts in by_chat.values() for a, b in zip(ts, ts[1:], strict=False)),
        default=float("inf"),
    )
    got = Counter(m.chat_id for m in sandbox.delivered)
    lost = sum(max(0, n - got[c]) for c, n in expected.items())
    duplicates = sum(max(0, got[c] - expected.get(c, 0)) for c in got)
    refused = sum(1 for c in sandbox.calls if c.status == 429)
    await sandbox.stop()
    return {
        "reminders": count,
        "worker_exit_codes": codes,
        "elapsed_s": round(elapsed, 1),
        "minimum_s_at_28_per_s": round(count / 28, 1),
        "sent_per_second": round(len(sandbox.delivered) / elapsed, 1),
        "busiest_second": busiest,
        "closest_same_chat_s": round(closest, 3),
        "refused_429": refused,
        "lost": lost,
        "duplicates": duplicates,
    }


async def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse(argv)
    out: dict[str, Any] = {"concurrency": args.concurrency}
    out["in_process"] = measure_in_process(args.reservations)
    db = await fresh_database(args.database_url)
    await db.dispose()
    slots = PostgresSlots(args.database_url, pool_size=args.concurrency)
    try:
        out["postgres"] = await measure_store(slots, args.reservations, args.concurrency)
    finally:
        await slots.close()
    redis = RedisSlots(args.redis_url, prefix=f"bench:{os.getpid()}")
    try:
        out["redis"] = await measure_store(redis, args.reservations, args.concurrency)
    except Exception as exc:  # noqa: BLE001 - no Redis here: say so and go on
        out["redis"] = f"not measured: {exc}"
    finally:
        await redis.close()
    if args.reminders:
        out["two_processes_postgres"] = await two_processes(args.database_url, args.reminders)
    return out


if __name__ == "__main__":
    arguments = parse(sys.argv[1:])
    result = asyncio.run(main(sys.argv[1:]))
    if not arguments.json:
        for key, value in result.items():
            print(f"{key}: {value}")
    print(json.dumps(result))
