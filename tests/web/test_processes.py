"""Real `cetr-bot run` processes in webhook mode: JSON logs and SIGTERM on any database;
on PostgreSQL, two processes on one database with 2,000 updates pushed round-robin and
200 of them redelivered to the other process — every update handled exactly once."""

from __future__ import annotations

import json

import pytest

from cetr_bot.storage import updates as claimed
from tests.conftest import postgres_url
from tests.web.processes import (
    SECRET,
    answers,
    push_and_wait,
    redeliver_to_others,
    settle,
    start_bot,
)


async def test_json_logs_and_sigterm_exit_within_ten_seconds(
    database, database_url, sandbox, client, tmp_path
):
    bot = await start_bot(sandbox, database_url, tmp_path, LOG_FORMAT="json")
    try:
        await bot.wait_ready()
        [reply] = await client.user(2001).ask("hello")  # handled through the webhook
        assert reply.plain
        took = await bot.terminate()
    finally:
        await bot.terminate()
    assert bot.process.returncode == 0
    assert took < 10.0, took
    lines = [line for line in bot.log_path.read_text().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line one JSON object
    assert all({"ts", "level", "logger", "msg"} <= set(e) for e in entries)
    messages = [e["msg"] for e in entries]
    assert any("takes updates by webhook" in m for m in messages)
    assert any(m.startswith("stopped in") for m in messages)
    text = bot.log_path.read_text()
    assert SECRET not in text and sandbox.token not in text and "hello" not in text


@pytest.mark.skipif(not postgres_url(), reason="two processes on one database: PostgreSQL only")
@pytest.mark.timeout(300)  # 130 s on the 2-core machine at load 8; far less unloaded
async def test_two_processes_handle_every_update_exactly_once(
    database, database_url, sandbox, tmp_path
):
    bots = [await start_bot(sandbox, database_url, tmp_path) for _ in range(2)]
    try:
        for bot in bots:
            await bot.wait_ready()
        result = await push_and_wait(sandbox, bots, 2000)
        assert answers(sandbox) == {200: 2000}, answers(sandbox)
        redelivered = await redeliver_to_others(sandbox, bots, 200)
        assert redelivered == 200
        await settle(bots, 2200)
        per_process = [await bot.metric("cetr_updates_total") for bot in bots]
        dropped = [await bot.metric("cetr_webhook_duplicates_dropped_total") for bot in bots]
    finally:
        for bot in bots:
            await bot.terminate()
    # Every press answered once: a second handling would show as a refused second answer.
    assert answers(sandbox) == {200: 2000}
    assert sum(dropped) == 200 and all(d > 0 for d in dropped)
    assert sum(per_process) == 2200 and all(p > 500 for p in per_process)
    assert await claimed.count(database) == 2000
    assert sandbox.pending_update_count == 0
    assert result.updates == 2000  # speed is the benchmark's business (bench_scale.py)
