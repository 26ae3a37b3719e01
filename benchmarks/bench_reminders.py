"""Reminder delivery benchmark against the local sandbox.

1. Throughput: N due reminders over C chats, the sandbox (its own process, like
   Telegram) enforcing Telegram-like limits: a global and a per-chat rate,
   answering 429 beyond them. Reports the total time against the minimum those
   limits allow, and lost and duplicate messages (counted from what the sandbox
   actually accepted).
2. Idle tick: the dispatcher's tick with many pending reminders of which none is due.
3. Peak memory of the dispatching process.

Issue #11's modes (each instead of the runs above):
  --race    cancels and moves reviews while their reminders are being sent; reports
            stale_after_commit: messages contradicting a change (any reminder of a
            cancelled review, the old date of a moved one) that the sandbox accepted
            after the change had committed (must be 0).
  --faults  answers held back past the client's read timeout after acceptance, 429s,
            5xx and 403s; reports lost, duplicates (routine: must be 0), uncertain.
  --kill    a `cetr_bot.worker` subprocess killed with SIGKILL mid-run, a second one
            already running; reports lost, duplicates (at most in_flight_at_kill) and
            recovery_seconds (kill → every row the dead worker held is back in play,
            i.e. pending again for a live one; ≤ 15) and held_rows_settled_seconds.

    .venv/bin/python benchmarks/bench_reminders.py [--reminders 10000 --chats 2000] [--json]
    .venv/bin/python benchmarks/bench_reminders.py --race|--faults|--kill [--json]

A 10,000-reminder run at 30/s takes at least 333 s.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import resource
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import delete, func, insert, select
from telegram import Bot
from telegram.request import HTTPXRequest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cetr_bot.wiring  # noqa: E402, F401  (installs the composer the dispatcher uses)
from cetr_bot.config import Settings  # noqa: E402
from cetr_bot.sandbox import SandboxClient  # noqa: E402
from cetr_bot.sandbox.state import SandboxState  # noqa: E402
from cetr_bot.scheduling.dispatcher import MAX_IN_FLIGHT, Dispatcher, TickReport  # noqa: E402
from cetr_bot.services import reviews as review_service  # noqa: E402
from cetr_bot.services.context import Actor, Services  # noqa: E402
from cetr_bot.storage.encrypted import KeyRing, generate_key  # noqa: E402
from cetr_bot.storage.models import Participant, Person, Review, YoungPerson  # noqa: E402
from cetr_bot.storage.models_reminders import Reminder  # noqa: E402
from cetr_bot.storage.session import Database  # noqa: E402
from cetr_bot.storage.types import utcnow  # noqa: E402

FIRST_CHAT = 100_000
ROOT = Path(__file__).resolve().parents[1]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=2_000)
    parser.add_argument("--idle", type=int, default=100_000, help="pending, none due")
    parser.add_argument("--global-rate", type=float, default=30.0)
    parser.add_argument("--per-chat-rate", type=float, default=1.0)
    parser.add_argument("--ticks", type=int, default=50, help="idle ticks to time")
    parser.add_argument(
        "--idle-only", action="store_true", help="only the idle tick (no throughput run)"
    )
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--json", action="store_true", help="one JSON object on the last line")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--race", action="store_true", help="cancel and move while sending")
    mode.add_argument("--faults", action="store_true", help="timeouts, 429, 5xx, 403")
    mode.add_argument("--kill", action="store_true", help="SIGKILL the dispatching process")
    return parser.parse_args(argv)


async def seed_people(svc: Services, chats: int) -> tuple[int, list[tuple[int, int, int]]]:
    """One scheduled review, `chats` joined participants; (review id, [(chat, person, pid)])."""
    now = utcnow()
    async with svc.db.transaction() as session:
        young = YoungPerson(ref="YP-BENCH", setting="inpatient")
        review = Review(
            young_person=young,
            type="inpatient",
            scheduled_at=now + timedelta(days=30),
            status="scheduled",
        )
        session.add(review)
        members = []
        for n in range(chats):
            chat = FIRST_CHAT + n
            person = Person(telegram_user_id=chat, chat_id=chat, preferred_name=f"P{n}")
            members.append(Participant(review=review, role="other", person=person, joined_at=now))
        session.add_all(members)
        await session.flush()
        return review.id, [(m.person.chat_id, m.person_id, m.id) for m in members if m.person]


def reminder_rows(
    review_id: int, people: list[tuple[int, int, int]], count: int, due: Any, tag: str
) -> Iterator[dict[str, Any]]:
    """`count` reminder rows spread evenly over the people (round robin), made lazily."""
    for n in range(count):
        chat, person_id, participant_id = people[n % len(people)]
        yield (
            {
                "key": f"bench:{tag}:{n}",
                "kind": "review_reminder",
                "review_id": review_id,
                "participant_id": participant_id,
                "person_id": person_id,
                "chat_id": chat,
                "due_at": due,
                "send_after": due,
                "status": "pending",
                "attempts": 0,
                # Same "days" for all: none supersedes another, every row must be sent.
                "payload": {"days": 2},
                "created_at": due,
                "updated_at": due,
            }
        )


async def insert_rows(svc: Services, rows: Iterator[dict[str, Any]]) -> None:
    """Core executemany on the table in large chunks: the ORM's bulk path costs far more
    per row, and one transaction per chunk keeps memory flat."""
    table = Reminder.__table__
    while chunk := list(itertools.islice(rows, 20_000)):
        async with svc.db.engine.begin() as conn:
            await conn.execute(insert(table), chunk)


class SandboxProcess:
    """`cetr-bot sandbox` in a child process, so its clock is not our event loop's."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> SandboxClient:
        code = f"from cetr_bot.cli import main; main(['sandbox', '--port', '{self.port}'])"
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", code, stdout=asyncio.subprocess.DEVNULL
        )
        self.client = SandboxClient(self.url, timeout=120)
        for _ in range(200):
            try:
                if await self.client.health():
                    return self.client
            except httpx.HTTPError:
                await asyncio.sleep(0.05)
        raise RuntimeError("the sandbox did not start")

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()
        if self.proc is not None:
            self.proc.terminate()
            await self.proc.wait()


