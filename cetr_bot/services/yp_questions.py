"""The young person's questions about their feedback, and the coordinators' answers.

A question (typed after "❓ Ask a question") is a `feedback_questions` row; each of the
review's coordinators gets a copy with a Reply button (a YP_QUESTION reminder row, sent
once). The coordinator who presses it types the answer, which is a row too and reaches
the young person (a YP_ANSWER row, composed at sending time: with a web companion a
discreet message and a link, otherwise the words, protected). Both sides can read the
whole thread again: the young person with /questions (and on the feedback page), the
coordinator in /review N, /questions N and on the web pages.

Before an answer is stored its words are checked for reading ease (services/plain_words):
words that read as hard are held back until the coordinator sends them anyway or writes
them again, as for the young person's feedback.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import ReminderKind
from cetr_bot.services import deputies, events, flows, plain_words
from cetr_bot.services.context import Actor, Services, audit, staff_role
from cetr_bot.services.errors import Invalid, NotAllowed, NotFound
from cetr_bot.storage.models import Participant, Person, Review
from cetr_bot.storage.models_needs import FeedbackQuestion
from cetr_bot.storage.models_reminders import Reminder
from cetr_bot.text_safety import clean_text

REPLY = "ypreply"  # the flow: a coordinator typing an answer
MAX_TEXT = 2000
FROM_YOUNG_PERSON, FROM_COORDINATOR = "young_person", "coordinator"


@dataclass(frozen=True)
class Message:
    id: int
    from_young_person: bool
    text: str
    at: datetime
    reply_to_id: int | None


@dataclass(frozen=True)
class Item:
    """A question and the answers to it, oldest first."""

    question: Message
    answers: list[Message]

    @property
    def answered(self) -> bool:
        return bool(self.answers)


@dataclass(frozen=True)
class Thread:
    review_id: int
    items: list[Item]

    @property
    def waiting(self) -> int:
        """Questions nobody has answered yet."""
        return sum(1 for item in self.items if not item.answered)


@dataclass(frozen=True)
class ReplyStarted:
    question_id: int
    review_id: int
    question: str


def _cleaned(text: str) -> str:
    text = clean_text(text).strip()
    if len(text) > MAX_TEXT:
        raise Invalid("text_too_long", limit=MAX_TEXT)
    if not text:
        raise Invalid("update_empty")
    return text


async def record_question(
    svc: Services, session: AsyncSession, actor: Actor, review_id: int, text: str
) -> FeedbackQuestion:
    """The young person's question, stored and on its way to the coordinators."""
    text = _cleaned(text)
    place = await _young_persons_place_of(session, actor, review_id)
    if place is None:
        raise NotAllowed("feedback_not_yours")
    row = FeedbackQuestion(
        review_id=review_id,
        participant_id=place.id,
        from_role=FROM_YOUNG_PERSON,
        written_by=actor.telegram_user_id,
        body=text,
        at=svc.now(),
    )
    session.add(row)
    await session.flush()
    audit(session, "yp_question", actor=actor, review_id=review_id, question_id=row.id)
    await events.question_asked(svc, session, review_id, row.id)
    return row


async def _question(
    svc: Services, session: AsyncSession, actor: Actor, question_id: int
) -> FeedbackQuestion:
    """A question of one of the actor's teams' reviews (else: no such question)."""
    row = await session.get(FeedbackQuestion, question_id)
    if row is None or row.reply_to_id is not None:
        raise NotFound("question_not_found")
    if not await svc.coordinates_review(session, actor, row.review_id):
        raise NotFound("question_not_found")
    return row


async def start_reply(svc: Services, actor: Actor, question_id: int) -> ReplyStarted:
    """The coordinator pressed Reply: the next thing they type is the answer."""
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        row = await _question(svc, session, actor, question_id)
        if not row.body:
            raise Invalid("question_removed")
        started = ReplyStarted(row.id, row.review_id, row.body)
    await flows.save(svc, actor, REPLY, {"question_id": question_id})
    return started


@dataclass(frozen=True)
class Answered:
    question_id: int
    review_id: int
    reachable: bool  # False: the young person can't be reached in the bot now


async def reply(svc: Services, actor: Actor, text: str) -> Answered | plain_words.HardToRead:
    """The answer typed after Reply: checked, stored, and sent to the young person; or,
    if it reads as hard for a young person, held back and what is hard returned (new
    words typed now replace held ones)."""
    pending = await flows.current(svc, actor)
    if pending is None or pending.kind != REPLY:
        raise Invalid("nothing_pending")
    text = _cleaned(text)
    question_id = int(pending.data["question_id"])
    hard = plain_words.check(text)
    if hard is not None:
        async with svc.db.transaction() as session:
            question = await _question(svc, session, actor, question_id)
            audit(
                session,
                "yp_answer_hard_to_read",
                actor=actor,
                review_id=question.review_id,
                question_id=question.id,
            )
        await flows.save(svc, actor, REPLY, {"question_id": question_id, "held": text})
        return hard
    return await _answer(svc, actor, question_id, text)


async def _held(svc: Services, actor: Actor) -> tuple[int, str]:
    pending = await flows.current(svc, actor)
    if pending is None or pending.kind != REPLY or "held" not in pending.data:
        raise Invalid("stale_button")
    return int(pending.data["question_id"]), str(pending.data["held"])


