"""The bot in webhook mode, in the test process: the web server on a free port, the
runner calling setWebhook on the sandbox for it; the sandbox pushes every update."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import web

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


@dataclass
class FakeWebhook:
    """A webhook that records what it is sent and answers with `answers` (then 200)."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)


@pytest.fixture
async def fake_webhook() -> AsyncIterator[FakeWebhook]:
    hook = FakeWebhook()

    async def receive(request: web.Request) -> web.Response:
        body = await request.json()
        hook.requests.append(
            {
                "update_id": body["update_id"],
                "secret": request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
            }
        )
        return web.Response(status=hook.answers.pop(0) if hook.answers else 200)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    hook.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield hook
    await runner.cleanup()
