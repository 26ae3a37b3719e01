"""The bot and the CLI write to the same database at the same moment (two engines, as
two processes would have): neither sees "database is locked" or any other error."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from cetr_bot.domain import Role
from cetr_bot.services.context import Services
from cetr_bot.storage.models import Review
from cetr_bot.storage.models_preparation import PrepAnswer
from cetr_bot.storage.session import Database
from tests.helpers import add_review
from tests.preparation.helpers import START, join_as

PEOPLE, ANSWERS, CLI_REVIEWS = 4, 3, 25


async def test_the_bot_and_the_cli_write_at_once(bot, client, svc, database_url):
    joined = [await join_as(svc, client, Role.FAMILY, 2001 + n) for n in range(PEOPLE)]
    for j in joined:
        await j.user.tap(START)
    cli_db = Database(database_url)  # the CLI's own engine and connections
    cli = Services(db=cli_db, settings=svc.settings, clock=svc.clock)
    try:
        await asyncio.gather(
            *(_answer(j.user) for j in joined),
            *(add_review(cli, ref=f"CLI-{n:03}") for n in range(CLI_REVIEWS)),
        )
    finally:
        await cli_db.dispose()

    async with svc.db.transaction() as session:
        answers = await session.scalar(select(func.count()).select_from(PrepAnswer))
        made = await session.scalar(
            select(func.count()).select_from(Review).where(Review.id > joined[-1].review_id)
        )
    assert answers == PEOPLE * ANSWERS
    assert made == CLI_REVIEWS


async def _answer(user) -> None:
    for n in range(ANSWERS):
        replies = await user.ask(f"Answer {n}", timeout=20)
        assert not any("went wrong" in m.plain for m in replies), [m.plain for m in replies]
