"""Owners told at once, reminded, chased and escalated; the digest; the report and the
young person's feedback: through the reminder engine, with the clock controlled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cetr_bot.domain import Role
from cetr_bot.services import actions, feedback, preferences
from cetr_bot.services.context import Actor
from tests.actions.helpers import add, held_review_with_owner
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI, add_review, invite, join
from tests.reminders.helpers import pending, tick, without_join_notices


async def open_coordinator(client):
    """Telegram only lets a bot write to someone who has opened the chat."""
    coord = client.user(COORDINATOR_ID)
    await coord.ask("/start")
    return coord


def at(day: int, hour: int = 9, month: int = 11, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=UTC)  # GMT: local == UTC in winter


async def test_owner_is_told_at_once_with_buttons(bot, client, svc):
    review_id, owner = await held_review_with_owner(svc, client)
    lee = client.user(2003)
    await lee.settle()
    view = await add(svc, review_id, owner, days=14, what="Find a placement")
    await tick(svc, bot)
    [notice] = await lee.wait_for()
    assert "You have a new action" in notice.plain and "Find a placement" in notice.plain
    assert "✅ Done" in notice.button_labels
    [thanks] = await lee.tap("✅ Done", message=notice)
    assert "marked done" in thanks.plain
    current, _ = await actions.show_action(svc, CLI, action_id=view.id)
    assert current.status is actions.ActionStatus.DONE


async def test_reminders_chasers_and_escalation_follow_the_dates(bot, client, svc, clock):
    coord = await open_coordinator(client)
    review_id, owner = await held_review_with_owner(svc, client)  # Mon 23 Nov 2026
    lee = client.user(2003)
    view = await add(svc, review_id, owner, days=11)  # due Fri 4 Dec
    await tick(svc, bot)
    await lee.settle()
    kinds = [(r.kind, r.due_at) for r in await pending(svc) if r.kind.startswith("action")]
    assert ("action_due", at(27)) in kinds  # 7 days before, 09:00
    assert ("action_due", at(4, month=12)) in kinds  # on the day
    assert ("action_chase", at(7, month=12)) in kinds  # next working day: Monday
    assert ("action_chase", at(10, month=12)) in kinds  # then every 3 days
    escalations = [k for k in kinds if k[0] == "action_escalate"]
    assert escalations == [("action_escalate", at(7, month=12))]  # 3 days overdue
    await tick(svc, bot, at=at(27, 9))
    [due] = await lee.wait_for()
    assert "due in 7 days" in due.plain and "✅ Done" in due.button_labels
    await tick(svc, bot, at=at(7, 9, month=12))
    [chase] = await lee.wait_for()
    assert "overdue" in chase.plain
    seen = await coord.wait_for() + await coord.settle()
    [escalated] = [m for m in seen if "A1" in m.plain]
    assert "overdue" in escalated.plain
    assert "Last update: none yet" in escalated.plain
    # Done: every later chaser is cancelled and nothing more is sent.
    await actions.respond(svc, CLI, action_id=view.id, response=actions.Response.DONE)
    assert [r for r in await pending(svc) if r.kind.startswith("action")] == []
    await tick(svc, bot, at=at(20, 9, month=12))
    assert await lee.settle() == []


async def test_help_and_not_mine_reach_the_coordinator(bot, client, svc):
    coord = await open_coordinator(client)
    review_id, owner = await held_review_with_owner(svc, client)
    view = await add(svc, review_id, owner)
    lee_actor = Actor(2003, 2003)
    await actions.respond(
        svc,
        lee_actor,
        action_id=view.id,
        response=actions.Response.HELP,
        text="Funding panel keeps moving",
    )
    await tick(svc, bot)
    [note] = without_join_notices(await coord.wait_for() + await coord.settle())
    assert "needs help" in note.plain and "Funding panel keeps moving" in note.plain


async def test_reassigned_owner_is_told_and_the_old_one_is_not_chased(bot, client, svc, clock):
    review_id, owner = await held_review_with_owner(svc, client)
    from cetr_bot.services import invitations

    other = await invitations.create_invitation(
        svc, CLI, review_id=review_id, role=Role.SOCIAL_WORKER, allow_held=True
    )
    sam = client.user(2005)
    await join(sam, other.token)
    view = await add(svc, review_id, owner, days=3)
    await actions.reassign_action(
        svc, CLI, action_id=view.id, owner_participant_id=other.participant_id
    )
    await tick(svc, bot)
    [notice] = await sam.wait_for()
    assert "now yours" in notice.plain
    owners = {r.chat_id for r in await pending(svc) if r.kind in ("action_due", "action_chase")}
    assert owners == {2005}


async def test_daily_digest_replaces_single_reminders(bot, client, svc):
    review_id, owner = await held_review_with_owner(svc, client)
    await preferences.set_digest(svc, Actor(2003, 2003), at=datetime(2026, 1, 1, 7, 30).time())
    await add(svc, review_id, owner, days=7, what="One")
    await add(svc, review_id, owner, days=7, what="Two")
    rows = await pending(svc)
    assert not [r for r in rows if r.kind in ("action_due", "action_chase")]
    digests = [r for r in rows if r.kind == "action_digest"]
    assert digests and digests[0].due_at == datetime(
        2026, 11, 30, 8, 0, tzinfo=UTC
    )  # 08:00 end of quiet hours
    await tick(svc, bot)
    lee = client.user(2003)
    await lee.settle()
    await tick(svc, bot, at=digests[0].due_at)
    [digest] = await lee.wait_for()
    assert "One" in digest.plain and "Two" in digest.plain and "/myactions" in digest.plain


async def test_report_reminder_and_kind_late_notice(bot, client, svc):
    coord = await open_coordinator(client)
    review_id = await add_review(svc, at=svc.now() + timedelta(hours=1))
    parent = await invite(svc, review_id, Role.FAMILY)
    mum = client.user(2001)
    await join(mum, parent.token)
    await actions.mark_held(svc, CLI, review_id=review_id, held_on=svc.now().date())
    await tick(svc, bot, at=at(3, 9, month=12))  # 10 days on
    [due] = without_join_notices(await coord.wait_for() + await coord.settle())
    assert f"report for review #{review_id}" in due.plain and "/reportsent" in due.plain
    await mum.settle()
    await tick(svc, bot, at=at(8, 9, month=12))  # 15 days on: late
    [late] = await mum.wait_for()
    assert "sorry it is late" in late.plain and "commissioner" in late.plain


async def test_report_marked_sent_stops_the_reminders(bot, client, svc):
    review_id = await add_review(svc, at=svc.now() + timedelta(hours=1))
    parent = await invite(svc, review_id, Role.FAMILY)
    mum = client.user(2001)
    await join(mum, parent.token)
    await actions.mark_held(svc, CLI, review_id=review_id, held_on=svc.now().date())
    assert [r for r in await pending(svc) if r.kind.startswith("report")]
    [reply] = await client.user(COORDINATOR_ID).ask(f"/reportsent {review_id}")
    assert "marked as sent" in reply.plain
    assert not [r for r in await pending(svc) if r.kind.startswith("report")]


async def test_young_person_feedback_easy_read_and_resumable(bot, client, svc):
    review_id = await add_review(svc, at=svc.now() + timedelta(hours=1))
    young = await invite(svc, review_id, Role.YOUNG_PERSON)
    sam = client.user(2002)
    await join(sam, young.token)
    await actions.mark_held(svc, CLI, review_id=review_id, held_on=svc.now().date())
    await sam.settle()
    await tick(svc, bot, at=at(24, 9))
    [ask] = await sam.wait_for()
    assert "How was the meeting for you?" in ask.plain and "1 of 4" in ask.plain
    [q2] = await sam.tap("😀 Good", message=ask)
    assert "Did people listen to you?" in q2.plain
    # An old button changes nothing and shows the current question again.
    await sam.press_data(ask.message_id, f"fb:{young.participant_id}:how_it_went:1")
    replies = await sam.wait_for(count=2)
    assert "moved on" in replies[0].plain and "listen" in replies[1].plain
    [q3] = await sam.tap("🤏 A bit", message=q2)
    [q4] = await sam.tap("🤷 Not sure", message=q3)
    assert "anything else" in q4.plain.lower()
    [thanks] = await sam.ask("More time <outside>")
    assert "Thank you for telling us" in thanks.plain
    [reply] = await (await open_coordinator(client)).ask(f"/feedback {review_id}")
    assert "A bit" in reply.plain and "More time <outside>" in reply.plain
    assert await feedback.has_answered_id(svc, young.participant_id)


async def test_only_the_young_person_may_answer_feedback(bot, client, svc):
    review_id = await add_review(svc, at=svc.now() + timedelta(hours=1))
    young = await invite(svc, review_id, Role.YOUNG_PERSON)
    await join(client.user(2002), young.token)
    await actions.mark_held(svc, CLI, review_id=review_id, held_on=svc.now().date())
    stranger = client.user(2999)
    [sent] = await stranger.ask("/help")
    await stranger.press_data(sent.message_id, f"fb:{young.participant_id}:how_it_went:3")
    [reply] = await stranger.wait_for()
    assert "only for the young person" in reply.plain
    assert not await feedback.has_answered_id(svc, young.participant_id)
