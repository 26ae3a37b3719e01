"""The after-the-review part of `make demo`: the pack, actions recorded, one done,
one overdue and escalated, and the feedback to the young person."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from cetr_bot.demo.reminders import _deliver, _local, _note, _review_at
from cetr_bot.services import pack
from cetr_bot.services.context import Actor

if TYPE_CHECKING:
    from cetr_bot.demo import DemoContext

COORDINATOR, PARENT, YOUNG_PERSON, CLINICIAN = 1001, 2001, 2002, 2003


async def play(ctx: DemoContext) -> None:
    at = await _review_at(ctx)
    await _to(ctx, at - timedelta(hours=23), "The day before: the panel pack goes out")
    await _write_pack(ctx)
    await _to(ctx, at + timedelta(hours=2), "The review is held; actions are recorded")
    await _record_actions(ctx)
    await _deliver(ctx)
    ctx.transcript.heading("The parent marks their action done")
    await ctx.people[PARENT].tap("✅ Done")
    await _to(ctx, at + timedelta(days=1, hours=1), "The next day: the young person is asked")
    await _feedback(ctx)
    due = at + timedelta(days=7 + 3)
    await _to(ctx, due, "Three days after the clinician's action was due")
    await ctx.people[COORDINATOR].say(f"/actions {ctx.review_id}")


async def _to(ctx: DemoContext, moment: datetime, heading: str) -> None:
    ctx.clock.advance(moment - ctx.clock())
    ctx.transcript.heading(f"{heading} ({_local(ctx, moment)})")
    await _deliver(ctx)


async def _write_pack(ctx: DemoContext) -> None:
    current = await pack.pack_for(ctx.svc, Actor.cli(), review_id=ctx.review_id)
    target = ctx.folder / pack.filename(current)
    target.write_text(pack.render(ctx.runner.texts, current), encoding="utf-8")
    _note(ctx, f"📄 The panel pack is written to {target}")


async def _record_actions(ctx: DemoContext) -> None:
    coordinator, review = ctx.people[COORDINATOR], ctx.review_id
    await coordinator.say(f"/held {review}")
    due = (ctx.clock() + timedelta(days=7)).astimezone(ctx.svc.settings.zone)
    for what, owner in (
        ("Find a community placement near home", "Responsible clinician"),
        ("Share the notes from the home visit", "Family member"),
    ):
        await coordinator.say(f"/addaction {review}")
        [ask] = await coordinator.say(what)
        if "➡️ Send anyway" in ask.button_labels:  # the young person will read it: hard words
            [ask] = await coordinator.tap("➡️ Send anyway")
        label = next(x for x in ask.button_labels if x.startswith(owner))
        await coordinator.tap(label)
        await coordinator.say(due.strftime("%d/%m/%Y"))


async def _feedback(ctx: DemoContext) -> None:
    young, coordinator = ctx.people[YOUNG_PERSON], ctx.people[COORDINATOR]
    ctx.transcript.heading("The young person unblocks the bot and says hello again")
    await young.say("/start")
    await _deliver(ctx)
    await young.tap("😀 Good")
    await young.tap("👍 Yes")
    await young.tap("👍 Yes")
    await young.say("I want to go home soon")
    ctx.transcript.heading("The coordinator writes the feedback for the young person")
    await coordinator.say(f"/writefeedback {ctx.review_id}")
    for text in (
        "Yes. The staff keep you safe.",
        "Good. Staff know you well.",
        "Yes. We are finding a home near your mum.",
        "Not for much longer.",
    ):
        await coordinator.say(text)
    await coordinator.tap("📨 Send to the young person")
    await _deliver(ctx)
