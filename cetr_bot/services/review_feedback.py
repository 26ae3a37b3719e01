"""Feedback to the young person: the chair or the coordinator writes what the review
found under the four questions; the young person receives it in easy-read form,
can ask for it again, and can send a question back to the coordinator."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import ReviewStatus, Role
from cetr_bot.services import deputies, events, flows, plain_words, yp_questions
from cetr_bot.services.context import Actor, Services, audit
from cetr_bot.services.errors import Invalid, NotAllowed, NotFound
from cetr_bot.storage.models import Participant, Person, Review
from cetr_bot.storage.models_feedback import ReviewFeedback
from cetr_bot.text_safety import clean_text

QUESTIONS = ("kloe1", "kloe2", "kloe3", "kloe4")
WRITE, ASK = "ypfeedback", "ypquestion"
MAX_TEXT = 2000


@dataclass(frozen=True)
class Draft:
    review_id: int
    answers: dict[str, str]
    next: str | None  # the question to write next; None: ready to send
    sent: bool
    # The words just typed for `next` read as hard for a young person: they wait (in
    # the flow) for the writer to send them anyway or write them again.
    hard: plain_words.HardToRead | None = None


async def _may_write(svc: Services, session: AsyncSession, actor: Actor, review_id: int) -> None:
    """This review's coordinators, or its chair. Another team's review (or none at all):
    a coordinator hears there is no such review."""
    if await svc.coordinates_review(session, actor, review_id):
        return
    chair = await session.scalar(
        select(Participant.id)
        .join(Person, Person.id == Participant.person_id)
        .where(
            Participant.review_id == review_id,
            Participant.role == Role.PANEL_CHAIR,
            deputies.TRUSTED,  # a deputy chair only once approved
            Participant.removed_at.is_(None),
            Person.telegram_user_id == actor.telegram_user_id,
        )
    )
    if chair is None:
        scope = await svc.team_scope(session, actor)
        if scope is None or scope.any:
            raise NotFound("review_not_found", review_id=review_id)
        raise NotAllowed("feedback_writers_only")


def _draft(review_id: int, row: ReviewFeedback | None) -> Draft:
    answers = dict(row.answers) if row else {}
    nxt = next((q for q in QUESTIONS if q not in answers), None)
    return Draft(review_id, answers, nxt, bool(row and row.sent_at))


async def start(svc: Services, actor: Actor, *, review_id: int) -> Draft:
    async with svc.db.transaction() as session:
        await _may_write(svc, session, actor, review_id)
        review = await session.get(Review, review_id)
        if review is None:
            raise NotFound("review_not_found", review_id=review_id)
        if review.status != ReviewStatus.HELD:
            raise Invalid("review_not_held")
        row = await session.get(ReviewFeedback, review_id)
        if row is not None and row.sent_at is None:
            row.answers = {}  # writing again from the start
    await flows.save(svc, actor, WRITE, {"review_id": review_id})
    async with svc.db.transaction() as session:
        return _draft(review_id, await session.get(ReviewFeedback, review_id))


async def write(svc: Services, actor: Actor, text: str) -> Draft:
    """The words for the next part. Words that read as hard for a young person are held
    back (see plain_words) until the writer chooses; new words replace held ones."""
    row_data = await flows.current(svc, actor)
    if row_data is None or row_data.kind != WRITE:
        raise Invalid("nothing_pending")
    review_id = int(row_data.data["review_id"])
    text = clean_text(text).strip()
    if len(text) > MAX_TEXT:
        raise Invalid("text_too_long", limit=MAX_TEXT)
    if not text:
        raise Invalid("update_empty")
    hard = plain_words.check(text)
    if hard is None:
        draft = await _save_part(svc, actor, review_id, text)
        if "held" in row_data.data:  # these words replace the held ones
            await flows.save(svc, actor, WRITE, {"review_id": review_id})
        return draft
    async with svc.db.transaction() as session:
        await _may_write(svc, session, actor, review_id)
        draft = _draft(review_id, await session.get(ReviewFeedback, review_id))
        if draft.next is None:
            raise Invalid("use_buttons")
        audit(session, "yp_feedback_hard_to_read", actor=actor, review_id=review_id)
    await flows.save(svc, actor, WRITE, {"review_id": review_id, "held": text})
    return replace(draft, hard=hard)


async def _save_part(svc: Services, actor: Actor, review_id: int, text: str) -> Draft:
    async with svc.db.transaction() as session:
        await _may_write(svc, session, actor, review_id)
        row = await session.get(ReviewFeedback, review_id)
        if row is None:
            row = ReviewFeedback(review_id=review_id, answers={})
            session.add(row)
        draft = _draft(review_id, row)
        if draft.next is None:
            raise Invalid("use_buttons")
        row.answers = {**draft.answers, draft.next: text}
        row.written_by = actor.telegram_user_id
        audit(session, "yp_feedback_written", actor=actor, review_id=review_id, part=draft.next)
        return _draft(review_id, row)


async def _held(svc: Services, actor: Actor) -> tuple[int, str]:
    pending = await flows.current(svc, actor)
    if pending is None or pending.kind != WRITE or "held" not in pending.data:
        raise Invalid("stale_button")
    return int(pending.data["review_id"]), str(pending.data["held"])


async def send_held_anyway(svc: Services, actor: Actor) -> Draft:
    """The writer keeps the words the check found hard: they become the part."""
    review_id, text = await _held(svc, actor)
    draft = await _save_part(svc, actor, review_id, text)
    await flows.save(svc, actor, WRITE, {"review_id": review_id})
    return draft


async def simplify_held(svc: Services, actor: Actor) -> Draft:
    """The writer will write the part again: the held words go."""
    review_id, _ = await _held(svc, actor)
    await flows.save(svc, actor, WRITE, {"review_id": review_id})
    async with svc.db.transaction() as session:
        await _may_write(svc, session, actor, review_id)
        return _draft(review_id, await session.get(ReviewFeedback, review_id))


async def send(svc: Services, actor: Actor, *, review_id: int) -> Draft:
    async with svc.db.transaction() as session:
        await _may_write(svc, session, actor, review_id)
        row = await session.get(ReviewFeedback, review_id)
        draft = _draft(review_id, row)
        if row is None or draft.next is not None:
            raise Invalid("feedback_not_ready")
        row.sent_at = svc.now()
        audit(session, "yp_feedback_sent", actor=actor, review_id=review_id)
        await events.feedback_sent(svc, session, review_id)
        draft = _draft(review_id, row)
    await flows.clear(svc, actor)
    return draft


async def young_persons(session: AsyncSession, actor: Actor) -> tuple[Participant, Review] | None:
    row = (
        await session.execute(
            select(Participant, Review)
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
    ).first()
    return (row[0], row[1]) if row else None


@dataclass(frozen=True)
class SentFeedback:
    review_id: int
    answers: dict[str, str]


async def sent_to_young_person(svc: Services, actor: Actor) -> SentFeedback | None:
    """Their latest feedback and its review, once sent; None if there is none yet."""
    async with svc.db.transaction() as session:
        mine = await young_persons(session, actor)
        if mine is None:
            return None
        row = await session.get(ReviewFeedback, mine[1].id)
        if row is None or row.sent_at is None:
            return None
        audit(
            session,
            "yp_feedback_read",
            actor=actor,
            review_id=mine[1].id,
            person_id=mine[0].person_id,
            role="young_person",
        )
        return SentFeedback(mine[1].id, dict(row.answers))


async def for_young_person(svc: Services, actor: Actor) -> dict[str, str] | None:
    """Their latest feedback, once sent; None if there is none yet."""
    found = await sent_to_young_person(svc, actor)
    return found.answers if found else None


async def feedback_text(session: AsyncSession, review_id: int) -> dict[str, str] | None:
    row = await session.get(ReviewFeedback, review_id)
    return dict(row.answers) if row and row.sent_at else None


async def start_question(svc: Services, actor: Actor) -> None:
    async with svc.db.transaction() as session:
        mine = await young_persons(session, actor)
    if mine is None:
        raise NotAllowed("feedback_not_yours")
    await flows.save(svc, actor, ASK, {"review_id": mine[1].id})


async def ask(svc: Services, actor: Actor, text: str) -> None:
    """The young person's question goes to the coordinators (a row, then reminder rows)."""
    pending = await flows.current(svc, actor)
    if pending is None or pending.kind != ASK:
        raise Invalid("nothing_pending")
    review_id = int(pending.data["review_id"])
    async with svc.db.transaction() as session:
        await yp_questions.record_question(svc, session, actor, review_id, text)
    await flows.clear(svc, actor)
