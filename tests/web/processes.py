"""Bot processes (`cetr-bot run` in webhook mode) against an in-process sandbox, and the
scale run both the two-process test and benchmarks/bench_scale.py use: the sandbox pushes
N button presses round-robin over the processes (a load balancer), then some of them are
redelivered to another process; every press must be answered exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from cetr_bot.sandbox import Sandbox
from cetr_bot.sandbox.state import BotMessage

ROOT = Path(__file__).resolve().parents[2]
SECRET = "process-test-secret_0123456789abcdefghij"
GROUP = -1_000_000_001  # presses in a group are answered (answerCallbackQuery) and no more
RUN = "import sys; from cetr_bot.cli import main; sys.exit(main(['run']))"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class BotProcess:
    port: int
    process: asyncio.subprocess.Process
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_ready(self, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient(trust_env=False, timeout=2) as http:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise AssertionError(f"bot exited: {self.log_path.read_text()[-2000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"{self.url}/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise AssertionError(f"bot not ready: {self.log_path.read_text()[-2000:]}")

    async def metric(self, name: str) -> float:
        """Sum of one metric's samples (all labels) on this process's /metrics."""
        async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
            body = (await http.get(f"{self.url}/metrics")).text
        total = 0.0
        for line in body.splitlines():
            if line.startswith(name) and line[len(name)] in " {":
                total += float(line.rsplit(" ", 1)[1])
        return total

    async def terminate(self, seconds: float = 15.0) -> float:
        """SIGTERM; returns how long the process took to exit."""
        started = time.monotonic()
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(seconds):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return time.monotonic() - started


async def start_bot(sandbox: Sandbox, database_url: str, folder: Path, **extra: str) -> BotProcess:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WEB", "BOT_", "LOG_"))},
        "BOT_TOKEN": sandbox.token,
        "TELEGRAM_API_URL": sandbox.url,
        "DATABASE_URL": database_url,
        "WEBHOOK_URL": f"http://127.0.0.1:{port}",
        "WEBHOOK_SECRET": SECRET,
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "DISPATCH_INTERVAL_SECONDS": "3600",
        **extra,
    }
    log_path = folder / f"bot-{port}.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", RUN, env=env, cwd=folder, stdout=log, stderr=log
        )
    return BotProcess(port, process, log_path)


def group_message(sandbox: Sandbox) -> int:
    """A bot message with a button in a group (presses there are only answered)."""
    sandbox.add_group(GROUP, "group", "Somewhere else")
    message = BotMessage(
        GROUP,
        sandbox.next_message_id(GROUP),
        int(sandbox.token.split(":")[0]),
        int(time.time()),
        text="hello",
        reply_markup={"inline_keyboard": [[{"text": "Press", "callback_data": "x"}]]},
    )
    return sandbox.store_bot_message(message).message_id


@dataclass
class ScaleResult:
    updates: int
    seconds: float
    handled_in_time: int = 0  # answered before push_and_wait's deadline (120 s)
    redelivered: int = 0
    answered: int = 0  # answerCallbackQuery calls that the sandbox accepted
    refused: int = 0  # answerCallbackQuery calls refused (the press already answered)
    duplicates_dropped: float = 0.0
    per_process: list[float] = field(default_factory=list)

    @property
    def updates_per_second(self) -> float:
        return self.handled_in_time / self.seconds if self.seconds else 0.0


async def push_and_wait(
    sandbox: Sandbox, bots: list[BotProcess], updates: int, users: int = 100
) -> ScaleResult:
    """Spread `updates` presses over the bots; return once every one is answered."""
    message_id = group_message(sandbox)
    sandbox.webhook_balance = [f"{b.url}/telegram" for b in bots]
    before = len(sandbox.calls_to("answerCallbackQuery"))
    started = time.monotonic()
    for n in range(updates):
        sandbox.user_press(10_000 + n % users, message_id, "x", chat_id=GROUP)
    deadline = started + 120
    while time.monotonic() < deadline:
        if len(sandbox.calls_to("answerCallbackQuery")) - before >= updates:
            break
        await asyncio.sleep(0.05)
    seconds = time.monotonic() - started
    done = len(sandbox.calls_to("answerCallbackQuery")) - before
    return ScaleResult(updates, seconds, handled_in_time=done)


async def redeliver_to_others(sandbox: Sandbox, bots: list[BotProcess], count: int) -> int:
    """Redeliver `count` already handled updates, each to a process that did not get it."""
    first: dict[int, str] = {}
    for d in sandbox.deliveries:
        if d.status == 200 and not d.forced:
            first.setdefault(d.update_id, d.url)
    chosen = sorted(first)[-count:]  # the latest: still in Telegram's redelivery window
    urls = [f"{b.url}/telegram" for b in bots]
    by_target: dict[str, list[int]] = {}
    for update_id in chosen:
        other = urls[(urls.index(first[update_id]) + 1) % len(urls)]
        by_target.setdefault(other, []).append(update_id)
    done = 0
    for url, ids in by_target.items():
        results = await sandbox.pusher.redeliver(ids, url)
        done += sum(1 for r in results if r.status == 200)
    return done


def answers(sandbox: Sandbox) -> Counter[int]:
    """answerCallbackQuery calls by HTTP status."""
    return Counter(c.status for c in sandbox.calls_to("answerCallbackQuery"))


async def settle(bots: list[BotProcess], handled: int, seconds: float = 30.0) -> None:
    """Wait until the processes together have taken in `handled` updates (ok + duplicates)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        total = 0.0
        for bot in bots:
            total += await bot.metric("cetr_updates_total")
        if total >= handled:
            return
        await asyncio.sleep(0.05)


def summary(result: ScaleResult) -> dict[str, Any]:
    return {
        "updates": result.updates,
        "handled_in_time": result.handled_in_time,
        "seconds": round(result.seconds, 2),
        "updates_per_second": round(result.updates_per_second, 1),
        "redelivered": result.redelivered,
        "answered": result.answered,
        "duplicates_handled": result.refused,
        "duplicates_dropped": result.duplicates_dropped,
        "per_process": result.per_process,
    }
