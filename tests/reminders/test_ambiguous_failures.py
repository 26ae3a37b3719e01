"""Issue #11, 2: a send whose answer is later than the client's timeout may well have
been delivered (the sandbox accepts and records it, then holds the answer back).
A routine reminder is then not sent again and its row says "uncertain"; a kind the
policy resends (safeguarding) is sent again; surely-unsent failures are retried."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from cetr_bot.domain import Role
from cetr_bot.scheduling import delivery
from cetr_bot.scheduling.dispatcher import Dispatcher
from tests.reminders.helpers import rows, seed_due

DUE = datetime(2026, 12, 12, 9, 0, tzinfo=UTC)
REVIEW_AT = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
SLOW, FAST_CHATS = [82_001, 82_002], [82_003, 82_004]
SHORT = {"send_read_timeout_seconds": 0.4, "send_backoff_seconds": 0.0}


async def seeded(svc, sandbox, client) -> None:
    await seed_due(svc, SLOW + FAST_CHATS, due=DUE, review_at=REVIEW_AT)
    for chat in SLOW + FAST_CHATS:
        sandbox.add_user(chat)
    svc.clock.current = DUE
    # Accepted and recorded at once; the answer comes 1.2 s later (client gives up at 0.4).
    await client.set_faults(delay_chats=SLOW, delay_seconds=1.2)


@pytest.mark.parametrize("extra_settings", [SHORT])
async def test_a_routine_reminder_is_not_resent_after_a_read_timeout(
    bot, client, svc, sandbox, extra_settings
):
    await seeded(svc, sandbox, client)
    dispatcher = Dispatcher(svc)
    total = await dispatcher.drain(bot.app.bot)
    for _ in range(3):  # later ticks (the back-off is 0) do not send them again
        total.add(await dispatcher.drain(bot.app.bot))
    per_chat = Counter(m.chat_id for m in sandbox.delivered)
    assert per_chat == Counter({chat: 1 for chat in SLOW + FAST_CHATS})  # none lost, none twice
    assert total.uncertain == len(SLOW) and total.sent == len(FAST_CHATS)
    by_chat = {r.chat_id: r for r in await rows(svc, kind="review_reminder")}
    assert {by_chat[c].status for c in SLOW} == {"uncertain"}
    assert all("maybe delivered" in (by_chat[c].last_error or "") for c in SLOW)
    assert {by_chat[c].status for c in FAST_CHATS} == {"sent"}


@pytest.mark.parametrize("extra_settings", [{**SHORT, "send_backoff_seconds": 30.0}])
async def test_a_kind_the_policy_resends_is_sent_again(
    bot, client, svc, sandbox, extra_settings, monkeypatch
):
    """Safeguarding's rule (better twice than never), applied to these rows."""
    monkeypatch.setattr(
        delivery, "RESEND_WHEN_UNSURE", delivery.RESEND_WHEN_UNSURE | {"review_reminder"}
    )
    await seeded(svc, sandbox, client)
    dispatcher = Dispatcher(svc)
    first = await dispatcher.drain(bot.app.bot)
    assert first.retried == len(SLOW) and first.uncertain == 0
    await client.set_faults(delay_chats=[])  # the API is quick again
    svc.clock.current = DUE + timedelta(seconds=31)  # after the back-off
    await dispatcher.drain(bot.app.bot)
    per_chat = Counter(m.chat_id for m in sandbox.delivered)
    assert {per_chat[c] for c in SLOW} == {2}  # delivered twice: never not at all
    assert {per_chat[c] for c in FAST_CHATS} == {1}
    assert {r.status for r in await rows(svc, kind="review_reminder")} == {"sent"}


@pytest.mark.parametrize("extra_settings", [SHORT])
async def test_429_5xx_and_403_lose_nothing_and_double_nothing(
    bot, client, svc, sandbox, extra_settings
):
    await seed_due(svc, SLOW + FAST_CHATS, due=DUE, review_at=REVIEW_AT)
    for chat in SLOW + FAST_CHATS:
        sandbox.add_user(chat)
    svc.clock.current = DUE
    await client.set_faults(fail_next=2, fail_status=500, blocked_chats=[82_004])
    dispatcher = Dispatcher(svc)
    await dispatcher.drain(bot.app.bot)
    await client.set_faults(fail_next=1, fail_status=502)
    for n in range(1, 6):  # the back-off is 0: each later tick retries what is left
        svc.clock.current = DUE + timedelta(seconds=n)
        await dispatcher.drain(bot.app.bot)
    per_chat = Counter(m.chat_id for m in sandbox.delivered)
    assert per_chat == Counter({82_001: 1, 82_002: 1, 82_003: 1})
    by_chat = {r.chat_id: r.status for r in await rows(svc, kind="review_reminder")}
    assert by_chat == {82_001: "sent", 82_002: "sent", 82_003: "sent", 82_004: "failed"}


@pytest.mark.parametrize("extra_settings", [{"send_read_timeout_seconds": 0.4}])
async def test_a_safeguarding_alert_is_sent_again_after_a_read_timeout(
    bot, client, svc, sandbox, extra_settings
):
    """The real alert path (telegram/alerts.py): the coordinator's answer is held past
    the timeout, so the alert is sent again: twice is better than never."""
    from tests.conftest import COORDINATOR_ID
    from tests.preparation.helpers import START, consent_yes, join_as, new_review, skip_all

    review_id = await new_review(svc)
    coordinator = client.user(COORDINATOR_ID)
    await coordinator.ask("/start")
    young = await join_as(svc, client, Role.YOUNG_PERSON, 2002, review_id=review_id)
    await young.user.tap(START)
    await consent_yes(young.user)
    await skip_all(young.user, 3)
    await client.set_faults(delay_chats=[COORDINATOR_ID], delay_seconds=1.0)
    await young.user.tap("👎 No", count=2)
    alerts = await coordinator.wait_for(2, timeout=10)
    assert all("Safeguarding alert" in a.plain for a in alerts)
