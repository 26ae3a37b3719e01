"""Benchmark: simulated people completing a preparation bank at the same time.

Three processes, as in life: the local Telegram sandbox, the bot under test, and
this one playing the people (each answers, waits for the reply, answers again).
The real bot runs on a fresh SQLite file; then the same harness drives a bare
python-telegram-bot echo bot (no database, one reply per update) as the baseline.

Two loads for each bot:
  closed  every person answers as soon as the bot has replied: throughput
  open    updates are offered at a fixed total rate (--rate, default 25/s):
          reply latency at that load

Latency is from handing the update to the sandbox until the bot's reply is in
the chat. The bot under test has the production handlers (`register_handlers`)
and, like production, handles different people's updates concurrently and each
person's in order (telegram/updates.py); it runs without the outgoing rate
limiter, which holds any bot to Telegram's 30 messages a second (--limited adds a
small run with it). The echo bot is python-telegram-bot's default: one update at
a time; --concurrent lets it handle updates concurrently too.

    .venv/bin/python benchmarks/bench_preparation.py [--users 20] [--rate 25] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from cetr_bot.config import Settings
from cetr_bot.domain import ReviewType, Role
from cetr_bot.runner import open_services
from cetr_bot.sandbox import SandboxClient, SandboxUser, SentMessage, start_sandbox
from cetr_bot.sandbox.state import SandboxState
from cetr_bot.services import invitations, reviews
from cetr_bot.services.context import Actor, Services
from cetr_bot.services.question_bank import Question, library
from cetr_bot.storage.encrypted import generate_key
from cetr_bot.telegram.application import register_handlers
from cetr_bot.telegram.updates import PerPersonProcessor
from cetr_bot.text import Texts

ROLE, REVIEW_TYPE = Role.FAMILY, ReviewType.INPATIENT
SEND = "📨 Send to the panel"
ECHO_BUTTON = "🔁 Again"
SANDBOX_TOKEN = SandboxState.token
Step = tuple[str, str]  # ("send", text) or ("press", button label)


# --- the script every simulated person follows ------------------------------------------


def script() -> list[Step]:
    """/prepare, one answer per question of the family bank, then send to the panel."""
    bank = library().bank_for(ROLE, REVIEW_TYPE)
    assert bank is not None
    steps: list[Step] = [("send", "/prepare")]
    steps += [_answer(q) for q in bank.for_age(14)]
    steps.append(("press", SEND))
    return steps


def _answer(question: Question) -> Step:
    if question.options:
        safe = next(o for o in question.options if o.value not in question.alert_on)
        return ("press", safe.label)
    if question.kind == "date":
        return ("send", "31/01/2027")
    return ("send", f"An answer to {question.id}, typed by a simulated person.")


# --- measuring --------------------------------------------------------------------------


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0

    def figures(self, offered: float | None = None) -> dict[str, Any]:
        seconds = self.finished - self.started
        ordered = sorted(self.latencies)
        result: dict[str, Any] = {
            "updates": len(ordered),
            "seconds": round(seconds, 3),
            "updates_per_s": round(len(ordered) / seconds, 1) if seconds else None,
            "p50_ms": _ms(_percentile(ordered, 50)),
            "p95_ms": _ms(_percentile(ordered, 95)),
            "p99_ms": _ms(_percentile(ordered, 99)),
            "mean_ms": _ms(statistics.fmean(ordered)) if ordered else None,
        }
        if offered is not None:
            result["offered_per_s"] = offered
        return result


def _percentile(ordered: list[float], pct: float) -> float:
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


async def person(
    user: SandboxUser, steps: list[Step], run: Run, label_for: Callable[[str], str], gap: float
) -> None:
    """One simulated person: each step waits for the bot's reply; with gap > 0 the
    steps are paced (open loop), never closer than the reply allows."""
    last: SentMessage | None = None
    due = time.perf_counter()
    for kind, value in steps:
        if gap:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            due += gap
        begun = time.perf_counter()
        if kind == "send":
            sent = await user.send(value)
        else:
            assert last is not None, "a press needs a message with buttons"
            sent = await user.press_data(
                last.message_id, last.find_callback(label_for(value)), False
            )
        replies = await reply(user, int(sent["version"]))
        run.latencies.append(time.perf_counter() - begun)
        with_buttons = [m for m in replies if m.buttons]
        last = with_buttons[-1] if with_buttons else replies[-1]


async def reply(user: SandboxUser, version: int) -> list[SentMessage]:
    """The bot's new messages after `version`: one long poll, then one read of the chat
    (lighter on the shared sandbox than the test client's general wait)."""
    path = f"/sandbox/chats/{user.user_id}"
    while True:
        waited = await user.client.request(
            "GET", f"{path}/wait", params={"after_version": version, "timeout": 30}
        )
        if not waited.json()["changed"]:
            raise AssertionError(f"no reply in chat {user.user_id}")
        state = (await user.client.request("GET", f"{path}/state")).json()
        new = [
            SentMessage.from_dict(m)
            for m in state["messages"]
            if m.get("created_version", 0) > version
        ]
        if new:
            return new
        version = int(state["version"])  # only an edit so far: wait for the reply itself


async def drive(
    users: list[SandboxUser], steps: list[Step], label_for: Callable[[str], str], rate: float
) -> Run:
    run = Run()
    gap = len(users) / rate if rate else 0.0
    run.started = time.perf_counter()
    await asyncio.gather(
        *(
            _staggered(i * gap / len(users), person(u, steps, run, label_for, gap))
            for i, u in enumerate(users)
        )
    )
    run.finished = time.perf_counter()
    return run


async def _staggered(delay: float, work: Awaitable[None]) -> None:
    await asyncio.sleep(delay)
    await work


# --- the processes: sandbox, bot under test, and this one driving the people ---------------


@dataclass
class Bench:
    users: int
    rate: float
    limited: bool  # also a small run with the production rate limiter
    concurrent: bool  # the echo bot handles updates concurrently too
    folder: Path


def _settings(api: str, db: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        bot_token=SANDBOX_TOKEN,
        telegram_api_url=api,
        database_url=f"sqlite:///{db}",
        coordinator_ids=[1001],
        data_encryption_keys=BENCH_KEY,  # encrypted at rest, as in production
    )


BENCH_KEY = generate_key()


def _builder(api: str) -> ApplicationBuilder:
    return (
        Application.builder()
        .token(SANDBOX_TOKEN)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
    )


def _preparation_app(settings: Settings, svc: Services, limited: bool) -> Application:
    """The real handlers and update processor, as production has them; the flood
    limiter only with --limited (it holds any bot to Telegram's 30 messages a second)."""
    builder = _builder(settings.telegram_api_url).concurrent_updates(PerPersonProcessor())
    if limited:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=2))
    app = builder.build()
    app.bot_data["services"] = svc
    app.bot_data["texts"] = Texts(settings.zone)
    register_handlers(app)
    return app


