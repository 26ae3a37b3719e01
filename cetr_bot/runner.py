"""Starting and stopping the bot: one code path for `run`, the demo and the tests."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta

from cetr_bot import wiring
from cetr_bot.config import Settings
from cetr_bot.services.context import Services
from cetr_bot.storage import keys
from cetr_bot.storage.session import Database
from cetr_bot.telegram.application import build_application
from cetr_bot.text import Texts

log = logging.getLogger(__name__)


class BotRunner:
    """The real Application, polling whichever Bot API `TELEGRAM_API_URL` names."""

    def __init__(self, svc: Services, *, poll_timeout: int = 10) -> None:
        wiring.install()  # the planner and the composer (idempotent)
        self.svc = svc
        self.texts = Texts(svc.settings.zone)
        self.app = build_application(svc, self.texts)
        self.poll_timeout = poll_timeout

    async def start(self) -> None:
        await self.app.initialize()
        # Polling is started by hand (not run_polling), so the builder's hooks are run here.
        if self.app.post_init:
            await self.app.post_init(self.app)
        await self.app.start()
        assert self.app.updater is not None
        await self.app.updater.start_polling(
            poll_interval=0, timeout=timedelta(seconds=self.poll_timeout)
        )
        log.info("bot @%s is polling", self.app.bot.username)

    async def until_idle(self) -> bool:
        """Return once every update fetched so far is handled and no dispatch tick runs
        (the demo and tests wait on this instead of on a quiet spell); False if stopped."""
        if not self.app.running:
            return False
        await self.app.update_queue.join()
        dispatcher = self.app.bot_data.get("dispatcher")
        if dispatcher is not None:
            await dispatcher.idle()
        return self.app.running

    async def stop(self) -> None:
        assert self.app.updater is not None
        if self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        if self.app.post_shutdown:
            await self.app.post_shutdown(self.app)


async def open_services(settings: Settings, resolved: keys.ResolvedKeys | None = None) -> Services:
    """Connect to the database (with its data encryption keys) and bring its schema up
    to date. Raises ConfigError when no key may be used (production without one)."""
    wiring.install()
    resolved = resolved or keys.resolve(settings)
    db = Database(settings.database_url, keys=resolved.ring)
    try:
        await db.upgrade()
        await keys.check(db)  # a missing key: refuse now, not on every read
    except BaseException:
        await db.dispose()
        raise
    return Services(db=db, settings=settings)


async def serve(settings: Settings, resolved: keys.ResolvedKeys | None = None) -> None:
    """Run until SIGINT/SIGTERM."""
    svc = await open_services(settings, resolved)
    runner = BotRunner(svc)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await runner.start()
    try:
        await stop.wait()
    finally:
        await runner.stop()
        await svc.db.dispose()
