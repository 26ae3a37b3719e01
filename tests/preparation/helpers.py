"""Helpers for the preparation tests: join a review as a role, walk a bank through the bot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from cetr_bot.domain import ReviewType, Role
from cetr_bot.sandbox import SandboxClient, SandboxUser, SentMessage
from cetr_bot.services.context import Services
from cetr_bot.services.question_bank import Question, library
from cetr_bot.storage.models_preparation import PrepAnswer, PrepProgress
from tests.helpers import add_review, invite, join

START = "▶️ Start now"
SKIP = "⏭️ Skip"
NOT_SURE = "🤷 Not sure"
STOP = "✋ Stop for now"
SEND = "📨 Send to the panel"
YES, NO = "✅ Yes", "🚫 No"
ADMITTED = {
    ReviewType.INPATIENT: date(2026, 9, 1),
    ReviewType.POST_ADMISSION: date(2026, 11, 16),
    ReviewType.COMMUNITY: None,
}


@dataclass
class Joined:
    review_id: int
    participant_id: int
    user: SandboxUser
    greeting: list[SentMessage]


async def new_review(svc: Services, review_type: ReviewType = ReviewType.INPATIENT, **kw) -> int:
    return await add_review(svc, review_type=review_type, admitted_on=ADMITTED[review_type], **kw)


async def join_as(
    svc: Services,
    client: SandboxClient,
    role: Role,
    user_id: int,
    *,
    review_id: int | None = None,
    review_type: ReviewType = ReviewType.INPATIENT,
    first_name: str = "Test",
) -> Joined:
    if review_id is None:
        review_id = await new_review(svc, review_type)
    created = await invite(svc, review_id, role)
    user = client.user(user_id, first_name=first_name)
    greeting = await join(user, created.token)
    if library().bank_for(role, review_type) is not None:
        # The offer to start comes last; on a busy machine it can follow a pause.
        while not any(START in m.button_labels for m in greeting):
            greeting += await user.wait_for(1, timeout=10)
    return Joined(review_id, created.participant_id, user, greeting)


def questions(role: Role, review_type: ReviewType = ReviewType.INPATIENT) -> tuple[Question, ...]:
    """The questions a participant is asked (the test young person is 14 on the review day)."""
    bank = library().bank_for(role, review_type)
    assert bank is not None
    return bank.for_age(14)


def first_line(question: Question) -> str:
    """A line of the question's text to look for in what the bot sent."""
    lines = [line for line in question.text.splitlines() if line.strip()]
    text = lines[1] if len(lines) > 1 and len(lines[0]) <= 8 else lines[0]
    return text.replace("<b>", "").replace("</b>", "").strip()


def safe_choice(question: Question) -> str:
    """The label of the first option that does not raise a safeguarding alert."""
    return next(o.label for o in question.options if o.value not in question.alert_on)


async def consent_yes(user: SandboxUser) -> list[SentMessage]:
    """The young person's two consent questions: share yes, family yes."""
    await user.tap(YES)
    return await user.tap(YES)


async def answer(user: SandboxUser, question: Question) -> list[SentMessage]:
    """Answer one question the way its kind expects; return the bot's reply."""
    if question.kind in ("buttons", "yes_no", "scale"):
        return await user.tap(safe_choice(question))
    if question.kind == "date":
        return await user.ask("31/01/2027")
    if question.kind == "voice":
        await user.send_media("voice")
        return await user.wait_for()
    return await user.ask(f"My answer to {question.id}")


async def skip_all(user: SandboxUser, count: int) -> list[SentMessage]:
    replies: list[SentMessage] = []
    for _ in range(count):
        replies = await user.tap(SKIP)
    return replies


async def stored_answers(svc: Services, participant_id: int) -> dict[str, PrepAnswer]:
    async with svc.db.transaction() as session:
        rows = await session.scalars(
            select(PrepAnswer).where(PrepAnswer.participant_id == participant_id)
        )
        return {a.question_id: a for a in rows}


async def progress(svc: Services, participant_id: int) -> PrepProgress | None:
    async with svc.db.transaction() as session:
        return await session.scalar(
            select(PrepProgress).where(PrepProgress.participant_id == participant_id)
        )
