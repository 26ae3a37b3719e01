"""Wrong invitation links are throttled per user and across all users; past the global
limit every redemption waits, and the administrators are told once per window."""

from __future__ import annotations

import pytest

from cetr_bot.config import Settings
from cetr_bot.domain import ReminderKind, Role
from cetr_bot.sandbox import Sandbox
from cetr_bot.services.throttle import FLOOD
from cetr_bot.storage.models import AuditEvent, Participant
from cetr_bot.storage.models_reminders import Reminder
from tests.conftest import make_settings
from tests.helpers import add_review, invite, join
from tests.hostile.helpers import count, snapshot
from tests.reminders.conftest import FAST
from tests.reminders.helpers import tick

ADMIN = 9001
GLOBAL_LIMIT = 4
WRONG = "wrongwrongwrongwrong{:04d}"


@pytest.fixture
def settings(database_url: str, sandbox: Sandbox) -> Settings:
    return make_settings(
        database_url,
        sandbox,
        admin_ids=[ADMIN],
        bad_token_limit=2,
        bad_token_global_limit=GLOBAL_LIMIT,
        **FAST,
    )


async def _guesses(client, users: range) -> None:
    for n, user_id in enumerate(users):
        [reply] = await client.user(user_id).ask("/start " + WRONG.format(n))
        assert "don't recognise that invitation link" in reply.plain


async def test_many_users_guessing_pause_every_link_and_admins_hear_once(
    bot, client, svc, sandbox, clock
):
    sandbox.add_user(ADMIN)
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.FAMILY)
    await _guesses(client, range(3001, 3001 + GLOBAL_LIMIT))  # one wrong link each

    before = await snapshot(svc)
    [refused] = await client.user(2001).ask(f"/start {created.token}")  # a real link
    assert "wait a little while" in refused.plain
    assert await count(svc, Participant, Participant.person_id.is_not(None)) == 0
    notices = await count(svc, Reminder, Reminder.kind == ReminderKind.ADMIN_BAD_TOKENS)
    assert notices == 1 and await count(svc, AuditEvent, AuditEvent.kind == FLOOD) == 1
    after = await snapshot(svc)
    assert {k: v for k, v in after.items() if k != "reminders"} == {
        k: v for k, v in before.items() if k != "reminders"
    }

    for user_id in (2001, 3999):  # more tries in the same window: no second notice
        [again] = await client.user(user_id).ask(f"/start {created.token}")
        assert "wait a little while" in again.plain
    assert await count(svc, Reminder, Reminder.kind == ReminderKind.ADMIN_BAD_TOKENS) == 1
    assert await count(svc, AuditEvent, AuditEvent.kind == FLOOD) == 1

    report = await tick(svc, bot)
    assert report.sent == 1
    [told] = await client.user(ADMIN).wait_for(1)
    assert f"{GLOBAL_LIMIT} in the last 15 minutes" in told.plain
    assert "YP-" not in told.plain and "#" not in told.plain

    clock.advance(minutes=16)  # the window has moved on: links work again
    greeting = await join(client.user(2001), created.token)
    assert "Your views matter" in greeting[0].plain


async def test_one_user_alone_is_stopped_by_the_per_user_limit(bot, client, svc):
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.FAMILY)
    user = client.user(2001)
    for n in range(svc.settings.bad_token_limit):
        await user.ask("/start " + WRONG.format(n))
    [stopped] = await user.ask(f"/start {created.token}")
    assert "wait a little while" in stopped.plain
    greeting = await join(client.user(2002), created.token)  # someone else is not held up
    assert "Your views matter" in greeting[0].plain
    assert await count(svc, Reminder, Reminder.kind == ReminderKind.ADMIN_BAD_TOKENS) == 0
