"""Preparation progress as the planner, the composers and the coordinator read it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import PrepStatus, ReviewType, Role
from cetr_bot.storage.models import Participant, Review
from cetr_bot.storage.models_preparation import PrepProgress, ReviewPapers

HasQuestions = Callable[[Role, ReviewType], bool]


async def progress_for_review(
    session: AsyncSession,
    review_id: int,
    has_questions: HasQuestions,
    *,
    participant_id: int | None = None,
) -> dict[int, str]:
    """participant id → not started | in progress | submitted, for everyone who has
    joined and has questions for their role (or just `participant_id`)."""
    query = (
        select(Participant.id, Participant.role, Review.type, PrepProgress)
        .join(Review, Review.id == Participant.review_id)
        .outerjoin(PrepProgress, PrepProgress.participant_id == Participant.id)
        .where(
            Participant.review_id == review_id,
            Participant.person_id.is_not(None),
            Participant.removed_at.is_(None),
        )
    )
    if participant_id is not None:
        query = query.where(Participant.id == participant_id)
    status: dict[int, str] = {}
    for pid, role, review_type, progress in await session.execute(query):
        if not has_questions(Role(role), ReviewType(review_type)):
            continue
        if progress is None or progress.started_at is None:
            status[pid] = PrepStatus.NOT_STARTED
        else:
            status[pid] = PrepStatus.SUBMITTED if progress.submitted_at else PrepStatus.IN_PROGRESS
    return status


async def papers_sent(session: AsyncSession, review_id: int) -> bool:
    """The panel pack went out: answers can no longer be changed."""
    sent = await session.scalar(
        select(ReviewPapers.sent_at).where(ReviewPapers.review_id == review_id)
    )
    return sent is not None
