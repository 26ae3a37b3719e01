"""Issue #11, 1: composed and checked at the moment of sending. A cancel or a move
that commits after a batch was claimed, before its rows went out, is never
contradicted by them: nothing for the cancelled review, never the old time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from cetr_bot.domain import Role
from cetr_bot.scheduling.dispatcher import Dispatcher, TickReport
from cetr_bot.services import reviews
from tests.helpers import CLI, add_review, invite, join
from tests.reminders.helpers import local, notices_done, rows, seed_due

DUE = datetime(2026, 12, 12, 9, 0, tzinfo=UTC)
REVIEW_AT = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
CHATS = list(range(81_001, 81_011))


async def claimed_batch(svc, sandbox) -> tuple[int, Dispatcher, list]:
    review_id = await seed_due(svc, CHATS, due=DUE, review_at=REVIEW_AT)
    for chat in CHATS:
        sandbox.add_user(chat)
    svc.clock.current = DUE
    dispatcher = Dispatcher(svc)
    claimed = await dispatcher._claim(DUE)  # a batch claimed, about to be paced out
    assert len(claimed) == len(CHATS)
    return review_id, dispatcher, claimed


async def test_a_cancel_after_the_claim_withdraws_the_batch(bot, svc, sandbox):
    review_id, dispatcher, claimed = await claimed_batch(svc, sandbox)
    await reviews.cancel_review(svc, CLI, review_id=review_id)
    # The batch claimed before the cancel now goes on to be sent, row by row.
    report = TickReport()
    for row in claimed:
        report.add(await _send_one(dispatcher, bot, row))
    await dispatcher.drain(bot.app.bot)  # the cancellation notices (with a calendar file)
    reminders_out = [m for m in sandbox.delivered if m.chat_id in CHATS and not m.document]
    assert reminders_out == []  # not one reminder for the cancelled review
    statuses = {r.status for r in await rows(svc, kind="review_reminder")}
    assert statuses == {"cancelled"}
    assert report.sent == 0 and report.released == len(CHATS)


async def test_a_move_after_the_claim_never_shows_the_old_time(bot, svc, sandbox):
    review_id, dispatcher, claimed = await claimed_batch(svc, sandbox)
    later = REVIEW_AT + timedelta(days=1)  # moved a day: the 2-day reminders are still due
    await reviews.reschedule_review(svc, CLI, review_id=review_id, at=later)
    for row in claimed:
        await _send_one(dispatcher, bot, row)
    await dispatcher.drain(bot.app.bot)  # what the move left due is sent afresh
    texts = [(m.parsed.text if m.parsed else "") for m in sandbox.delivered if m.chat_id in CHATS]
    assert texts, "something must still go out"
    old, new = local(svc, REVIEW_AT)[-5:], local(svc, later)[-5:]
    old_day, new_day = "Monday 14 December", "Tuesday 15 December"
    assert not any(old_day in t for t in texts)
    assert any(new_day in t for t in texts) and old == new  # same hour, new day


async def test_an_answer_after_the_claim_is_respected(bot, svc, sandbox, client):
    """Not only cancels and moves: the check re-reads the participant's state too."""
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.FAMILY)
    user = client.user(2001, first_name="Dana")
    await join(user, created.token)
    await notices_done(svc)
    svc.clock.current = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # the 7-day RSVP nudge due
    dispatcher = Dispatcher(svc)
    claimed = await dispatcher._claim(svc.clock.current)
    nudges = [r for r in claimed if r.kind == "rsvp_nudge"]
    assert nudges
    before = len(await user.messages())
    pid = created.participant_id
    [card] = [m for m in await user.messages() if m.document]
    await user.press_data(card.message_id, f"at:{pid}:p")  # answers after the claim
    await user.wait_for(1)
    for row in nudges:
        await _send_one(dispatcher, bot, row)
    after = await user.messages()
    assert not any("can you attend" in m.plain.lower() for m in after[before:])
    statuses = {r.status for r in await rows(svc, kind="rsvp_nudge", participant_id=pid)}
    assert "sent" not in statuses and statuses <= {"skipped", "cancelled"}


async def _send_one(dispatcher: Dispatcher, bot, row):
    """Deliver one already-claimed row the way _pace does (check, then send)."""
    report = TickReport()
    await dispatcher._deliver(bot.app.bot, row, report, None, asyncio.Semaphore(1))
    return report