def _echo_app(api: str, concurrent: bool) -> Application:
    app = _builder(api).concurrent_updates(concurrent).build()
    app.add_handler(MessageHandler(filters.ALL, _echo_text))
    app.add_handler(CallbackQueryHandler(_echo_press))
    return app


async def _echo_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        update.effective_message.text or "…", reply_markup=_again()
    )


async def _echo_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    await query.answer()
    await context.bot.send_message(
        update.effective_chat.id, query.data or "…", reply_markup=_again()
    )


def _again() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(ECHO_BUTTON, callback_data="again")]])


async def serve(kind: str, api: str, db: Path | None, limited: bool, concurrent: bool) -> None:
    """Run one bot (or the sandbox) in this process until SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    if kind == "sandbox":
        sandbox = await start_sandbox(port=int(api))
        print(sandbox.url, flush=True)
        await stop.wait()
        await sandbox.stop()
        return
    svc = None
    if kind == "echo":
        app = _echo_app(api, concurrent)
    else:
        assert db is not None
        settings = _settings(api, db)
        svc = await open_services(settings)
        app = _preparation_app(settings, svc, limited)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=timedelta(seconds=1))
    print("ready", flush=True)
    await stop.wait()
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    if svc is not None:
        await svc.db.dispose()


class Process:
    """A child process running `serve`; its first line of output says it is ready."""

    def __init__(self, *args: str) -> None:
        self.args = [sys.executable, __file__, "--serve", *args]
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> str:
        self.proc = await asyncio.create_subprocess_exec(*self.args, stdout=asyncio.subprocess.PIPE)
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 30)
        return line.decode().strip()

    async def __aexit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.terminate()
        await self.proc.wait()


async def _joined(
    svc: Services, client: SandboxClient, count: int, first_id: int
) -> list[SandboxUser]:
    """A review with `count` family members who have joined by their links."""
    cli = Actor.cli()
    created = await reviews.create_review(
        svc,
        cli,
        ref=f"BENCH-{first_id}",
        review_type=REVIEW_TYPE,
        at=datetime.now(UTC) + timedelta(days=21),
        date_of_birth=date(2012, 3, 14),
        admitted_on=date.today() - timedelta(days=60),
    )
    users = [client.user(first_id + i, first_name=f"P{i}") for i in range(count)]
    links = [
        await invitations.create_invitation(svc, cli, review_id=created.review_id, role=ROLE)
        for _ in users
    ]
    await asyncio.gather(
        *(_join(user, link.token) for user, link in zip(users, links, strict=True))
    )
    return users


async def _join(user: SandboxUser, token: str) -> None:
    await user.send(f"/start {token}")
    await user.wait_for(1, timeout=60)
    await user.settle(quiet=0.2)


async def measure_preparation(
    bench: Bench, *, limited: bool, people: int, rates: list[float]
) -> list[Run]:
    db = bench.folder / f"bench-{'limited' if limited else 'open'}.db"
    flags = ["--limited"] if limited else []
    runs = []
    async with Process("sandbox", str(_free_port())) as api:
        svc = await open_services(_settings(api, db))  # migrates; sets the reviews up
        try:
            async with (
                Process("preparation", api, str(db), *flags),
                SandboxClient(api, timeout=120) as client,
            ):
                for n, rate in enumerate(rates):
                    users = await _joined(svc, client, people, first_id=10_000 * (n + 1))
                    runs.append(await drive(users, script(), lambda label: label, rate))
        finally:
            await svc.db.dispose()
    return runs


async def measure_echo(bench: Bench, rates: list[float]) -> list[Run]:
    flags = ["--concurrent"] if bench.concurrent else []
    runs = []
    async with (
        Process("sandbox", str(_free_port())) as api,
        Process("echo", api, *flags),
        SandboxClient(api, timeout=120) as client,
    ):
        for n, rate in enumerate(rates):
            users = [client.user(10_000 * (n + 1) + i) for i in range(bench.users)]
            runs.append(await drive(users, script(), lambda _label: ECHO_BUTTON, rate))
    return runs


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the run --------------------------------------------------------------------------


async def main(bench: Bench) -> dict[str, Any]:
    rates = [0.0, bench.rate]  # closed loop, then the offered rate
    prep_closed, prep_open = await measure_preparation(
        bench, limited=False, people=bench.users, rates=rates
    )
    echo_closed, echo_open = await measure_echo(bench, rates)
    figures: dict[str, Any] = {
        "bank": f"{ROLE}/{REVIEW_TYPE}",
        "users": bench.users,
        "updates_per_person": len(script()),
        "database": "sqlite",
        "updates_handled": "concurrently across people, in order for each (as deployed)",
        "echo_updates_handled": "concurrently" if bench.concurrent else "one at a time",
        "preparation": {
            "closed": prep_closed.figures(),
            "open": prep_open.figures(offered=bench.rate),
        },
        "echo_baseline": {
            "closed": echo_closed.figures(),
            "open": echo_open.figures(offered=bench.rate),
        },
    }
    prep_rate = figures["preparation"]["closed"]["updates_per_s"]
    echo_rate = figures["echo_baseline"]["closed"]["updates_per_s"]
    figures["throughput_vs_echo"] = round(prep_rate / echo_rate, 2)
    figures["ratio_to_echo"] = figures["throughput_vs_echo"]
    figures["p99_ms"] = figures["preparation"]["open"]["p99_ms"]  # at the offered rate
    figures["echo_p99_ms"] = figures["echo_baseline"]["open"]["p99_ms"]
    figures["aims_met"] = {
        "throughput_at_least_0_8_of_echo": prep_rate >= 0.8 * echo_rate,
        "p99_at_most_2x_echo_at_offered_rate": figures["p99_ms"] <= 2 * figures["echo_p99_ms"],
    }
    if bench.limited:
        [limited] = await measure_preparation(bench, limited=True, people=5, rates=[0.0])
        figures["preparation_with_rate_limiter"] = limited.figures()
    return figures


def _print(figures: dict[str, Any]) -> None:
    for name in ("preparation", "echo_baseline"):
        for load, f in figures[name].items():
            offered = f" (offered {f['offered_per_s']}/s)" if "offered_per_s" in f else ""
            print(
                f"{name:14} {load:6}{offered}: {f['updates']} updates in {f['seconds']} s"
                f" = {f['updates_per_s']}/s; p50 {f['p50_ms']} ms, p95 {f['p95_ms']} ms,"
                f" p99 {f['p99_ms']} ms"
            )
    print(f"throughput vs echo: {figures['throughput_vs_echo']}; aims: {figures['aims_met']}")


def parse(argv: list[str] | None = None) -> tuple[Bench, bool, list[str] | None]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20, help="simulated people (default 20)")
    parser.add_argument("--rate", type=float, default=25.0, help="offered updates/s (default 25)")
    parser.add_argument("--limited", action="store_true", help="also run with the rate limiter")
    parser.add_argument(
        "--concurrent", action="store_true", help="the echo bot handles updates concurrently"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object on the last line")
    parser.add_argument("--serve", nargs="+", help=argparse.SUPPRESS)  # a child process
    args = parser.parse_args(argv)
    if args.users < 1 or args.rate <= 0:
        parser.error("--users and --rate must be positive")
    folder = Path(tempfile.mkdtemp(prefix="cetr-bench-"))
    bench = Bench(args.users, args.rate, args.limited, args.concurrent, folder)
    return bench, args.json, args.serve


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    bench, as_json, child = parse()
    if child:
        kind, api, *rest = child
        db = Path(rest[0]) if rest else None
        asyncio.run(serve(kind, api, db, bench.limited, bench.concurrent))
        sys.exit(0)
    result = asyncio.run(main(bench))
    _print(result)
    if as_json:
        print(json.dumps(result))
