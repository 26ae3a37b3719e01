from __future__ import annotations

from datetime import date, timedelta

from cetr_bot.domain import Role
from cetr_bot.sandbox import SandboxClient
from cetr_bot.services import actions
from cetr_bot.services.context import Services
from tests.helpers import CLI, add_review, invite, join


async def held_review_with_owner(
    svc: Services, client: SandboxClient, *, owner_id: int = 2003, role: Role = Role.CLINICIAN
) -> tuple[int, int]:
    """A review held today with one joined participant; returns (review id, participant id)."""
    review_id = await add_review(svc, at=svc.now() + timedelta(hours=1))
    created = await invite(svc, review_id, role)
    await join(client.user(owner_id, first_name="Lee"), created.token)
    await actions.mark_held(svc, CLI, review_id=review_id, held_on=svc.now().date())
    return review_id, created.participant_id


async def add(
    svc: Services,
    review_id: int,
    owner: int,
    *,
    days: int = 14,
    what: str = "Find a community placement",
) -> actions.ActionView:
    due = svc.now().date() + timedelta(days=days)
    return await actions.add_action(
        svc, CLI, review_id=review_id, owner_participant_id=owner, what=what, due_on=due
    )


def today(svc: Services) -> date:
    return svc.now().date()