async def run_throughput(
    svc: Services, bot: Bot, client: SandboxClient, args: argparse.Namespace
) -> dict[str, Any]:
    review_id, people = await seed_people(svc, args.chats)
    for chat, _, _ in people:
        await client.user(chat).send("/start")  # the chat exists once they wrote to the bot
    await insert_rows(
        svc, reminder_rows(review_id, people, args.reminders, utcnow() - timedelta(minutes=1), "d")
    )
    await client.set_faults(global_rate=args.global_rate, per_chat_rate=args.per_chat_rate)
    dispatcher = Dispatcher(svc)
    total = TickReport()
    started = time.monotonic()
    while (report := await dispatcher.tick(bot, budget_seconds=3600)).claimed:
        total.add(report)
    elapsed = time.monotonic() - started
    expected: Counter[int] = Counter()
    for n in range(args.reminders):
        expected[people[n % len(people)][0]] += 1
    calls = await client.calls()
    accepted = [c for c in calls if c["method"] == "sendMessage" and c["status"] == 200]
    got = Counter(int(c["params"]["chat_id"]) for c in accepted)
    async with svc.db.transaction() as session:
        unsent = await session.scalar(
            select(func.count()).select_from(Reminder).where(Reminder.status != "sent")
        )
    per_chat = max(expected.values())
    minimum = max(args.reminders / args.global_rate, (per_chat - 1) / args.per_chat_rate)
    return {
        "reminders": args.reminders,
        "chats": args.chats,
        "global_rate": args.global_rate,
        "per_chat_rate": args.per_chat_rate,
        "seconds": round(elapsed, 2),
        "minimum_seconds": round(minimum, 2),
        "over_minimum_pct": round(100 * (elapsed / minimum - 1), 2),
        "lost": sum(max(0, n - got[c]) for c, n in expected.items()),
        "duplicates": sum(max(0, got[c] - expected[c]) for c in got),
        "unsent_rows": int(unsent or 0),
        "rate_limited_429": sum(1 for c in calls if c["status"] == 429),
        "sent": total.sent,
    }


