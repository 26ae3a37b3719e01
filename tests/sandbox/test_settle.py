"""settle() waits for the bot to finish with what it was sent, not for a quiet spell."""

from __future__ import annotations

import time

from cetr_bot.sandbox import SandboxClient


async def test_settle_waits_until_the_bot_has_finished_the_update(bot, client: SandboxClient):
    # The reply is stored at once but its answer is held back: the handler is still busy.
    await client.set_faults(delay_next=1, delay_seconds=1.0, delay_method="sendMessage")
    user = client.user(4242, first_name="Ada")
    await user.send("/start")
    started = time.monotonic()
    replies = await user.settle()
    assert time.monotonic() - started >= 0.9  # a quiet spell (0.3 s) would have ended sooner
    assert replies and replies[0].plain
    assert bot.app.update_queue.empty() and await client.idle(timeout=0.1)


async def test_without_a_bot_in_process_settle_falls_back_to_a_quiet_spell(sandbox):
    async with SandboxClient(sandbox.url) as client:
        assert not await client.idle(timeout=0.1)  # nobody told the sandbox how to tell
        assert await client.user(4243).settle() == []
