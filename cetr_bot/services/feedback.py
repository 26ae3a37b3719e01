"""The young person's feedback after their review (easy-read, a few questions).

The next question is derived from the stored answers, so a restart carries on
where they were. Only the young person of that review answers; only the
coordinator reads the answers.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from functools import cache

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import ReviewStatus
from cetr_bot.services import deputies
from cetr_bot.services.context import Actor, Services, audit, staff_role
from cetr_bot.services.errors import Invalid, NotAllowed
from cetr_bot.storage.models import Participant, Person, Review
from cetr_bot.storage.models_feedback import FeedbackAnswer
from cetr_bot.text import DEFAULT_LANGUAGE, MESSAGES
from cetr_bot.text_safety import clean_text

MAX_TEXT = 3000
SKIP = "skip"


@dataclass(frozen=True)
class FeedbackQuestion:
    id: str
    kind: str
    text: str
    options: tuple[tuple[str, str], ...]  # (value, label)


@dataclass(frozen=True)
class FeedbackStep:
    participant_id: int
    review_id: int
    question: FeedbackQuestion | None  # None: all answered
    number: int
    total: int


@cache
@cache
def questions(language: str = DEFAULT_LANGUAGE) -> tuple[FeedbackQuestion, ...]:
    """The feedback questions; in another language, the same ids and values translated."""
    path = MESSAGES / "feedback" / "questions.toml"
    local = MESSAGES / "locales" / language / "feedback" / "questions.toml"
    if language != DEFAULT_LANGUAGE and local.exists():
        path = local
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    return tuple(
        FeedbackQuestion(
            q["id"],
            q["kind"],
            q["text"],
            tuple((str(o["value"]), str(o["label"])) for o in q.get("options", [])),
        )
        for q in data["questions"]
    )


def in_language(step: FeedbackStep, language: str) -> FeedbackStep:
    """The step with its question's words in `language` (ids and values unchanged)."""
    if step.question is None or language == DEFAULT_LANGUAGE:
        return step
    found = next((q for q in questions(language) if q.id == step.question.id), None)
    return replace(step, question=found) if found is not None else step


async def has_answered(session: AsyncSession, participant_id: int) -> bool:
    done = await session.scalars(
        select(FeedbackAnswer.question_id).where(FeedbackAnswer.participant_id == participant_id)
    )
    return set(done) >= {q.id for q in questions()}


async def has_answered_id(svc: Services, participant_id: int) -> bool:
    async with svc.db.transaction() as session:
        return await has_answered(session, participant_id)


async def _step(session: AsyncSession, participant: Participant) -> FeedbackStep:
    done = set(
        await session.scalars(
            select(FeedbackAnswer.question_id).where(
                FeedbackAnswer.participant_id == participant.id
            )
        )
    )
    asked = questions()
    for number, question in enumerate(asked, 1):
        if question.id not in done:
            return FeedbackStep(participant.id, participant.review_id, question, number, len(asked))
    return FeedbackStep(participant.id, participant.review_id, None, len(asked), len(asked))


async def _mine(session: AsyncSession, actor: Actor) -> Participant | None:
    """The caller's young-person place in their latest held review."""
    return await session.scalar(
        select(Participant)
        .join(Person, Person.id == Participant.person_id)
        .join(Review, Review.id == Participant.review_id)
        .where(
            Person.telegram_user_id == actor.telegram_user_id,
            deputies.THE_YOUNG_PERSON,
            Participant.removed_at.is_(None),
            Review.status == ReviewStatus.HELD,
        )
        .order_by(Review.scheduled_at.desc())
        .limit(1)
    )


async def current(svc: Services, actor: Actor) -> FeedbackStep | None:
    async with svc.db.transaction() as session:
        participant = await _mine(session, actor)
        return await _step(session, participant) if participant else None


async def step_for(session: AsyncSession, participant_id: int) -> FeedbackStep | None:
    participant = await session.get(Participant, participant_id)
    return await _step(session, participant) if participant else None


async def answer(
    svc: Services,
    actor: Actor,
    *,
    participant_id: int | None,
    question_id: str | None,
    value: str,
) -> FeedbackStep:
    """Save one answer (a button's value or typed text) to the current question.
    A button carries its participant and question: anything else is refused."""
    async with svc.db.transaction() as session:
        participant = await _mine(session, actor)
        if participant is None or (participant_id is not None and participant.id != participant_id):
            raise NotAllowed("feedback_not_yours")
        step = await _step(session, participant)
        if step.question is None:
            raise Invalid("feedback_done")
        if question_id is not None and question_id != step.question.id:
            raise Invalid("feedback_moved_on")
        value = _read(step.question, value, typed=question_id is None)
        session.add(
            FeedbackAnswer(participant_id=participant.id, question_id=step.question.id, value=value)
        )
        try:
            await session.flush()
        except IntegrityError:  # the same answer from a second process: already saved
            raise Invalid("feedback_moved_on") from None
        step = await _step(session, participant)
        if step.question is None:
            audit(session, "feedback_received", actor=actor, review_id=participant.review_id)
        return step


def _read(question: FeedbackQuestion, value: str, *, typed: bool) -> str:
    if typed and question.kind != "text":
        raise Invalid("use_buttons")
    if typed:
        value = clean_text(value).strip()
        if len(value) > MAX_TEXT:
            raise Invalid("text_too_long", limit=MAX_TEXT)
        if not value:
            raise Invalid("update_empty")
        return value
    if value not in {v for v, _ in question.options}:
        raise Invalid("feedback_moved_on")
    return value


@dataclass(frozen=True)
class FeedbackLine:
    question: str
    answer: str


async def for_coordinator(svc: Services, actor: Actor, *, review_id: int) -> list[FeedbackLine]:
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        await svc.require_review(session, actor, review_id)
        rows = await session.execute(
            select(FeedbackAnswer)
            .join(Participant, Participant.id == FeedbackAnswer.participant_id)
            .where(Participant.review_id == review_id)
        )
        by_id = {a.question_id: a.value for (a,) in rows}
        audit(session, "feedback_read", actor=actor, review_id=review_id, role=staff_role(actor))
    lines = []
    for q in questions():
        if q.id in by_id:
            label = dict(q.options).get(by_id[q.id], by_id[q.id])
            lines.append(FeedbackLine(q.text.replace("\n", " "), label))
    return lines
