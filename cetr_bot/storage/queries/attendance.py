"""Attendance answers as the planner and the composers read them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import Answer, ReviewType, Role
from cetr_bot.rules import required_roles
from cetr_bot.storage.models import Participant, Review
from cetr_bot.storage.models_reminders import Attendance

CONFIRMED = frozenset({Answer.IN_PERSON, Answer.VIDEO})


class AttendanceMap(dict[int, str]):
    """participant id → status, plus what the coordinator's view needs besides."""

    def __init__(self) -> None:
        super().__init__()
        self.alternatives: dict[int, str] = {}
        self.required_unconfirmed: list[Role] = []


async def answers_for_review(session: AsyncSession, review_id: int) -> dict[int, str]:
    """Just participant id → status (no roll-up): cheap enough for every batch."""
    rows = await session.execute(
        select(Attendance.participant_id, Attendance.status).where(
            Attendance.review_id == review_id
        )
    )
    return {participant_id: status for participant_id, status in rows}


async def answer_of(session: AsyncSession, participant_id: int) -> str | None:
    """One participant's answer, or None."""
    return await session.scalar(
        select(Attendance.status).where(Attendance.participant_id == participant_id)
    )


def unconfirmed_required(
    review_type: ReviewType, participants: list[Participant], answers: dict[int, str]
) -> list[Role]:
    """Required roles with nobody who joined and said they will attend."""
    confirmed = {
        Role(p.role)
        for p in participants
        if p.person_id is not None and answers.get(p.id) in CONFIRMED
    }
    return [role for role in required_roles(review_type) if role not in confirmed]


async def live_participants(session: AsyncSession, review_id: int) -> list[Participant]:
    rows = await session.scalars(
        select(Participant).where(
            Participant.review_id == review_id, Participant.removed_at.is_(None)
        )
    )
    return list(rows)


async def attendance_for_review(session: AsyncSession, review_id: int) -> AttendanceMap:
    """participant id → 'in_person' | 'video' | 'cannot' for one review."""
    rows = (
        await session.scalars(select(Attendance).where(Attendance.review_id == review_id))
    ).all()
    result = AttendanceMap()
    for row in rows:
        result[row.participant_id] = row.status
        if row.alternative:
            result.alternatives[row.participant_id] = row.alternative
    review = await session.get(Review, review_id)
    if review is not None:
        live = await live_participants(session, review_id)
        result.required_unconfirmed = unconfirmed_required(ReviewType(review.type), live, result)
    return result
