"""Webhook mode end to end: the sandbox pushes updates to POST /telegram with the secret
header, the bot answers through the Bot API as in polling mode; wrong or missing secrets
are refused and change nothing; a redelivered update is handled once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cetr_bot import metrics
from cetr_bot.domain import Role
from cetr_bot.storage import updates as claimed
from cetr_bot.storage.models import Person
from cetr_bot.storage.models_reminders import Attendance
from tests.helpers import add_review, invite, join
from tests.preparation.helpers import START, answer, join_as, questions, stored_answers
from tests.web.conftest import SECRET


def duplicates() -> float:
    return metrics.REGISTRY.get_sample_value("cetr_webhook_duplicates_dropped_total") or 0.0


async def test_setwebhook_is_called_with_the_secret_and_polling_is_refused(web_bot, sandbox):
    assert sandbox.webhook is not None
    assert sandbox.webhook.url == f"{web_bot.url}/telegram"
    assert sandbox.webhook.secret_token == SECRET
    assert web_bot.runner.app.updater is not None and not web_bot.runner.app.updater.running
    info = await web_bot.runner.app.bot.get_webhook_info()
    assert info.url == f"{web_bot.url}/telegram" and info.pending_update_count == 0
    calls = [c.method for c in sandbox.calls]
    assert "setWebhook" in calls and "getUpdates" not in calls


async def test_join_preparation_answer_and_rsvp_by_webhook(web_bot, client, svc, sandbox):
    # Join (a family member: the greeting, the RSVP card with its calendar file, the offer).
    joined = await join_as(svc, client, Role.FAMILY, 2001)
    assert "Your views matter as much as anyone's" in joined.greeting[0].plain
    [card] = [m for m in joined.greeting if m.document]
    # RSVP.
    [confirmed] = await joined.user.tap("💻 By video", message=card)
    assert "you will attend by video" in confirmed.plain
    async with svc.db.transaction() as session:
        statuses = [a.status for a in await session.scalars(select(Attendance))]
    assert statuses == ["video"]
    # A preparation answer.
    replies = await joined.user.tap(START)
    first = questions(Role.FAMILY)[0]
    assert "1 of" in replies[-1].plain
    await answer(joined.user, first)
    await joined.user.settle()
    assert first.id in await stored_answers(svc, joined.participant_id)
    # All of it came by webhook, each update once, each claimed.
    pushed = [d for d in sandbox.deliveries if not d.forced]
    assert pushed and all(d.status == 200 for d in pushed)
    assert len({d.update_id for d in pushed}) == len(pushed)
    assert await claimed.count(svc.db) == len(pushed)


@pytest.mark.parametrize("header", [None, "", "wrong-secret-of-the-right-length-0123456789"])
async def test_a_wrong_or_missing_secret_gets_401_and_changes_nothing(
    web_bot, svc, sandbox, header
):
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.FAMILY)
    update = {
        "update_id": 777,
        "message": {
            "message_id": 1,
            "date": 1_800_000_000,
            "chat": {"id": 2001, "type": "private", "first_name": "Eve"},
            "from": {"id": 2001, "is_bot": False, "first_name": "Eve"},
            "text": f"/start {created.token}",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    headers = {} if header is None else {"X-Telegram-Bot-Api-Secret-Token": header}
    response = await web_bot.http.post("/telegram", json=update, headers=headers)
    assert response.status_code == 401
    assert await web_bot.runner.until_idle()
    assert sandbox.chat_messages(2001) == []
    assert await claimed.count(svc.db) == 0
    async with svc.db.transaction() as session:
        assert list(await session.scalars(select(Person))) == []


async def test_a_redelivered_update_is_handled_once(web_bot, client, svc, sandbox):
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.FAMILY)
    user = client.user(2001)
    sent = await join(user, created.token)
    before = len(sandbox.chat_messages(2001))
    assert before == len(sent) >= 2
    [start] = [d for d in sandbox.deliveries if d.status == 200]
    dropped = duplicates()
    [again] = await client.redeliver([start.update_id])
    assert again["status"] == 200  # acknowledged, as Telegram expects
    assert await user.settle() == []
    assert len(sandbox.chat_messages(2001)) == before
    assert duplicates() == dropped + 1
    async with svc.db.transaction() as session:
        assert len(list(await session.scalars(select(Person)))) == 1


async def test_the_sandbox_redelivers_after_a_failure(web_bot, client, sandbox):
    await client.webhook(retry_seconds=0.05)
    web_bot.ctx.draining = True  # the bot answers 503, as while it stops
    user = client.user(2001)
    await user.send("hello")
    while not sandbox.deliveries:
        await sandbox.pause(0.01)
    assert sandbox.deliveries[0].status == 503
    info = await web_bot.runner.app.bot.get_webhook_info()
    assert info.pending_update_count == 1 and "503" in (info.last_error_message or "")
    web_bot.ctx.draining = False
    [reply] = await user.wait_for(1)
    assert reply.plain
    statuses = [d.status for d in sandbox.deliveries]
    assert statuses[-1] == 200 and set(statuses[:-1]) == {503}
    assert (await web_bot.runner.app.bot.get_webhook_info()).pending_update_count == 0
