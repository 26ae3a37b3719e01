"""The bot in webhook mode, in the test process: the web server on a free port, the
runner calling setWebhook on the sandbox for it; the sandbox pushes every update."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from cetr_bot.config import Settings
from cetr_bot.runner import BotRunner, web_context
from cetr_bot.sandbox import Sandbox
from cetr_bot.services.context import Services
from cetr_bot.web.context import WebContext
from cetr_bot.web.server import WebServer
from tests.conftest import make_settings

SECRET = "w3bh00k-secret-for-tests_0123456789abcdef"  # 40 allowed characters


@dataclass
class WebBot:
    runner: BotRunner
    server: WebServer
    ctx: WebContext
    http: httpx.AsyncClient

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
def settings(database_url: str, sandbox: Sandbox) -> Settings:
    # The real port is known only once the server listens: start() is given the URL.
    return make_settings(
        database_url, sandbox, webhook_url="http://127.0.0.1:1", webhook_secret=SECRET
    )


@pytest.fixture
async def web_bot(svc: Services, sandbox: Sandbox) -> AsyncIterator[WebBot]:
    runner = BotRunner(svc, poll_timeout=1)
    ctx = web_context(svc, runner)
    server = WebServer(ctx, "127.0.0.1", 0)
    await server.start()
    await runner.start(webhook_url=server.url)
    sandbox.bot_idle = runner.until_idle
    async with httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=10) as http:
        yield WebBot(runner, server, ctx, http)
    sandbox.bot_idle = None
    ctx.draining = True
    await runner.stop()
    await server.stop()