async def run_idle(svc: Services, bot: Bot, args: argparse.Namespace) -> dict[str, Any]:
    async with svc.db.transaction() as session:
        await session.execute(delete(Reminder))
    review_id, people = await seed_people_again(svc)
    begun = time.perf_counter()
    await insert_rows(
        svc, reminder_rows(review_id, people, args.idle, utcnow() + timedelta(days=10), "i")
    )
    seeded_in = time.perf_counter() - begun
    dispatcher = Dispatcher(svc)
    timings = []
    for _ in range(args.ticks):
        started = time.perf_counter()
        report = await dispatcher.tick(bot)
        timings.append((time.perf_counter() - started) * 1000)
        assert report.claimed == 0
    return {
        "idle_pending": args.idle,
        "idle_seed_seconds": round(seeded_in, 1),
        "idle_tick_ms_median": round(statistics.median(timings), 3),
        "idle_tick_ms_p95": round(sorted(timings)[int(len(timings) * 0.95) - 1], 3),
        "idle_tick_ms_max": round(max(timings), 3),
    }


async def seed_people_again(svc: Services) -> tuple[int, list[tuple[int, int, int]]]:
    """The throughput run's people, reused for the idle rows."""
    async with svc.db.transaction() as session:
        rows = (
            await session.execute(
                select(Person.chat_id, Person.id, Participant.id, Participant.review_id).join(
                    Participant, Participant.person_id == Person.id
                )
            )
        ).all()
    return rows[0][3], [(chat, person, pid) for chat, person, pid, _ in rows]


async def seed_reviews(
    svc: Services, reviews: int, per_review: int, first_chat: int, *, days: int = 2
) -> dict[int, tuple[int, Any]]:
    """`reviews` reviews, `per_review` joined people each and one due reminder per person;
    chat → (review id, review time)."""
    now = utcnow()
    owner: dict[int, tuple[int, Any]] = {}
    chat = first_chat
    for n in range(reviews):
        at = (now + timedelta(days=days)).replace(second=0, microsecond=0)
        async with svc.db.transaction() as session:
            young = YoungPerson(ref=f"YP-R{n}", setting="inpatient")
            review = Review(
                young_person=young, type="inpatient", scheduled_at=at, status="scheduled"
            )
            session.add(review)
            members = []
            for _ in range(per_review):
                person = Person(telegram_user_id=chat, chat_id=chat, preferred_name=f"P{chat}")
                members.append(
                    Participant(review=review, role="other", person=person, joined_at=now)
                )
                chat += 1
            session.add_all(members)
            await session.flush()
            for m in members:
                assert m.person is not None
                owner[m.person.chat_id] = (review.id, at)
                session.add(
                    Reminder(
                        key=f"bench:race:{m.id}",
                        kind="review_reminder",
                        review_id=review.id,
                        participant_id=m.id,
                        person_id=m.person_id,
                        chat_id=m.person.chat_id,
                        due_at=now - timedelta(minutes=1),
                        send_after=now - timedelta(minutes=1),
                        status="pending",
                        attempts=0,
                        payload={"days": days},
                    )
                )
    return owner


