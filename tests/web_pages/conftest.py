"""The web companion in a real browser: Debian's Chromium driven by Playwright (never a
downloaded browser). One browser for the whole session, in its own thread (Playwright's
sync API may not run on the tests' event loop); each test gets a fresh browser context
and its own web server, database, sandbox and bot. No Chromium: the tests are skipped,
saying why (CI installs it, see .ci/run)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import shutil
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import pytest

from cetr_bot.config import Settings
from cetr_bot.sandbox import Sandbox
from cetr_bot.services.context import Services
from cetr_bot.web.context import WebContext
from cetr_bot.web.server import WebServer
from tests.conftest import make_settings

T = TypeVar("T")
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def _chromium() -> str | None:
    return CHROMIUM if Path(CHROMIUM).is_file() else None


class Browser:
    """Chromium in one thread: `await browser.run(fn)` runs fn(browser) there."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="chromium")
        self._pw: Any = None
        self.chromium: Any = None

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self.chromium = self._pw.chromium.launch(
            executable_path=_chromium(), args=["--no-sandbox", "--disable-gpu"]
        )

    def _stop(self) -> None:
        self.chromium.close()
        self._pw.stop()

    async def run(self, fn: Callable[[Any], T]) -> T:
        return await asyncio.wrap_future(self.pool.submit(fn, self.chromium))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if _chromium() is None:
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium); CI has it")
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    b = Browser()
    b.pool.submit(b._start).result()
    yield b
    b.pool.submit(b._stop).result()
    b.pool.shutdown()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def settings(database_url: str, sandbox: Sandbox, port: int) -> Settings:
    return make_settings(database_url, sandbox, web_base_url=f"http://127.0.0.1:{port}")


@dataclass
class Site:
    server: WebServer
    url: str
    requests: list[str] = field(default_factory=list)


@pytest.fixture
async def site(svc: Services, port: int) -> AsyncIterator[Site]:
    server = WebServer(WebContext(svc), "127.0.0.1", port)
    await server.start()
    yield Site(server, server.url)
    await server.stop()


def init_data(bot_token: str, user_id: int, auth_date: int, **extra: str) -> str:
    """Telegram's initData for `user_id`, signed as Telegram signs it."""
    fields = {
        "auth_date": str(auth_date),
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user_id, "first_name": "Test"}, separators=(",", ":")),
        **extra,
    }
    check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)
