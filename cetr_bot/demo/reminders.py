"""The reminders part of `make demo`: RSVPs, then time running fast.

The services' clock jumps forward (the DemoClock) and the bot's own dispatcher
sends what has fallen due at once (as its job would on its next tick), so the
transcript shows reminders arriving as they would days apart: an RSVP, the 14-
and 7-day reminders, a reschedule (the old reminders cancelled, a new .ics sent),
and a person who blocked the bot flagged to the coordinator.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from icalendar import Calendar
from sqlalchemy import select

from cetr_bot.domain import ReminderStatus
from cetr_bot.scheduling import dispatcher, planner
from cetr_bot.scheduling.timeline import days_before
from cetr_bot.storage.models import Review
from cetr_bot.storage.models_reminders import Reminder

if TYPE_CHECKING:
    from cetr_bot.demo import DemoContext

COORDINATOR, PARENT, YOUNG_PERSON, CLINICIAN = 1001, 2001, 2002, 2003


async def play(ctx: DemoContext) -> None:
    await _answers(ctx)
    await _jump_to(ctx, 14, "Time runs fast: 14 days before the review")
    await _jump_to(ctx, 7, "Seven days before: nudges, and the coordinator's attendance alert")
    await _reschedule(ctx)
    await _blocked(ctx)


async def _answers(ctx: DemoContext) -> None:
    people = ctx.people
    ctx.transcript.heading("Attendance: each person says whether they can come (/attend)")
    await people[PARENT].say("/attend")
    await people[PARENT].tap("🏢 In person")
    await people[YOUNG_PERSON].say("/attend")
    await people[YOUNG_PERSON].tap("💻 By video")
    await people[CLINICIAN].say("/attend")
    await people[CLINICIAN].tap("✖️ Can't attend")
    await people[CLINICIAN].tap("👤 Send someone in my place")
    await people[COORDINATOR].say(f"/review {ctx.review_id}")


async def _jump_to(ctx: DemoContext, days: int, heading: str) -> None:
    """Move the clock to 09:01 local, `days` before the review, and let the job run."""
    at = await _review_at(ctx)
    s = ctx.svc.settings
    target = days_before(at, days, s.reminder_time, s.zone) + timedelta(minutes=1)
    ctx.clock.advance(target - ctx.clock())
    ctx.transcript.heading(f"{heading} ({_local(ctx, target)})")
    await _deliver(ctx)


async def _reschedule(ctx: DemoContext) -> None:
    people, t = ctx.people, ctx.transcript
    t.heading("The coordinator moves the review a week later")
    before = await _pending(ctx)
    _note(ctx, f"Reminders waiting before the move: {len(before)}")
    new_at = (await _review_at(ctx)).astimezone(ctx.svc.settings.zone) + timedelta(days=7)
    await people[COORDINATOR].say(f"/reschedule {ctx.review_id}")
    await people[COORDINATOR].say(new_at.strftime("%d/%m/%Y %H:%M"))
    after = await _pending(ctx)
    gone = {r.id for r in before} - {r.id for r in after}
    _note(ctx, f"After the move: {len(gone)} old reminders cancelled; planned for the new date:")
    planned = Counter(
        (row.due_at, ctx.runner.texts.label(f"reminder_kinds.{row.kind}"))
        for row in after
        if row.kind in planner.PLANNED_KINDS
    )
    for (due, label), count in sorted(planned.items()):
        _note(ctx, f"    {_local(ctx, due)}  {label} ×{count}")
    _note(ctx, "Everyone who joined gets the news with an updated calendar file:")
    await _deliver(ctx)


async def _blocked(ctx: DemoContext) -> None:
    t = ctx.transcript
    t.heading("The young person has blocked the bot")
    await ctx.client.set_faults(blocked_chats=[YOUNG_PERSON])
    try:
        await _jump_to(ctx, 2, "Two days before the new date")
        await ctx.people[COORDINATOR].say(f"/review {ctx.review_id}")
        await ctx.checkpoint("blocked")
    finally:
        await ctx.client.reset_faults()


async def _deliver(ctx: DemoContext) -> None:
    """Send what is due now, as the job would on its next tick, and show what arrived."""
    app = ctx.runner.app
    sender: dispatcher.Dispatcher = app.bot_data["dispatcher"]
    await sender.drain(app.bot)
    for uid, person in ctx.people.items():
        arrived = [m for m in await person.user.settle() if not m.edited]
        ctx.transcript.saw(uid, arrived)
        for message in arrived:
            if message.document and message.document.get("file_name", "").endswith(".ics"):
                await _show_calendar(ctx, uid, message.message_id)


async def _show_calendar(ctx: DemoContext, chat_id: int, message_id: int) -> None:
    ics = Calendar.from_ical(await ctx.client.document(chat_id, message_id))
    for event in ics.walk("VEVENT"):
        start = event.decoded("DTSTART")
        _note(
            ctx,
            f"    📎 calendar file: {ics['METHOD']}, UID {event['UID']}, "
            f"SEQUENCE {event['SEQUENCE']}, starts {_local(ctx, start)}",
        )


async def _review_at(ctx: DemoContext) -> datetime:
    async with ctx.svc.db.transaction() as session:
        review = await session.get_one(Review, ctx.review_id)
        return review.scheduled_at


async def _pending(ctx: DemoContext) -> list[Reminder]:
    async with ctx.svc.db.transaction() as session:
        rows = await session.scalars(
            select(Reminder).where(
                Reminder.review_id == ctx.review_id,
                Reminder.status == ReminderStatus.PENDING,
                Reminder.participant_id.is_not(None),
            )
        )
        return list(rows)


def _local(ctx: DemoContext, moment: datetime) -> str:
    return moment.astimezone(ctx.svc.settings.zone).strftime("%a %d %b %Y %H:%M")


def _note(ctx: DemoContext, line: str) -> None:
    ctx.transcript.lines.append(line)
    print(line, flush=True)
