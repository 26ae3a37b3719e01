"""Starting and stopping the web server on WEB_HOST:WEB_PORT (port 0: any free one)."""

from __future__ import annotations

import logging

from aiohttp import web

from cetr_bot.web.app import build_web_app
from cetr_bot.web.context import WebContext

log = logging.getLogger(__name__)


class WebServer:
    def __init__(self, ctx: WebContext, host: str | None = None, port: int | None = None) -> None:
        settings = ctx.svc.settings
        self.ctx = ctx
        self.host = host if host is not None else settings.web_host
        self.port = port if port is not None else settings.web_port
        self.app = build_web_app(ctx)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        # No access log: it would carry client addresses; requests are counted in metrics.
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        bound = self._runner.addresses[0]
        self.port = int(bound[1])
        self.url = f"http://{self.host}:{self.port}"
        log.info("web server on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
