"""The reminder planner as the services see it (services.events.Planner)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.scheduling import dsr_planner, follow_up, planner
from cetr_bot.services.context import Services


class ReminderPlanner:
    """Works out the reminders a change touches, in the transaction of the change."""

    async def review_changed(
        self,
        svc: Services,
        session: AsyncSession,
        review_id: int,
        *,
        reason: str,
        participant_id: int | None = None,
    ) -> None:
        await planner.plan_review(
            svc, session, review_id, reason=reason, participant_id=participant_id
        )
        await follow_up.plan_follow_up(svc, session, review_id)
        await dsr_planner.plan_for_review(svc, session, review_id)

    async def action_changed(
        self, svc: Services, session: AsyncSession, action_id: int, *, reason: str
    ) -> None:
        await follow_up.plan_action(svc, session, action_id, reason=reason)

    async def person_changed(
        self, svc: Services, session: AsyncSession, person_id: int, *, reason: str
    ) -> None:
        await follow_up.plan_person(svc, session, person_id, reason=reason)

    async def feedback_sent(self, svc: Services, session: AsyncSession, review_id: int) -> None:
        await follow_up.plan_yp_feedback(svc, session, review_id)

    async def question_asked(
        self, svc: Services, session: AsyncSession, review_id: int, question_id: int
    ) -> None:
        await follow_up.plan_yp_question(svc, session, review_id, question_id)

    async def dsr_changed(
        self, svc: Services, session: AsyncSession, young_person_id: int, *, reason: str
    ) -> None:
        await dsr_planner.plan_young_person(svc, session, young_person_id)
        await planner.plan_young_person(svc, session, young_person_id)
