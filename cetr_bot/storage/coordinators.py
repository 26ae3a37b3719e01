"""Who coordinates what: the Telegram ids to tell about a review.

The one seam every notification to coordinators goes through, so that team
scoping (a review belongs to a team; only that team's coordinators hear of it)
lives in one place.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.config import Settings


async def coordinator_chats(
    settings: Settings, session: AsyncSession, *, review_id: int | None
) -> list[int]:
    """The coordinators who look after `review_id` (all of them when None)."""
    del session, review_id  # team scoping replaces this body
    return list(settings.coordinator_ids)


async def admin_chats(settings: Settings, session: AsyncSession) -> list[int]:
    """The administrators (they manage teams and hear of attacks on the bot)."""
    del session
    return list(settings.admin_ids)
