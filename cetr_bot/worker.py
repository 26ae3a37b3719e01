"""The dispatcher on its own, without update polling: `python -m cetr_bot.worker`.

Settings come from the environment like the bot's. Any number of these (and of
bots) may share one database: rows are claimed atomically. Used by the crash
test, and handy to scale sending apart from answering.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from sqlalchemy import func, select
from telegram import Bot
from telegram.request import HTTPXRequest

from cetr_bot import logging_setup, wiring
from cetr_bot.config import ConfigError, Settings, load_settings
from cetr_bot.domain import ReminderStatus
from cetr_bot.scheduling.dispatcher import MAX_IN_FLIGHT, Dispatcher
from cetr_bot.services.context import Services
from cetr_bot.storage import keys
from cetr_bot.storage.models_reminders import Reminder
from cetr_bot.storage.session import Database


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
    await db.upgrade()
    await keys.check(db)
    wiring.install()
    svc = Services(db=db, settings=settings)
    api = settings.telegram_api_url
    bot = Bot(
        settings.bot_token.get_secret_value() if settings.bot_token else "",
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        # One connection would queue sends behind each other and bunch them up.
        request=HTTPXRequest(connection_pool_size=MAX_IN_FLIGHT),
    )
    dispatcher = Dispatcher(svc)
    try:
        async with bot:
            while True:
                await dispatcher.tick(bot)
                if until_idle and await outstanding(svc) == 0:
                    return 0
                await asyncio.sleep(settings.dispatch_interval_seconds)
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Send due reminders (no update polling).")
    parser.add_argument("--until-idle", action="store_true", help="stop when nothing due is left")
    args = parser.parse_args(argv)
    logging_setup.configure(logging.INFO)
    try:
        settings = load_settings()
        keys.resolve(settings)  # production without a key: refuse before connecting
        return asyncio.run(run(settings, until_idle=args.until_idle))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