async def run_race(svc: Services, bot: Bot, client: SandboxClient) -> dict[str, Any]:
    count, per = 12, 60
    owner = await seed_reviews(svc, count, per, FIRST_CHAT)
    for chat in owner:
        await client.user(chat).send("/start")
    dispatcher = Dispatcher(svc)
    sending = asyncio.create_task(dispatcher.tick(bot, budget_seconds=3600))
    changes: dict[int, tuple[str, float, Any]] = {}  # review → (what, committed at, old time)
    cli = Actor.cli()
    texts = dispatcher.texts
    await asyncio.sleep(1.0)
    # Each review while its own reminders are (about to be) sent: the queue is in id order.
    for n, review_id in enumerate(sorted({r for r, _ in owner.values()})):
        await asyncio.sleep(per / svc.settings.send_rate_per_second * 0.8)
        at = next(a for r, a in owner.values() if r == review_id)
        if n % 2:
            await review_service.cancel_review(svc, cli, review_id=review_id)
            changes[review_id] = ("cancelled", time.time(), at)
        else:
            await review_service.reschedule_review(
                svc, cli, review_id=review_id, at=at + timedelta(days=1)
            )
            changes[review_id] = ("moved", time.time(), at)
    await sending
    while (await dispatcher.tick(bot, budget_seconds=3600)).claimed:
        pass
    stale = 0
    contradicted_before_commit = 0
    for call in await client.calls():
        if call["status"] != 200 or call["method"] not in ("sendMessage", "sendDocument"):
            continue
        chat = int(call["params"]["chat_id"])
        if chat not in owner or call["method"] == "sendDocument":
            continue  # calendar notices (the move or the cancellation itself)
        review_id, at = owner[chat]
        what, committed, old = changes[review_id]
        old_day = texts.local(old).strftime("%-d %B")
        text = str(call["params"].get("text", ""))
        wrong = what == "cancelled" or old_day in text
        if wrong and call["at"] > committed:
            stale += 1
        elif wrong:
            contradicted_before_commit += 1
    return {
        "race_reviews": count,
        "race_reminders": len(owner),
        "changes": len(changes),
        "stale_after_commit": stale,
        "sent_before_the_change": contradicted_before_commit,
    }


async def run_faults(svc: Services, bot: Bot, client: SandboxClient) -> dict[str, Any]:
    reviews, per = 4, 50
    owner = await seed_reviews(svc, reviews, per, FIRST_CHAT)
    chats = sorted(owner)
    for chat in chats:
        await client.user(chat).send("/start")
    slow, blocked = set(chats[::20]), set(chats[7::25])
    slow -= blocked
    read_timeout = svc.settings.send_read_timeout_seconds
    await client.set_faults(
        delay_chats=sorted(slow),
        delay_seconds=read_timeout + 1.0,
        blocked_chats=sorted(blocked),
        global_rate=svc.settings.send_rate_per_second * 0.6,  # 429s
        fail_next=15,
        fail_status=502,
    )
    dispatcher = Dispatcher(svc)
    total = TickReport()
    for round_ in range(40):
        if round_ == 3:
            await client.set_faults(fail_next=10, fail_status=500)
        report = await dispatcher.tick(bot, budget_seconds=3600)
        total.add(report)
        async with svc.db.transaction() as session:
            left = await session.scalar(
                select(func.count())
                .select_from(Reminder)
                .where(Reminder.status.in_(["pending", "sending"]))
            )
        if not left:
            break
        await asyncio.sleep(0.3)
    calls = await client.calls()
    got = Counter(
        int(c["params"]["chat_id"])
        for c in calls
        if c["method"] == "sendMessage" and c["status"] == 200
    )
    async with svc.db.transaction() as session:
        grouped = await session.execute(
            select(Reminder.status, func.count()).group_by(Reminder.status)
        )
        statuses = {str(status): int(n) for status, n in grouped}
    expected = [c for c in chats if c not in blocked]
    return {
        "faults_reminders": len(chats),
        "delayed_after_acceptance": len(slow),
        "blocked_403": len(blocked),
        "rate_limited_429": sum(1 for c in calls if c["status"] == 429),
        "server_errors_5xx": sum(1 for c in calls if c["status"] >= 500),
        "lost": sum(1 for c in expected if got[c] == 0),
        "duplicates": sum(max(0, n - 1) for n in got.values()),
        "uncertain": statuses.get("uncertain", 0),
        "statuses": statuses,
        "retried": total.retried,
    }


