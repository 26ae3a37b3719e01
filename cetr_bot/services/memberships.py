"""Which reviews a Telegram user is part of now, in which role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import ReviewStatus, ReviewType, Role
from cetr_bot.services.context import Actor
from cetr_bot.storage.models import Participant, Person, Review


@dataclass(frozen=True)
class Membership:
    participant_id: int
    review_id: int
    role: Role
    at: datetime
    review_type: ReviewType
    status: ReviewStatus = ReviewStatus.SCHEDULED


async def memberships(session: AsyncSession, actor: Actor) -> list[Membership]:
    """The reviews this Telegram user is part of now, in any role, soonest first: every
    scheduled one, and a held one until a later review of that young person takes its
    place (after the meeting they keep their role, their consent and their say)."""
    rows = await session.execute(
        select(
            Participant.id,
            Review.id,
            Participant.role,
            Review.scheduled_at,
            Review.type,
            Review.status,
            Review.young_person_id,
        )
        .join(Review, Review.id == Participant.review_id)
        .join(Person, Person.id == Participant.person_id)
        .where(
            Person.telegram_user_id == actor.telegram_user_id,
            Participant.removed_at.is_(None),
            Review.status.in_([ReviewStatus.SCHEDULED, ReviewStatus.HELD]),
        )
        .order_by(Review.scheduled_at, Participant.id)
    )
    found = [
        (Membership(p, r, Role(role), at, ReviewType(kind), ReviewStatus(status)), young)
        for p, r, role, at, kind, status, young in rows
    ]
    return [m for m, young in found if _current(m, young, found)]


def _current(m: Membership, young: int, found: list[tuple[Membership, int]]) -> bool:
    if m.status is ReviewStatus.SCHEDULED:
        return True
    return not any(other.at > m.at for other, same in found if same == young)
