"""Webhook mode at scale: `cetr-bot run` processes on one database, the sandbox pushing
button presses round-robin over them (a load balancer) and then redelivering some of them
to another process. Reports updates/s with one process and with two, and how many
duplicates were handled (must be 0: each press answered once, each redelivery dropped).

The "reminders" section: due reminders (5,000 by default) dispatched by two worker
processes on the same PostgreSQL with the shared pacer (bench_pacer.two_processes): lost,
duplicates, 429s, the busiest second and the closest two sends to one chat, all in the
sandbox's own timestamps.

    python benchmarks/bench_scale.py [--updates 2000] [--redeliver 200] [--reminders 5000] [--json]

Two processes need PostgreSQL: BENCH_DATABASE_URL (or TEST_DATABASE_URL) names a server
database to use (it is emptied); without one only the one-process figure is measured, on
SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from cetr_bot.sandbox import start_sandbox  # noqa: E402
from cetr_bot.storage.session import Database  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pacer import two_processes as two_processes_send  # noqa: E402

from tests.web.processes import (  # noqa: E402
    BotProcess,
    answers,
    push_and_wait,
    redeliver_to_others,
    settle,
    start_bot,
    summary,
)


async def fresh_database(url: str | None, folder: Path) -> str:
    if url is None:
        url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    db = Database(url)
    if url.startswith("postgresql"):
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await db.upgrade()
    await db.dispose()
    return url


async def run(processes: int, updates: int, redeliver: int, url: str | None) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    database_url = await fresh_database(url, folder)
    sandbox = await start_sandbox()
    bots: list[BotProcess] = []
    try:
        bots = [await start_bot(sandbox, database_url, folder) for _ in range(processes)]
        for bot in bots:
            await bot.wait_ready()
        result = await push_and_wait(sandbox, bots, updates)
        if redeliver and processes > 1:
            result.redelivered = await redeliver_to_others(sandbox, bots, redeliver)
            await settle(bots, updates + result.redelivered)
        counted = answers(sandbox)
        result.answered, result.refused = (
            counted.get(200, 0),
            sum(n for status, n in counted.items() if status != 200),
        )
        result.per_process = [await bot.metric("cetr_updates_total") for bot in bots]
        result.duplicates_dropped = sum(
            [await bot.metric("cetr_webhook_duplicates_dropped_total") for bot in bots]
        )
        return summary(result)
    finally:
        for bot in bots:
            await bot.terminate()
        await sandbox.stop()


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or None
    one = await run(1, args.updates, 0, url)
    two = await run(2, args.updates, args.redeliver, url) if url else None
    return {
        "benchmark": "scale",
        "database": "postgresql" if url else "sqlite",
        "updates": {
            "one_process": one,
            "two_processes": two,
            "updates_per_second_one": one["updates_per_second"],
            "updates_per_second_two": two["updates_per_second"] if two else None,
            "duplicates_handled": (two or one)["duplicates_handled"],
        },
        "reminders": (
            await two_processes_send(url, args.reminders) if url and args.reminders else None
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--redeliver", type=int, default=200)
    parser.add_argument("--reminders", type=int, default=5000, help="0: skip (PostgreSQL only)")
    parser.add_argument("--json", action="store_true", help="one JSON object on the last line")
    args = parser.parse_args()
    figures = asyncio.run(main_async(args))
    if args.json:
        print(json.dumps(figures))
    else:
        print(json.dumps(figures, indent=2))
    reminders = figures["reminders"] or {"lost": 0, "duplicates": 0}
    clean = reminders["lost"] == 0 and reminders["duplicates"] == 0
    return 0 if figures["updates"]["duplicates_handled"] == 0 and clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
