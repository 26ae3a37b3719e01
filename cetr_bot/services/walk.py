"""One participant's walk-through, loaded from what is stored, and where they are in it.

Where someone is in their questions is worked out from their stored answers on
every message (`next_step`), never kept in memory: after a restart, or on a
second bot process, the next message carries on at the right question.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, TypeVar

from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import ReviewStatus, Role
from cetr_bot.services import actions, consent, deputies
from cetr_bot.services.context import Actor, Services
from cetr_bot.services.errors import Invalid, NotAllowed
from cetr_bot.services.question_bank import (
    LAST_REVIEW_ACTIONS,
    Bank,
    LastAction,
    Question,
    expand_last_actions,
    library,
)
from cetr_bot.storage.models import Participant, Person, Review, YoungPerson
from cetr_bot.storage.models_preparation import PrepAnswer, PrepProgress, ReviewPapers

T = TypeVar("T")
StepKind = Literal["consent", "question", "summary"]


@dataclass(frozen=True)
class Step:
    """Where a participant is: a consent question, a bank question, or the summary."""

    kind: StepKind
    question: Question | None = None
    subject: str | None = None


def next_step(
    questions: tuple[Question, ...],
    answered: set[str],
    *,
    editing: str | None,
    undecided_consent: list[str],
    submitted: bool,
) -> Step:
    """The one rule for where someone is, from what is stored."""
    if undecided_consent:
        return Step("consent", subject=undecided_consent[0])
    if editing is not None:
        question = next((q for q in questions if q.id == editing), None)
        if question is not None:
            return Step("question", question)
    if not submitted:
        for question in questions:
            if question.id not in answered:
                return Step("question", question)
    return Step("summary")


@dataclass
class Walk:
    participant: Participant
    review: Review
    progress: PrepProgress
    bank: Bank
    questions: tuple[Question, ...]
    answers: dict[str, PrepAnswer]
    consent: consent.ConsentState | None  # only for the young person
    papers_sent: bool

    @property
    def role(self) -> Role:
        return Role(self.participant.role)

    def step(self) -> Step:
        return next_step(
            self.questions,
            set(self.answers),
            editing=self.progress.editing_question_id,
            undecided_consent=self.consent.undecided() if self.consent else [],
            submitted=self.progress.submitted_at is not None,
        )


async def run(svc: Services, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """One transaction; a second try if a concurrent press created the same row first
    (the retry then sees that row, so the user is shown where things now stand)."""
    try:
        async with svc.db.transaction() as session:
            return await work(session)
    except IntegrityError:
        async with svc.db.transaction() as session:
            return await work(session)


# A participant, their review, the young person's date of birth, their progress (if any)
# and when the papers went out (if they have).
WalkRow = Row[Participant, Review, date | None, PrepProgress, datetime | None]
WalkSelect = Select[Participant, Review, date | None, PrepProgress, datetime | None]


def walk_query() -> WalkSelect:
    """Everything a walk-through needs but its answers, in one round trip."""
    return (
        select(Participant, Review, YoungPerson.date_of_birth, PrepProgress, ReviewPapers.sent_at)
        .join(Review, Review.id == Participant.review_id)
        .join(YoungPerson, YoungPerson.id == Review.young_person_id)
        .outerjoin(PrepProgress, PrepProgress.participant_id == Participant.id)
        .outerjoin(ReviewPapers, ReviewPapers.review_id == Review.id)
        .where(Participant.removed_at.is_(None))
    )


# Built once: these run on every answer, and building a statement costs more than running it.
_MINE = walk_query().join(Person, Person.id == Participant.person_id)
_OWN = _MINE.where(
    Person.telegram_user_id == bindparam("user_id"), Participant.id == bindparam("participant_id")
)
_ACTIVE = _MINE.where(
    Person.telegram_user_id == bindparam("user_id"),
    PrepProgress.active.is_(True),
    Review.status == ReviewStatus.SCHEDULED,
).limit(1)
_ANSWERS = select(PrepAnswer).where(PrepAnswer.participant_id == bindparam("participant_id"))


async def load(
    svc: Services, session: AsyncSession, actor: Actor, participant_id: int, *, held: bool = False
) -> Walk:
    """The caller's own participant's walk-through, for a review still going ahead
    (or, with `held`, one already held: consent stays the young person's to change)."""
    params = {"user_id": actor.telegram_user_id, "participant_id": participant_id}
    row = (await session.execute(_OWN, params)).first()
    if row is None:
        raise NotAllowed("not_allowed")
    return await _open(svc, session, row, held=held)


async def load_active(svc: Services, session: AsyncSession, actor: Actor) -> Walk | None:
    """The walk-through the caller's typed messages answer, if one is open."""
    row = (await session.execute(_ACTIVE, {"user_id": actor.telegram_user_id})).first()
    return await _open(svc, session, row) if row is not None else None


async def _open(svc: Services, session: AsyncSession, row: WalkRow, *, held: bool = False) -> Walk:
    review = row[1]
    if review.status != ReviewStatus.SCHEDULED and not (
        held and review.status == ReviewStatus.HELD
    ):
        raise Invalid("prep_closed")
    walk = await build(svc, session, row)
    if walk is None:
        raise Invalid("prep_no_questions")
    return walk


@dataclass
class Batch:
    """What the walks of one review's participants share, read once for all of them
    (the pack, the coordinator's view) instead of once per participant."""

    answers: dict[int, list[PrepAnswer]]
    last_actions: list[LastAction] | None = None
    consent: consent.ConsentState | None = None


async def batch_for(session: AsyncSession, participant_ids: list[int]) -> Batch:
    rows = await session.scalars(
        select(PrepAnswer).where(PrepAnswer.participant_id.in_(participant_ids))
    )
    answers: dict[int, list[PrepAnswer]] = {pid: [] for pid in participant_ids}
    for answer in rows:
        answers[answer.participant_id].append(answer)
    return Batch(answers)


async def build(
    svc: Services, session: AsyncSession, row: WalkRow, batch: Batch | None = None
) -> Walk | None:
    participant, review, born, progress, sent_at = row
    bank = library().bank_for(participant.role, review.type)
    if bank is None:
        return None
    if progress is None:
        # Written with the rest at commit; a concurrent twin fails there and run retries.
        progress = PrepProgress(participant_id=participant.id, active=False)
        session.add(progress)
    if batch is None:
        answers = list(await session.scalars(_ANSWERS, {"participant_id": participant.id}))
    else:
        answers = batch.answers.get(participant.id, [])
    is_young = deputies.is_the_young_person(participant)  # consent is theirs alone
    return Walk(
        participant=participant,
        review=review,
        progress=progress,
        bank=bank,
        questions=await _questions(svc, session, review, bank, born, batch),
        answers={a.question_id: a for a in answers},
        consent=await _consent(session, review.id, batch) if is_young else None,
        papers_sent=sent_at is not None,
    )


async def _consent(
    session: AsyncSession, review_id: int, batch: Batch | None
) -> consent.ConsentState:
    if batch is None:
        return await consent.consent_state(session, review_id)
    if batch.consent is None:
        batch.consent = await consent.consent_state(session, review_id)
    return batch.consent


async def _questions(
    svc: Services,
    session: AsyncSession,
    review: Review,
    bank: Bank,
    born: date | None,
    batch: Batch | None = None,
) -> tuple[Question, ...]:
    on = review.scheduled_at.astimezone(svc.settings.zone).date()
    questions: list[Question] = []
    for question in bank.for_age(_age(born, on)):
        if question.hook == LAST_REVIEW_ACTIONS:
            questions += expand_last_actions(question, await _last_actions(session, review, batch))
        else:
            questions.append(question)
    return tuple(questions)


async def _last_actions(
    session: AsyncSession, review: Review, batch: Batch | None
) -> list[LastAction]:
    if batch is None:
        return await last_review_actions(session, review)
    if batch.last_actions is None:
        batch.last_actions = await last_review_actions(session, review)
    return batch.last_actions


async def last_review_actions(session: AsyncSession, review: Review) -> list[LastAction]:
    """HOOK: the actions agreed at this young person's previous review.

    Each becomes its own question with its own stored answer
    (question_bank.expand_last_actions); with none, the generic question is asked.
    """
    return [LastAction(a.id, a.what) for a in await actions.last_review_actions(session, review)]


def _age(born: date | None, on: date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
