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
    from cetr_bot.scheduling import follow_up, planner

    await planner.plan_review(svc, session, review_id, reason=reason)
    await follow_up.plan_follow_up(svc, session, review_id)


async def action_changed(
    svc: Services, session: AsyncSession, action_id: int, *, reason: str
) -> None:
    """An action was added, changed or answered: re-plan its notices and chasers."""
    from cetr_bot.scheduling import follow_up

    await follow_up.plan_action(svc, session, action_id, reason=reason)


async def person_changed(
    svc: Services, session: AsyncSession, person_id: int, *, reason: str
) -> None:
    """A person's preferences changed (e.g. the daily digest): re-plan their reminders."""
    from cetr_bot.scheduling import follow_up

    await follow_up.plan_person(svc, session, person_id, reason=reason)
