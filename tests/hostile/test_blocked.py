"""A reply refused with 403 (they blocked the bot) marks the person unreachable,
quietly: no ERROR and no traceback in the log, and the coordinator is told once."""

from __future__ import annotations

from sqlalchemy import select

from cetr_bot.domain import ReminderKind, Role
from cetr_bot.storage.models import Person
from cetr_bot.storage.models_reminders import Reminder
from tests.conftest import COORDINATOR_ID
from tests.helpers import add_review, invite, join
from tests.hostile.helpers import count, eventually


async def _unreachable(svc, telegram_user_id: int) -> bool:
    async with svc.db.transaction() as session:
        since = await session.scalar(
            select(Person.unreachable_since).where(Person.telegram_user_id == telegram_user_id)
        )
    return since is not None


async def test_a_refused_reply_marks_them_unreachable(bot, client, svc, caplog):
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.FAMILY)
    user = client.user(2001)
    await join(user, created.token)
    await client.set_faults(blocked_chats=[2001])
    await user.send("/help")  # they write, then block the bot before the answer

    await eventually(lambda: _unreachable(svc, 2001))
    notes = await count(
        svc,
        Reminder,
        Reminder.kind == ReminderKind.COORD_UNREACHABLE,
        Reminder.chat_id == COORDINATOR_ID,
    )
    assert notes == 1
    assert any("has blocked the bot" in r.getMessage() for r in caplog.records)

    await user.send("/attend")  # a second refused reply: still one note
    await user.send("/prepare")
    await eventually(lambda: _answered_twice(client))
    assert await count(svc, Reminder, Reminder.kind == ReminderKind.COORD_UNREACHABLE) == 1


async def _answered_twice(client) -> bool:
    calls = [c for c in await client.calls() if c["method"].lower() == "sendmessage"]
    return sum(1 for c in calls if c["status"] == 403) >= 3


async def test_a_stranger_who_blocked_the_bot_is_just_noted(bot, client, svc):
    await client.set_faults(blocked_chats=[2999])
    await client.user(2999).send("/start")
    await eventually(lambda: _answered_once(client))
    assert await count(svc, Person) == 0
    assert await count(svc, Reminder) == 0


async def _answered_once(client) -> bool:
    calls = [c for c in await client.calls() if c["method"].lower() == "sendmessage"]
    return any(c["status"] == 403 for c in calls)