async def run_kill(
    svc: Services, client: SandboxClient, settings: Settings, args: argparse.Namespace
) -> dict[str, Any]:
    count = 600
    owner = await seed_reviews(svc, 6, count // 6, FIRST_CHAT, days=9)
    for chat in owner:
        await client.user(chat).send("/start")
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "BOT_TOKEN": SandboxState.token,
        "TELEGRAM_API_URL": client.url,
        "QUIET_HOURS_START": "00:00",
        "QUIET_HOURS_END": "00:00",
        "DISPATCH_INTERVAL_SECONDS": "30",  # far apart: the lease watch must pick rows up
        "DISPATCH_CLAIM_LEASE_SECONDS": str(settings.dispatch_claim_lease_seconds),
        "COORDINATOR_IDS": "1001",
    }
    root = ROOT

    async def worker() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cetr_bot.worker", env=env, cwd=root
        )

    def accepted(calls: list[dict[str, Any]]) -> Counter[int]:
        return Counter(
            int(c["params"]["chat_id"])
            for c in calls
            if c["method"] == "sendMessage" and c["status"] == 200
        )

    first = await worker()
    while sum(accepted(await client.calls()).values()) < count // 4:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    killed = time.monotonic()
    async with svc.db.transaction() as session:
        held = (
            await session.execute(
                select(Reminder.id, Reminder.in_flight_at, Reminder.claimed_by).where(
                    Reminder.status == "sending"
                )
            )
        ).all()
    held_ids = [row_id for row_id, _, _ in held]
    dead = {by for _, _, by in held}
    in_flight = sum(1 for _, flight, _ in held if flight is not None)
    second = await worker()
    recovery = settled = None
    try:
        async with asyncio.timeout(180):
            while settled is None:
                async with svc.db.transaction() as session:
                    still_held = await session.scalar(
                        select(func.count())
                        .select_from(Reminder)
                        .where(Reminder.status == "sending", Reminder.claimed_by.in_(dead))
                    )
                    unsettled = await session.scalar(
                        select(func.count())
                        .select_from(Reminder)
                        .where(
                            Reminder.id.in_(held_ids),
                            Reminder.status.in_(["sending", "pending"]),
                        )
                    )
                if recovery is None and not still_held:
                    recovery = time.monotonic() - killed
                if recovery is not None and not unsettled:
                    settled = time.monotonic() - killed
                await asyncio.sleep(0.1)
            while len(accepted(await client.calls())) < count:  # noqa: ASYNC110
                await asyncio.sleep(0.2)
    finally:
        second.terminate()  # a graceful stop
        await second.wait()
    got = accepted(await client.calls())
    return {
        "kill_reminders": count,
        "held_at_kill": len(held_ids),
        "in_flight_at_kill": in_flight,
        "lost": sum(1 for c in owner if got[c] == 0),
        "duplicates": sum(max(0, n - 1) for n in got.values()),
        "recovery_seconds": round(recovery, 2) if recovery is not None else None,
        "held_rows_settled_seconds": round(settled, 2) if settled is not None else None,
        "lease_seconds": settings.dispatch_claim_lease_seconds,
    }


