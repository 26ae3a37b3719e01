"""The engine around the dispatcher: the APScheduler job, quiet hours, leases, timeouts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from cetr_bot.domain import Role
from cetr_bot.scheduling.dispatcher import JOB_NAME, Dispatcher, dispatch_due
from tests.helpers import add_review, invite, join
from tests.reminders.helpers import notices_done, pending, rows, tick

DAY_14 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


async def joined_parent(svc, client):
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.FAMILY)
    user = client.user(2001, first_name="Dana")
    await join(user, created.token)
    await notices_done(svc)  # the coordinator's "someone joined": not what these tests count
    return created.participant_id, user


@pytest.mark.parametrize("extra_settings", [{"dispatch_interval_seconds": 0.2}])
async def test_the_jobqueue_job_delivers_without_being_called(
    bot, client, svc, clock, extra_settings
):
    [job] = bot.app.job_queue.get_jobs_by_name(JOB_NAME)
    assert job.job.trigger.interval == timedelta(seconds=0.2)
    _, user = await joined_parent(svc, client)
    clock.current = DAY_14
    [reminder] = await user.wait_for(1, timeout=5)
    assert "in 14 days" in reminder.plain
    assert await user.settle(quiet=0.6) == []  # later runs do not send it again
    assert len(await rows(svc, kind="review_reminder", status="sent")) == 1


async def test_nothing_is_sent_in_quiet_hours_even_when_catching_up(bot, client, svc):
    _, user = await joined_parent(svc, client)
    for late in (
        datetime(2026, 11, 30, 21, 0, tzinfo=UTC),
        datetime(2026, 12, 1, 7, 59, tzinfo=UTC),
    ):
        report = await tick(svc, bot, at=late)
        assert report.quiet and report.sent == 0
    assert await user.settle(quiet=0.2) == []
    report = await tick(svc, bot, at=datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    assert report.sent == 1
    assert len(await user.wait_for(1)) == 1


async def test_rows_left_in_flight_by_a_dead_process_are_sent_after_the_lease(bot, client, svc):
    pid, user = await joined_parent(svc, client)
    svc.clock.current = DAY_14
    crashed = Dispatcher(svc)
    claimed = await crashed._claim(DAY_14)  # claimed, then the process "dies"
    assert [r.kind for r in claimed if r.participant_id == pid] == ["review_reminder"]
    assert (await tick(svc, bot)).sent == 0  # still within the lease: maybe being sent
    lease = svc.settings.dispatch_claim_lease_seconds
    report = await tick(svc, bot, at=DAY_14 + timedelta(seconds=lease + 1))
    assert report.recovered >= 1 and report.sent == 1
    [row] = await rows(svc, participant_id=pid, kind="review_reminder", status="sent")
    assert row.attempts == 2
    assert len(await user.wait_for(1)) == 1


async def test_a_server_error_is_retried_with_backoff(bot, client, svc, sandbox):
    """A 5xx surely did not deliver it: sent again after the back-off. (A read
    timeout may have delivered it: tests/reminders/test_ambiguous_failures.py.)"""
    pid, user = await joined_parent(svc, client)
    await client.set_faults(fail_next=1, fail_status=502, fail_method="sendMessage")
    slow = Bot(sandbox.token, base_url=sandbox.base_url, request=HTTPXRequest(read_timeout=0.3))
    async with slow:
        report = await dispatch_due(svc, slow, now=DAY_14)
    assert report.retried == 1
    [row] = await pending(svc, participant_id=pid, kind="review_reminder", attempts=1)
    assert row.payload["days"] == 14 and "Bad Gateway" in (row.last_error or "")
    assert row.send_after == DAY_14 + timedelta(seconds=svc.settings.send_backoff_seconds)


async def test_a_coordinator_who_never_opened_the_chat_is_a_failed_row(bot, client, svc):
    await add_review(svc)  # nobody joined: the coordinator's 7-day summary is due
    report = await tick(svc, bot, at=datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    assert report.failed == 1
    [row] = await rows(svc, kind="coord_attendance", status="failed")
    assert row.attempts == 1 and "chat not found" in (row.last_error or "").lower()


async def test_answering_again_after_unblocking_resumes_the_reminders(bot, client, svc):
    pid, user = await joined_parent(svc, client)
    [card] = [m for m in await user.messages() if m.document]
    await client.set_faults(blocked_chats=[2001])
    await tick(svc, bot, at=DAY_14)
    assert await pending(svc, participant_id=pid) == []
    await client.reset_faults()  # they unblock the bot and answer on the old card
    await user.press_data(card.message_id, f"at:{pid}:p")
    await user.wait_for(1)
    kinds = {(r.kind, r.payload["days"]) for r in await pending(svc, participant_id=pid)}
    assert kinds == {
        ("review_reminder", 2),
        ("review_reminder", 0),
        ("prep_nudge", 7),
        ("prep_nudge", 2),
    }


async def test_an_unanswered_review_reminder_carries_the_buttons(bot, client, svc):
    _, user = await joined_parent(svc, client)
    await tick(svc, bot, at=DAY_14)
    [reminder] = await user.wait_for(1)
    assert reminder.button_labels == ["🏢 In person", "💻 By video", "✖️ Can't attend"]
    [confirmed] = await user.tap("🏢 In person", message=reminder)
    assert "you will attend in person" in confirmed.plain
