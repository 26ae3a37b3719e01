"""One place that hears about every change reminders depend on.

Services call `review_changed` inside their own transaction whenever a review is
created, moved or cancelled, someone is invited, joins or leaves, or an RSVP or
preparation changes. The reminder planner then brings the pending reminder rows
in line with the new state, in that same transaction.

The planner lives above this layer (cetr_bot.scheduling): it implements `Planner`,
and the composition root (cetr_bot.wiring) installs it, for the process or for one
`Services` (`svc.planner`). A service never imports the scheduler.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.services.context import Services


class Planner(Protocol):
    """What the services tell the reminder planner, inside their transaction."""

    async def review_changed(
        self,
        svc: Services,
        session: AsyncSession,
        review_id: int,
        *,
        reason: str,
        participant_id: int | None = None,
    ) -> None: ...

    async def action_changed(
        self, svc: Services, session: AsyncSession, action_id: int, *, reason: str
    ) -> None: ...

    async def person_changed(
        self, svc: Services, session: AsyncSession, person_id: int, *, reason: str
    ) -> None: ...

    async def feedback_sent(self, svc: Services, session: AsyncSession, review_id: int) -> None:
        """The young person's easy-read feedback is ready to go to them."""
        ...

    async def question_asked(
        self, svc: Services, session: AsyncSession, review_id: int, question_id: int
    ) -> None:
        """The young person asked the coordinators something (a feedback_questions row)."""
        ...

    async def dsr_changed(
        self, svc: Services, session: AsyncSession, young_person_id: int, *, reason: str
    ) -> None:
        """A register entry changed, or a review was recorded for its young person."""
        ...


_installed: list[Planner] = []


def install(planner: Planner) -> None:
    """The process-wide planner (cetr_bot.wiring calls this)."""
    _installed[:] = [planner]


def planner_of(svc: Services) -> Planner:
    found = svc.planner or (_installed[0] if _installed else None)
    if found is None:
        raise RuntimeError("no reminder planner installed: import cetr_bot.wiring first")
    return found


async def review_changed(
    svc: Services,
    session: AsyncSession,
    review_id: int,
    *,
    reason: str,
    participant_id: int | None = None,
) -> None:
    """`participant_id`: the change concerns that participant only (an RSVP, a
    preparation step), so only their reminders are worked out again."""
    await planner_of(svc).review_changed(
        svc, session, review_id, reason=reason, participant_id=participant_id
    )


async def action_changed(
    svc: Services, session: AsyncSession, action_id: int, *, reason: str
) -> None:
    """An action was added, changed or answered: re-plan its notices and chasers."""
    await planner_of(svc).action_changed(svc, session, action_id, reason=reason)


async def person_changed(
    svc: Services, session: AsyncSession, person_id: int, *, reason: str
) -> None:
    """A person's preferences changed (e.g. the daily digest): re-plan their reminders."""
    await planner_of(svc).person_changed(svc, session, person_id, reason=reason)


async def feedback_sent(svc: Services, session: AsyncSession, review_id: int) -> None:
    await planner_of(svc).feedback_sent(svc, session, review_id)


async def question_asked(
    svc: Services, session: AsyncSession, review_id: int, question_id: int
) -> None:
    await planner_of(svc).question_asked(svc, session, review_id, question_id)


async def dsr_changed(
    svc: Services, session: AsyncSession, young_person_id: int, *, reason: str
) -> None:
    """The register changed for this young person: re-plan its reminders."""
    await planner_of(svc).dsr_changed(svc, session, young_person_id, reason=reason)