async def send_held_anyway(svc: Services, actor: Actor) -> Answered:
    """The coordinator keeps the words the check found hard: they are the answer."""
    question_id, text = await _held(svc, actor)
    return await _answer(svc, actor, question_id, text)


async def simplify_held(svc: Services, actor: Actor) -> None:
    """The coordinator will write the answer again: the held words go."""
    question_id, _ = await _held(svc, actor)
    await flows.save(svc, actor, REPLY, {"question_id": question_id})


async def _answer(svc: Services, actor: Actor, question_id: int, text: str) -> Answered:
    async with svc.db.transaction() as session:
        question = await _question(svc, session, actor, question_id)
        answer = FeedbackQuestion(
            review_id=question.review_id,
            participant_id=question.participant_id,
            reply_to_id=question.id,
            from_role=FROM_COORDINATOR,
            written_by=actor.telegram_user_id,
            body=text,
            at=svc.now(),
        )
        session.add(answer)
        await session.flush()
        audit(
            session,
            "yp_question_answered",
            actor=actor,
            review_id=question.review_id,
            role=staff_role(actor),
            question_id=question.id,
            answer_id=answer.id,
        )
        reachable = await _send_answer(svc, session, answer)
        done = Answered(question.id, question.review_id, reachable)
    await flows.clear(svc, actor)
    return done


async def _send_answer(svc: Services, session: AsyncSession, answer: FeedbackQuestion) -> bool:
    place = await session.get(Participant, answer.participant_id)
    person = await session.get(Person, place.person_id) if place and place.person_id else None
    if place is None or place.removed_at is not None or person is None:
        return False
    if person.unreachable_since is not None or person.telegram_user_id <= 0:
        return False
    now = svc.now()
    session.add(
        Reminder.due_now(
            now,
            key=f"{ReminderKind.YP_ANSWER}:r{answer.review_id}:a{answer.id}",
            kind=ReminderKind.YP_ANSWER,
            review_id=answer.review_id,
            participant_id=place.id,
            person_id=person.id,
            chat_id=person.chat_id,
            payload={"answer_id": answer.id},
        )
    )
    return True


# --- reading the thread --------------------------------------------------------------


async def thread_of(session: AsyncSession, review_id: int) -> Thread:
    rows = list(
        await session.scalars(
            select(FeedbackQuestion)
            .where(FeedbackQuestion.review_id == review_id)
            .order_by(FeedbackQuestion.at, FeedbackQuestion.id)
        )
    )
    items: dict[int, Item] = {}
    for row in rows:
        message = Message(
            row.id, row.from_role == FROM_YOUNG_PERSON, row.body, row.at, row.reply_to_id
        )
        if row.reply_to_id is None:
            items[row.id] = Item(message, [])
        elif row.reply_to_id in items:
            items[row.reply_to_id].answers.append(message)
    return Thread(review_id, list(items.values()))


async def for_coordinator(svc: Services, actor: Actor, review_id: int) -> Thread:
    """The review's thread, for its coordinators (another team's: no such review)."""
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        await svc.require_review(session, actor, review_id)
        audit(session, "yp_questions_read", actor=actor, review_id=review_id,
              role=staff_role(actor))  # fmt: skip
        return await thread_of(session, review_id)


async def mine(svc: Services, actor: Actor) -> Thread | None:
    """The young person's own thread (their latest held review); None if not theirs."""
    async with svc.db.transaction() as session:
        review_id = await session.scalar(
            select(Review.id)
            .join(Participant, Participant.review_id == Review.id)
            .join(Person, Person.id == Participant.person_id)
            .join(FeedbackQuestion, FeedbackQuestion.review_id == Review.id)
            .where(
                Person.telegram_user_id == actor.telegram_user_id,
                deputies.THE_YOUNG_PERSON,
                Participant.removed_at.is_(None),
            )
            .order_by(Review.scheduled_at.desc())
            .limit(1)
        )
        if review_id is None:
            return None
        audit(session, "yp_questions_read", actor=actor, review_id=review_id, role="young_person")
        return await thread_of(session, review_id)


async def message_for_sending(session: AsyncSession, message_id: int) -> Message | None:
    row = await session.get(FeedbackQuestion, message_id)
    if row is None or not row.body:
        return None
    return Message(row.id, row.from_role == FROM_YOUNG_PERSON, row.body, row.at, row.reply_to_id)


async def may_read_thread(
    svc: Services, session: AsyncSession, actor: Actor, review_id: int
) -> bool:
    """The young person of the review (not a deputy) or one of its coordinators."""
    if await svc.coordinates_review(session, actor, review_id):
        return True
    return (await _young_persons_place_of(session, actor, review_id)) is not None


async def _young_persons_place_of(
    session: AsyncSession, actor: Actor, review_id: int
) -> Participant | None:
    return await session.scalar(
        select(Participant)
        .join(Person, Person.id == Participant.person_id)
        .where(
            Participant.review_id == review_id,
            deputies.THE_YOUNG_PERSON,
            Participant.removed_at.is_(None),
            Person.telegram_user_id == actor.telegram_user_id,
        )
    )
