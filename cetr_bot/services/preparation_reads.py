"""Preparation as the coordinator and the panel read it: progress, and the answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import Role
from cetr_bot.services import consent
from cetr_bot.services.context import Actor, Services, audit, staff_role
from cetr_bot.services.prep_screens import AnswerLine, line
from cetr_bot.services.question_bank import has_questions
from cetr_bot.services.walk import batch_for, build, walk_query
from cetr_bot.storage.models import Participant
from cetr_bot.storage.models_preparation import PrepProgress
from cetr_bot.storage.queries import preparation as queries


async def progress_for_review(
    svc: Services, session: AsyncSession, review_id: int
) -> dict[int, str]:
    """participant id → not started | in progress | submitted, for everyone who has
    joined and has questions for their role."""
    return await queries.progress_for_review(session, review_id, has_questions)


@dataclass(frozen=True)
class ParticipantAnswers:
    participant_id: int
    role: Role
    submitted_at: datetime | None
    changed_after_submit: bool
    lines: list[AnswerLine]
    deputy: bool = False  # standing in for someone: their own answers, never the other's


@dataclass(frozen=True)
class PanelAnswers:
    review_id: int
    consent: consent.ConsentState
    participants: list[ParticipantAnswers]
    young_person_withheld: bool  # their answers exist but may not be shown


async def answers_for_panel(svc: Services, session: AsyncSession, review_id: int) -> PanelAnswers:
    """What the panel pack may contain: submitted answers, and the young person's only
    with their consent or a best-interests decision. The gate lives here, once."""
    state = await consent.consent_state(session, review_id)
    everyone = await _answers(svc, session, review_id, submitted_only=True)
    # A deputy who joined as the young person (an old link) does not speak for them.
    shown = [
        p
        for p in everyone
        if p.role is not Role.YOUNG_PERSON or (state.share_allowed and not p.deputy)
    ]
    return PanelAnswers(review_id, state, shown, len(shown) < len(everyone))


async def answers_for_coordinator(
    svc: Services, actor: Actor, review_id: int
) -> list[ParticipantAnswers]:
    """Everything, for a coordinator only (they may see the young person's answers
    whatever the consent)."""
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        await svc.require_review(session, actor, review_id)
        audit(session, "answers_read", actor=actor, review_id=review_id, role=staff_role(actor))
        return await _answers(svc, session, review_id, submitted_only=False)


async def _answers(
    svc: Services, session: AsyncSession, review_id: int, *, submitted_only: bool
) -> list[ParticipantAnswers]:
    query = walk_query().where(
        Participant.review_id == review_id, PrepProgress.started_at.is_not(None)
    )
    if submitted_only:
        query = query.where(PrepProgress.submitted_at.is_not(None))
    rows = (await session.execute(query.order_by(Participant.id))).all()
    batch = await batch_for(session, [row[0].id for row in rows])
    result = []
    for row in rows:
        walk = await build(svc, session, row, batch)
        if walk is None:
            continue
        progress = walk.progress
        result.append(
            ParticipantAnswers(
                walk.participant.id,
                walk.role,
                progress.submitted_at,
                progress.changed_after_submit_at is not None,
                [line(walk, q, n) for n, q in enumerate(walk.questions, 1)],
                deputy=walk.participant.deputy_for_id is not None,
            )
        )
    return result


async def answers_of(
    svc: Services, session: AsyncSession, review_id: int, participant_ids: set[int]
) -> list[ParticipantAnswers]:
    """Only these participants' answers (a person reading their own back)."""
    everyone = await _answers(svc, session, review_id, submitted_only=False)
    return [p for p in everyone if p.participant_id in participant_ids]
