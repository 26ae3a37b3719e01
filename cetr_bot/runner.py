"""Starting and stopping the bot: one code path for `run`, the demo and the tests."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from datetime import timedelta

from telegram import Update
from telegram.ext import ContextTypes

from cetr_bot import wiring
from cetr_bot.config import Settings
from cetr_bot.services.context import Services
from cetr_bot.storage import keys
from cetr_bot.storage import updates as claimed_updates
from cetr_bot.storage.session import Database
from cetr_bot.telegram.application import build_application
from cetr_bot.telegram.updates import PerPersonProcessor
from cetr_bot.text import Texts
from cetr_bot.web.context import WebContext
from cetr_bot.web.server import WebServer
from cetr_bot.web.webhook import PATH as WEBHOOK_PATH

log = logging.getLogger(__name__)

STOP_SECONDS = 10.0  # SIGTERM to exit, at most (orchestrators kill after their own grace)
CLEANUP_EVERY_SECONDS = 3600.0  # forgetting claimed update ids older than the retention
WEBHOOK_MAX_CONNECTIONS = 40  # Telegram's default


class BotRunner:
    """The real Application, on whichever Bot API `TELEGRAM_API_URL` names: long polling,
    or (WEBHOOK_URL set, or `webhook_url` given to start()) taking updates by webhook."""

    def __init__(self, svc: Services, *, poll_timeout: int = 10) -> None:
        wiring.install()  # the planner and the composer (idempotent)
        self.svc = svc
        self.texts = Texts(svc.settings.zone)
        self.app = build_application(svc, self.texts)
        self.poll_timeout = poll_timeout
        self.webhook_url: str | None = None  # the full URL set with setWebhook, once started

    async def start(self, *, webhook_url: str | None = None) -> None:
        base = webhook_url or self.svc.settings.webhook_url
        if base:
            self._take_webhook_updates_once()
        await self.app.initialize()
        # Polling is started by hand (not run_polling), so the builder's hooks are run here.
        if self.app.post_init:
            await self.app.post_init(self.app)
        await self.app.start()
        if base:
            await self._set_webhook(base.rstrip("/") + WEBHOOK_PATH)
            return
        assert self.app.updater is not None
        await self.app.updater.start_polling(
            poll_interval=0, timeout=timedelta(seconds=self.poll_timeout)
        )
        log.info("bot @%s is polling", self.app.bot.username)

    def _take_webhook_updates_once(self) -> None:
        """Webhook mode: claim every update_id in the shared table before handling it, and
        forget old claims now and then (any process may; the DELETE is idempotent)."""
        processor = self.app.update_processor
        assert isinstance(processor, PerPersonProcessor)
        db = self.svc.db
        processor.claim = lambda update_id: claimed_updates.claim(db, update_id)
        retention = timedelta(hours=self.svc.settings.processed_update_retention_hours)

        async def forget(context: ContextTypes.DEFAULT_TYPE) -> None:
            removed = await claimed_updates.forget_old(db, retention)
            if removed:
                log.info("forgot %d handled update id(s) older than the retention", removed)

        if self.app.job_queue is not None:
            self.app.job_queue.run_repeating(
                forget, interval=CLEANUP_EVERY_SECONDS, first=60.0, name="forget-updates"
            )

    async def _set_webhook(self, url: str) -> None:
        secret = self.svc.settings.webhook_secret
        await self.app.bot.set_webhook(
            url,
            secret_token=secret.get_secret_value() if secret else None,
            allowed_updates=Update.ALL_TYPES,
            max_connections=WEBHOOK_MAX_CONNECTIONS,
        )
        self.webhook_url = url
        log.info("bot @%s takes updates by webhook", self.app.bot.username)

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
        """Stop taking updates, finish the ones taken in, give back reminders not yet sent.
        In webhook mode the webhook stays set: other replicas go on taking updates."""
        assert self.app.updater is not None
        dispatcher = self.app.bot_data.get("dispatcher")
        if dispatcher is not None:
            # Before the JobQueue waits for a running tick: unsent claims go back at once.
            await dispatcher.stop()
        if self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        if self.app.post_shutdown:
            await self.app.post_shutdown(self.app)


async def open_services(
    settings: Settings,
    resolved: keys.ResolvedKeys | None = None,
    *,
    upgrade: bool | None = None,
) -> Services:
    """Connect to the database (with its data encryption keys) and bring its schema up to
    date (upgrade=None: if AUTO_MIGRATE); without upgrading, refuse (SchemaNotCurrent) a
    schema not at head. Raises ConfigError when no key may be used (production without one)."""
    wiring.install()
    resolved = resolved or keys.resolve(settings)
    db = Database(settings.database_url, keys=resolved.ring)
    try:
        if settings.auto_migrate if upgrade is None else upgrade:
            await db.upgrade()
        else:
            await db.ensure_current()
        await keys.check(db)  # a missing key: refuse now, not on every read
    except BaseException:
        await db.dispose()
        raise
    return Services(db=db, settings=settings)


def web_context(svc: Services, runner: BotRunner | None = None) -> WebContext:
    secret = svc.settings.webhook_secret
    webhook = svc.settings.webhook_url is not None
    return WebContext(
        svc=svc,
        telegram=runner.app if runner else None,
        webhook_secret=secret.get_secret_value() if (secret and webhook) else None,
    )


async def serve(settings: Settings, resolved: keys.ResolvedKeys | None = None) -> None:
    """Run until SIGINT/SIGTERM: the web server (health, metrics, the webhook) and the bot.
    On the signal: refuse new updates (503, so Telegram redelivers them to another
    replica), finish those taken in, give back unsent reminders, exit within STOP_SECONDS."""
    svc = await open_services(settings, resolved)
    runner = BotRunner(svc)
    ctx = web_context(svc, runner)
    server = WebServer(ctx)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    try:
        await runner.start()
        await stop.wait()
    finally:
        started = time.monotonic()
        ctx.draining = True
        try:
            async with asyncio.timeout(STOP_SECONDS - 1.5):
                await runner.stop()
        except TimeoutError:
            log.warning("stopping took too long: leaving in-flight work to the lease")
        await server.stop()
        await svc.db.dispose()
        log.info("stopped in %.1f s", time.monotonic() - started)
