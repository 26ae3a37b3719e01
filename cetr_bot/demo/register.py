"""The register part of `make demo`: a young person at risk in the community is on the
Dynamic Support Register; the coordinator sees the register, turns them red with a
reason, and a community CETR falls due (the coordinator is reminded until one is booked)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from cetr_bot.demo.reminders import _deliver, _note
from cetr_bot.domain import Rag
from cetr_bot.services import dsr
from cetr_bot.services.context import Actor

if TYPE_CHECKING:
    from cetr_bot.demo import DemoContext

COORDINATOR = 1001


async def play(ctx: DemoContext) -> None:
    ctx.transcript.heading("The Dynamic Support Register: a child at risk at home")
    entry = await dsr.add_entry(
        ctx.svc,
        Actor.cli(),
        ref="YP-0077",
        date_of_birth=date(2012, 5, 9),
        rag=Rag.AMBER,
        reason="Placement under strain",
    )
    _note(ctx, f"`cetr-bot dsr add --ref YP-0077 --rag amber` made DSR #{entry.id}")
    coordinator = ctx.people[COORDINATOR]
    await coordinator.say("/dsr")
    await coordinator.say(f"/dsr {entry.id}")
    await coordinator.tap("Change the rating")
    await coordinator.tap("🔴 Red")
    await coordinator.say("Two crisis calls this week")
    ctx.transcript.heading("Red: a community CETR is due within 10 working days")
    await _deliver(ctx)