async def main_issue11(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="cetr-bench-"))
    async with SandboxProcess() as client:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=args.database_url or f"sqlite:///{folder / 'bench.db'}",
            bot_token=SandboxState.token,
            telegram_api_url=client.url,
            quiet_hours_start="00:00",
            quiet_hours_end="00:00",
            send_backoff_seconds=0.5,
            send_read_timeout_seconds=2.0,
            send_max_attempts=10,
        )
        db = Database(settings.database_url)
        await db.upgrade()
        svc = Services(db=db, settings=settings)
        try:
            if args.kill:
                return {**await run_kill(svc, client, settings, args), "mode": "kill"}
            request = HTTPXRequest(
                connection_pool_size=MAX_IN_FLIGHT,
                read_timeout=settings.send_read_timeout_seconds,
            )
            base_url = f"{client.url}/bot"
            async with Bot(SandboxState.token, base_url=base_url, request=request) as bot:
                if args.race:
                    return {**await run_race(svc, bot, client), "mode": "race"}
                return {**await run_faults(svc, bot, client), "mode": "faults"}
        finally:
            await db.dispose()


async def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse(argv)
    if args.race or args.faults or args.kill:
        logging.basicConfig(level=logging.ERROR)
        cetr_bot.wiring.install()
        figures = await main_issue11(args)
        figures["database"] = (args.database_url or "sqlite").split(":", 1)[0]
        return figures
    logging.basicConfig(level=logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="cetr-bench-"))
    async with SandboxProcess() as client:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=args.database_url or f"sqlite:///{folder / 'bench.db'}",
            bot_token=SandboxState.token,
            telegram_api_url=client.url,
            quiet_hours_start="00:00",  # no quiet hours: the benchmark runs at any hour
            quiet_hours_end="00:00",
        )
        db = Database(settings.database_url, keys=KeyRing.parse(generate_key()))
        await db.upgrade()
        svc = Services(db=db, settings=settings)
        try:
            request = HTTPXRequest(connection_pool_size=MAX_IN_FLIGHT)  # as the bot's own
            base_url = f"{client.url}/bot"
            async with Bot(SandboxState.token, base_url=base_url, request=request) as bot:
                if args.idle_only:
                    await seed_people(svc, args.chats)
                    figures: dict[str, Any] = {}
                else:
                    figures = await run_throughput(svc, bot, client, args)
                    figures["peak_memory_mb_throughput"] = _peak_mb()
                await client.reset_faults()
                figures.update(await run_idle(svc, bot, args))
        finally:
            await db.dispose()
    figures["peak_memory_mb"] = _peak_mb()
    figures["pacing"] = {
        "send_rate_per_second": settings.send_rate_per_second,
        "send_chat_interval_seconds": settings.send_chat_interval_seconds,
    }
    figures["database"] = settings.database_url.split(":", 1)[0]
    return figures


def _peak_mb() -> float:
    """Peak resident memory of this process so far (seeding included)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def report(figures: dict[str, Any], as_json: bool) -> None:
    if "mode" in figures:
        print(", ".join(f"{k} {v}" for k, v in figures.items()))
        if as_json:
            print(json.dumps(figures))
        return
    if "reminders" in figures:
        print(
            f"throughput: {figures['reminders']} reminders over {figures['chats']} chats in "
            f"{figures['seconds']} s (minimum {figures['minimum_seconds']} s at "
            f"{figures['global_rate']}/s overall, {figures['per_chat_rate']}/s per chat; "
            f"{figures['over_minimum_pct']}% over); lost {figures['lost']}, "
            f"duplicates {figures['duplicates']}, 429s {figures['rate_limited_429']}"
        )
    print(
        f"idle tick with {figures['idle_pending']} pending, none due: median "
        f"{figures['idle_tick_ms_median']} ms, p95 {figures['idle_tick_ms_p95']} ms "
        f"(seeded in {figures['idle_seed_seconds']} s)"
    )
    print(
        f"peak memory: {figures.get('peak_memory_mb_throughput', '-')} MB after the throughput"
        f" run, {figures['peak_memory_mb']} MB in all (RSS of the dispatching process)"
    )
    if as_json:
        print(json.dumps(figures))


if __name__ == "__main__":
    arguments = parse(sys.argv[1:])
    report(asyncio.run(main(sys.argv[1:])), arguments.json)
