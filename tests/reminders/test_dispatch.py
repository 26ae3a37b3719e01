"""The dispatcher: due rows are sent once, on time, paced, and every failure handled."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from cetr_bot.domain import Role
from cetr_bot.scheduling.dispatcher import Dispatcher
from cetr_bot.services import invitations, reviews
from cetr_bot.services.context import Actor
from cetr_bot.storage.models import Person
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI, add_review, invite, join
from tests.reminders.helpers import notices_done, pending, rows, tick

REVIEW_AT = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)  # the default review, 21 days ahead
DAY_14 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


async def joined_parent(svc, client, review_id=None):
    review_id = review_id or await add_review(svc)
    created = await invite(svc, review_id, Role.FAMILY)
    user = client.user(2001, first_name="Dana")
    await join(user, created.token)
    await notices_done(svc)  # the coordinator's "someone joined": not what these tests count
    return review_id, created.participant_id, user


def ics_of(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


async def test_a_reminder_arrives_when_due_and_only_once(bot, client, svc):
    _, _, user = await joined_parent(svc, client)
    report = await tick(svc, bot, at=DAY_14 - timedelta(minutes=1))
    assert report.sent == 0 and await user.settle(quiet=0.2) == []
    report = await tick(svc, bot, at=DAY_14)
    assert report.sent == 1
    [reminder] = await user.wait_for(1)
    assert "the review meeting is in 14 days" in reminder.plain
    assert "Monday 14 December 2026 at 09:00" in reminder.plain
    for _ in range(3):
        assert (await tick(svc, bot)).sent == 0
    assert await user.settle(quiet=0.2) == []
    [row] = await rows(svc, kind="review_reminder", status="sent")
    assert row.attempts == 1 and row.sent_at == DAY_14


async def test_texts_are_discreet(bot, client, svc):
    review_id = await add_review(svc, ref="YP-SECRET", location="St Elsewhere Hospital, Ward 3")
    _, pid, user = await joined_parent(svc, client, review_id)
    await tick(svc, bot, at=datetime(2026, 12, 12, 9, 0, tzinfo=UTC))
    sent = await user.wait_for(1)
    await reviews.cancel_review(svc, CLI, review_id=review_id)
    await tick(svc, bot)
    sent += await user.wait_for(1)
    for message in sent:
        for secret in ("YP-SECRET", "Hospital", "Ward", "Elsewhere"):
            assert secret not in message.plain
    cancel_ics = await client.document(2001, sent[-1].message_id)
    assert b"Hospital" not in cancel_ics and b"YP-SECRET" not in cancel_ics


async def test_catch_up_after_downtime_sends_each_series_once(bot, client, svc):
    """Down from before the 14-day reminder until after the 7-day nudges: on the
    first tick everything missed goes out, the 14-day reminder folded into the
    newest of its series rather than sent as a second "in N days" message."""
    _, pid, user = await joined_parent(svc, client)
    report = await tick(svc, bot, at=datetime(2026, 12, 8, 10, 0, tzinfo=UTC))
    sent = await user.wait_for(3)
    assert report.sent == 3 and report.skipped == 0
    texts = " | ".join(m.plain for m in sent)
    assert "in 6 days" in texts and "can you attend" in texts.lower() and "/prepare" in texts
    statuses = {(r.kind, r.payload["days"]): r.status for r in await rows(svc, participant_id=pid)}
    assert statuses[("review_reminder", 14)] == "sent"
    assert statuses[("rsvp_nudge", 7)] == "sent" and statuses[("prep_nudge", 7)] == "sent"
    assert statuses[("review_reminder", 2)] == "pending"
    assert (await tick(svc, bot)).sent == 0


async def test_missed_series_are_superseded_not_doubled(bot, client, svc):
    _, pid, user = await joined_parent(svc, client)
    report = await tick(svc, bot, at=datetime(2026, 12, 13, 9, 0, tzinfo=UTC))
    sent = await user.wait_for(3)
    assert report.sent == 3  # (the coordinator's 7-day summary is superseded too)
    assert sum("in 1 days" in m.plain or "tomorrow" in m.plain for m in sent) == 3
    skipped = await rows(svc, participant_id=pid, status="skipped")
    assert {(r.kind, r.payload["days"], r.last_error) for r in skipped} == {
        ("review_reminder", 14, "superseded"),
        ("rsvp_nudge", 7, "superseded"),
        ("prep_nudge", 7, "superseded"),
    }


async def test_a_restarted_dispatcher_catches_up(bot, client, svc):
    _, _, user = await joined_parent(svc, client)
    first = Dispatcher(svc)
    await first.tick(bot.app.bot, now=DAY_14 - timedelta(hours=1))
    # "Down" across the due time; a fresh dispatcher (a new process) picks it up.
    svc.clock.current = DAY_14 + timedelta(hours=5)
    report = await Dispatcher(svc).tick(bot.app.bot)
    assert report.sent == 1
    [reminder] = await user.wait_for(1)
    assert "the review meeting is in 14 days" in reminder.plain
    assert (await Dispatcher(svc).tick(bot.app.bot)).sent == 0


async def test_a_reminder_too_late_for_the_review_expires_visibly(bot, client, svc):
    review_id, pid, user = await joined_parent(svc, client)
    report = await tick(svc, bot, at=REVIEW_AT + timedelta(minutes=5))
    assert report.sent == 0 and report.expired >= 1
    assert await user.settle(quiet=0.2) == []
    [detail] = [await reviews.review_detail(svc, CLI, review_id)]
    assert any(p.what == "expired" for p in detail.delivery_problems)


async def test_a_move_sends_an_updated_calendar_and_old_reminders_never_fire(bot, client, svc):
    review_id, pid, user = await joined_parent(svc, client)
    [card] = [m for m in await user.messages() if m.document]
    first = ics_of(await client.document(2001, card.message_id))
    new_at = datetime(2026, 12, 21, 14, 0, tzinfo=UTC)
    await reviews.reschedule_review(svc, CLI, review_id=review_id, at=new_at)
    await tick(svc, bot)
    [notice] = await user.wait_for(1)
    assert "has moved" in notice.plain and "Monday 21 December 2026 at 14:00" in notice.plain
    assert notice.button_labels  # can answer again straight away
    moved = ics_of(await client.document(2001, notice.message_id))
    [old_event], [new_event] = first.walk("VEVENT"), moved.walk("VEVENT")
    assert new_event["UID"] == old_event["UID"]
    assert int(new_event["SEQUENCE"]) == int(old_event["SEQUENCE"]) + 1
    assert new_event.decoded("DTSTART") == new_at
    # The old date's 14-day reminder (30 Nov) no longer exists; the new one is on 7 Dec.
    await tick(svc, bot, at=DAY_14)
    assert await user.settle(quiet=0.2) == []
    await tick(svc, bot, at=datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    got = await user.wait_for(1)
    assert any("Monday 21 December 2026 at 14:00" in m.plain for m in got)


async def test_a_cancellation_sends_method_cancel(bot, client, svc):
    review_id, _, user = await joined_parent(svc, client)
    await reviews.cancel_review(svc, CLI, review_id=review_id)
    await tick(svc, bot)
    [notice] = await user.wait_for(1)
    assert "cancelled" in notice.plain
    cancel = ics_of(await client.document(2001, notice.message_id))
    [event] = cancel.walk("VEVENT")
    assert str(cancel["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1
    # Nothing else about this review ever comes.
    for day in (DAY_14, datetime(2026, 12, 12, 9, 0, tzinfo=UTC), REVIEW_AT):
        await tick(svc, bot, at=day)
    assert await user.settle(quiet=0.2) == []


async def test_rate_limited_waits_the_retry_after_and_retries(bot, client, svc, sandbox):
    _, pid, user = await joined_parent(svc, client)
    # The sandbox allows one message a second per chat; our pacing is off in these tests,
    # so three reminders due at once to one chat meet 429s.
    await client.set_faults(per_chat_rate=1)
    sandbox.rate.reset()  # forget the welcome messages just sent
    report = await tick(svc, bot, at=datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    assert report.sent == 1 and report.rate_limited == 2
    waiting = [r for r in await pending(svc, participant_id=pid) if r.last_error]
    assert len(waiting) == 2
    assert {(r.attempts, r.last_error) for r in waiting} == {(0, "rate limited")}
    assert {r.send_after for r in waiting} == {svc.clock.current + timedelta(seconds=1)}
    assert (await tick(svc, bot)).sent == 0  # not before retry_after
    for _ in range(2):
        await asyncio.sleep(1.05)
        report = await tick(svc, bot, at=svc.clock.current + timedelta(seconds=1))
        assert report.sent == 1
    assert len(await user.wait_for(3)) == 3
    assert await pending(svc, participant_id=pid, last_error="rate limited") == []


async def test_server_errors_back_off_then_succeed(bot, client, svc):
    _, pid, user = await joined_parent(svc, client)
    await client.set_faults(fail_next=1, fail_status=502, fail_method="sendMessage")
    report = await tick(svc, bot, at=DAY_14)
    assert report.retried == 1 and report.sent == 0
    [row] = await pending(svc, participant_id=pid, kind="review_reminder", attempts=1)
    assert row.send_after == DAY_14 + timedelta(seconds=30)
    assert (await tick(svc, bot, at=DAY_14 + timedelta(seconds=29))).sent == 0
    assert (await tick(svc, bot, at=DAY_14 + timedelta(seconds=30))).sent == 1
    assert len(await user.wait_for(1)) == 1


async def test_repeated_failures_stop_at_the_cap_and_show_to_the_coordinator(bot, client, svc):
    review_id, pid, user = await joined_parent(svc, client)
    await client.set_faults(fail_next=100, fail_status=500, fail_method="sendMessage")
    moment = DAY_14
    for _ in range(svc.settings.send_max_attempts):
        await tick(svc, bot, at=moment)
        moment += timedelta(seconds=svc.settings.send_backoff_cap_seconds)
    [row] = await rows(svc, participant_id=pid, kind="review_reminder", status="failed")
    assert row.attempts == svc.settings.send_max_attempts
    await tick(svc, bot, at=moment + timedelta(hours=1))
    assert len(await rows(svc, participant_id=pid, kind="review_reminder", status="failed")) == 1
    await client.reset_faults()
    [shown] = await client.user(COORDINATOR_ID).ask(f"/review {review_id}")
    assert "could not be sent after 5 tries" in shown.plain
    assert "review reminder to Family member or carer (Dana)" in shown.plain


async def test_a_blocked_user_is_marked_unreachable_and_the_coordinator_told(
    bot, client, svc, sandbox
):
    review_id, pid, user = await joined_parent(svc, client)
    coordinator = client.user(COORDINATOR_ID)
    await coordinator.ask("/start")
    await client.set_faults(blocked_chats=[2001])
    report = await tick(svc, bot, at=DAY_14)
    assert report.blocked == 1
    async with svc.db.transaction() as session:
        person = await session.get(Person, 1)
        assert person is not None and person.unreachable_since == DAY_14
    assert await pending(svc, participant_id=pid) == []
    await tick(svc, bot)
    [alert] = await coordinator.wait_for(1)
    assert "Dana has blocked the bot" in alert.plain and f"Review #{review_id}" in alert.plain
    calls_before = len(sandbox.calls_to("sendMessage"))
    for day in (datetime(2026, 12, 7, 9, 0, tzinfo=UTC), REVIEW_AT - timedelta(hours=2)):
        await tick(svc, bot, at=day)
    to_parent = [
        c
        for c in sandbox.calls_to("sendMessage")[calls_before:]
        if c.params.get("chat_id") in (2001, "2001")
    ]
    assert to_parent == []
    [shown] = await coordinator.ask(f"/review {review_id}")
    assert "Family member or carer (Dana) blocked the bot" in shown.plain
    assert "Family member or carer: ✅ joined (Dana)" in shown.plain  # data kept


@pytest.mark.parametrize(
    "extra_settings",
    [{"send_rate_per_second": 28.0, "send_chat_interval_seconds": 1.1}],
)
async def test_pacing_stays_inside_telegrams_limits(bot, client, svc, sandbox, extra_settings):
    review_id = await add_review(svc)
    for uid in range(3001, 3041):
        created = await invite(svc, review_id, Role.OTHER)
        sandbox.add_user(uid)
        await invitations.redeem(svc, Actor(uid, uid, f"P{uid}"), token=created.token)
    await client.set_faults(global_rate=30, per_chat_rate=1)
    # Two days before, each of 40 people has three messages due (reminder, two nudges).
    started = time.monotonic()
    report = await tick(svc, bot, at=datetime(2026, 12, 12, 9, 0, tzinfo=UTC))
    elapsed = time.monotonic() - started
    assert report.sent == 40 * 3 and report.rate_limited == 0
    assert [c for c in sandbox.calls if c.status == 429] == []
    # Three to each chat need at least two 1-second gaps; 120 at 28/s about 4 s.
    assert elapsed >= 2.2
