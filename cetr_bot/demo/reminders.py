"""The reminders part of `make demo` (placeholder until that capability lands)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cetr_bot.demo import DemoContext


async def play(ctx: DemoContext) -> None:
    return None
