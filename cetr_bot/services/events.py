"""One place that hears about every change reminders depend on.

Services call `review_changed` inside their own transaction whenever a review is
created, moved or cancelled, someone is invited, joins or leaves, or an RSVP or
preparation changes. The reminder planner then brings the pending reminder rows
in line with the new state, in that same transaction.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.services.context import Services


async def review_changed(
    svc: Services, session: AsyncSession, review_id: int, *, reason: str
) -> None:
    from cetr_bot.scheduling import planner

    await planner.plan_review(svc, session, review_id, reason=reason)
