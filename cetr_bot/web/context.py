"""What the web handlers share: the services, the running bot (once started), the
webhook secret, and whether the process is draining (SIGTERM)."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web
from telegram.ext import Application

from cetr_bot.services.context import Services


@dataclass
class WebContext:
    svc: Services
    # The python-telegram-bot Application; None until the runner has built it.
    telegram: Application | None = None
    # Set: POST /telegram is served and must carry this in the secret header.
    webhook_secret: str | None = field(default=None, repr=False)
    bot_api_ok_at: float = -1e9  # monotonic time of the last good getMe (readyz)
    draining: bool = False  # stopping: refuse new updates (Telegram redelivers elsewhere)

    @property
    def taking_updates(self) -> bool:
        return self.telegram is not None and self.telegram.running and not self.draining


CONTEXT: web.AppKey[WebContext] = web.AppKey("cetr_web_context", WebContext)
