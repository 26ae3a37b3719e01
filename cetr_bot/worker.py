"""The dispatcher on its own, without update polling: `python -m cetr_bot.worker`.

Settings come from the environment like the bot's. Any number of these (and of
bots) may share one database: rows are claimed atomically. SIGTERM or SIGINT
stops it gracefully (its unsent claims go back at once); after SIGKILL its claims
run out within a lease. Used by the crash test, and handy to scale sending apart
from answering.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from sqlalchemy import func, select
from telegram import Bot
from telegram.request import HTTPXRequest

from cetr_bot import logging_setup, wiring
from cetr_bot.config import ConfigError, Settings, load_settings
from cetr_bot.domain import ReminderStatus
from cetr_bot.scheduling.delivery import TIMEOUTS
from cetr_bot.scheduling.dispatcher import MAX_IN_FLIGHT, Dispatcher
from cetr_bot.services.context import Services
from cetr_bot.storage import keys
from cetr_bot.storage.models_reminders import Reminder
from cetr_bot.storage.session import Database, SchemaNotCurrent


async def outstanding(svc: Services) -> int:
    """Rows due and not yet settled: pending and due now, or in flight."""
    async with svc.db.transaction() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Reminder)
            .where(
                (Reminder.status == ReminderStatus.SENDING)
                | ((Reminder.status == ReminderStatus.PENDING) & (Reminder.send_after <= svc.now()))
            )
        )
    return int(count or 0)


async def run(settings: Settings, *, until_idle: bool = False) -> int:
    db = Database(settings.database_url, keys=keys.resolve(settings).ring)
    try:
        await (db.upgrade() if settings.auto_migrate else db.ensure_current())
        await keys.check(db)
    except BaseException:
        await db.dispose()
        raise
    wiring.install()
    svc = Services(db=db, settings=settings)
    api = settings.telegram_api_url
    connect, _, write, pool = TIMEOUTS
    bot = Bot(
        settings.bot_token.get_secret_value() if settings.bot_token else "",
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        # One connection would queue sends behind each other and bunch them up.
        request=HTTPXRequest(
            connection_pool_size=MAX_IN_FLIGHT,
            connect_timeout=connect,
            read_timeout=settings.send_read_timeout_seconds,
            write_timeout=write,
            pool_timeout=pool,
        ),
    )
    dispatcher = Dispatcher(svc)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    ticking: asyncio.Task[object] | None = None
    signalled = asyncio.create_task(stopping.wait())
    try:
        async with bot:
            while not stopping.is_set():
                ticking = asyncio.create_task(dispatcher.tick(bot))
                await asyncio.wait([ticking, signalled], return_when=asyncio.FIRST_COMPLETED)
                if stopping.is_set():
                    break
                if until_idle and await outstanding(svc) == 0:
                    return 0
                # Between ticks, look for rows a dead dispatcher left (every quarter lease).
                deadline = loop.time() + settings.dispatch_interval_seconds
                while not stopping.is_set() and loop.time() < deadline:
                    step = min(dispatcher.lease / 4, deadline - loop.time())
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stopping.wait(), max(0.0, step))
                    if not stopping.is_set() and loop.time() < deadline:
                        await dispatcher.watch(bot)
            # A graceful stop: unsent claims go back at once for another process.
            await dispatcher.stop()
            if ticking is not None:
                await ticking
            return 0
    finally:
        signalled.cancel()
        await dispatcher.pacer.close()
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Send due reminders (no update polling).")
    parser.add_argument("--until-idle", action="store_true", help="stop when nothing due is left")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        logging_setup.configure(logging.INFO, settings.log_format)
        keys.resolve(settings)  # production without a key: refuse before connecting
        return asyncio.run(run(settings, until_idle=args.until_idle))
    except (ConfigError, SchemaNotCurrent) as exc:
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
