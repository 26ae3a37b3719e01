"""The preparation walk-through: questions, answers, check and change, send to the panel.

Where someone is in their questions is worked out from their stored answers on
every message (`next_step`), never kept in memory: after a restart, or on a
second bot process, the next message carries on at the right question. Each
call below checks that the participant is the caller's own, works in one
transaction and returns a `Screen` for the Telegram layer to show.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Row, Select, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import ReviewStatus, ReviewType, Role
from cetr_bot.parsing import parse_date, parse_id
from cetr_bot.services import consent, deputies, safeguarding
from cetr_bot.services.context import Actor, Services, audit
from cetr_bot.services.errors import Invalid, NotAllowed, ServiceError
from cetr_bot.services.events import review_changed
from cetr_bot.services.question_bank import (
    CHOICE_KINDS,
    LAST_REVIEW_ACTIONS,
    Bank,
    LastAction,
    Question,
    expand_last_actions,
    has_questions,
    library,
    normalise,
)
from cetr_bot.services.safeguarding import Alert, FlagLine
from cetr_bot.storage.coordinators import coordinator_chats
from cetr_bot.storage.models import Participant, Person, Review, YoungPerson
from cetr_bot.storage.models_preparation import PrepAnswer, PrepProgress, ReviewPapers
from cetr_bot.storage.queries import preparation as queries
from cetr_bot.text_safety import clean_text

MAX_TEXT = 3000
SKIP, NOT_SURE = "skip", "not_sure"
# Typed words that mean the same as the Skip / Not sure buttons.
TYPED_SKIP = frozenset({"skip", "pass", "next"})
TYPED_NOT_SURE = frozenset({"not sure", "dont know", "do not know", "idk", "unsure"})
T = TypeVar("T")


# --- what the Telegram layer shows ------------------------------------------------------


@dataclass(frozen=True)
class AnswerLine:
    question: Question
    number: int
    kind: str | None  # None: not answered yet
    value: str | None
    shown: str | None  # an option's label, a date, the typed text
    changed: bool = False


@dataclass
class Screen:
    """consent | question | summary | submitted | stopped."""

    kind: str
    participant_id: int
    review_id: int
    role: Role
    easy_read: bool
    at: datetime
    review_type: ReviewType
    question: Question | None = None
    number: int = 0
    total: int = 0
    current: AnswerLine | None = None  # the answer being changed
    subject: str | None = None  # consent question
    consent_version: int = 0
    lines: list[AnswerLine] = field(default_factory=list)
    areas: dict[str, str] = field(default_factory=dict)
    submitted: bool = False
    can_change: bool = True
    share_allowed: bool | None = None  # the young person's own answers (None: other roles)
    consent_state: consent.ConsentState | None = None  # the young person's only
    error: ServiceError | None = None
    notices: list[str] = field(default_factory=list)  # templates shown before the screen
    safety: str | None = None  # "who to talk to now", shown at once
    safety_people: dict[str, Any] = field(default_factory=dict)  # whom it may name
    alerts: list[Alert] = field(default_factory=list)
    flag_id: int | None = None


@dataclass(frozen=True)
class Choice:
    """The caller prepares for more than one review: which one?"""

    memberships: list[safeguarding.Membership]


@dataclass(frozen=True)
class Step:
    """Where a participant is: a consent question, a bank question, or the summary."""

    kind: str
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


# --- loading one participant's walk-through -------------------------------------------------


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


async def _run(svc: Services, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
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


def _walk_query() -> WalkSelect:
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
_MINE = _walk_query().join(Person, Person.id == Participant.person_id)
_OWN = _MINE.where(
    Person.telegram_user_id == bindparam("user_id"), Participant.id == bindparam("participant_id")
)
_ACTIVE = _MINE.where(
    Person.telegram_user_id == bindparam("user_id"),
    PrepProgress.active.is_(True),
    Review.status == ReviewStatus.SCHEDULED,
).limit(1)
_ANSWERS = select(PrepAnswer).where(PrepAnswer.participant_id == bindparam("participant_id"))


async def _load(
    svc: Services, session: AsyncSession, actor: Actor, participant_id: int, *, held: bool = False
) -> Walk:
    """The caller's own participant's walk-through, for a review still going ahead
    (or, with `held`, one already held: consent stays the young person's to change)."""
    params = {"user_id": actor.telegram_user_id, "participant_id": participant_id}
    row = (await session.execute(_OWN, params)).first()
    if row is None:
        raise NotAllowed("not_allowed")
    return await _open(svc, session, row, held=held)


async def _load_active(svc: Services, session: AsyncSession, actor: Actor) -> Walk | None:
    """The walk-through the caller's typed messages answer, if one is open."""
    row = (await session.execute(_ACTIVE, {"user_id": actor.telegram_user_id})).first()
    return await _open(svc, session, row) if row is not None else None


async def _open(svc: Services, session: AsyncSession, row: WalkRow, *, held: bool = False) -> Walk:
    review = row[1]
    if review.status != ReviewStatus.SCHEDULED and not (
        held and review.status == ReviewStatus.HELD
    ):
        raise Invalid("prep_closed")
    walk = await _walk(svc, session, row)
    if walk is None:
        raise Invalid("prep_no_questions")
    return walk


@dataclass
class _Batch:
    """What the walks of one review's participants share, read once for all of them
    (the pack, the coordinator's view) instead of once per participant."""

    answers: dict[int, list[PrepAnswer]]
    last_actions: list[LastAction] | None = None
    consent: consent.ConsentState | None = None


async def _batch(session: AsyncSession, participant_ids: list[int]) -> _Batch:
    rows = await session.scalars(
        select(PrepAnswer).where(PrepAnswer.participant_id.in_(participant_ids))
    )
    answers: dict[int, list[PrepAnswer]] = {pid: [] for pid in participant_ids}
    for answer in rows:
        answers[answer.participant_id].append(answer)
    return _Batch(answers)


async def _walk(
    svc: Services, session: AsyncSession, row: WalkRow, batch: _Batch | None = None
) -> Walk | None:
    participant, review, born, progress, sent_at = row
    bank = library().bank_for(participant.role, review.type)
    if bank is None:
        return None
    if progress is None:
        # Written with the rest at commit; a concurrent twin fails there and _run retries.
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
    session: AsyncSession, review_id: int, batch: _Batch | None
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
    batch: _Batch | None = None,
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
    session: AsyncSession, review: Review, batch: _Batch | None
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
    from cetr_bot.services import actions

    return [LastAction(a.id, a.what) for a in await actions.last_review_actions(session, review)]


def _age(born: date | None, on: date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


async def mark_papers_sent(svc: Services, session: AsyncSession, review_id: int) -> None:
    """For the panel pack: from now on, answers can no longer be changed."""
    row = await session.get(ReviewPapers, review_id)
    if row is None:
        session.add(ReviewPapers(review_id=review_id, sent_at=svc.now()))
    elif row.sent_at is None:
        row.sent_at = svc.now()


# --- building screens -----------------------------------------------------------------------


def _screen(
    walk: Walk,
    *,
    error: ServiceError | None = None,
    notices: list[str] | None = None,
    safety: str | None = None,
    alerts: list[Alert] | None = None,
    flag_id: int | None = None,
) -> Screen:
    """What to show for where the walk-through now is (see next_step)."""
    step = walk.step()
    screen = Screen(
        step.kind,
        participant_id=walk.participant.id,
        review_id=walk.review.id,
        role=walk.role,
        easy_read=walk.bank.easy_read,
        at=walk.review.scheduled_at,
        review_type=ReviewType(walk.review.type),
        total=len(walk.questions),
        submitted=walk.progress.submitted_at is not None,
        can_change=not walk.papers_sent,
        share_allowed=walk.consent.share_allowed if walk.consent else None,
        consent_state=walk.consent,
        error=error,
        notices=notices or [],
        safety=safety,
        alerts=alerts or [],
        flag_id=flag_id,
    )
    if step.kind == "consent" and walk.consent is not None:
        screen.subject, screen.consent_version = step.subject, walk.consent.version
    elif step.question is not None:
        screen.question = step.question
        screen.number = walk.questions.index(step.question) + 1
        if step.question.id in walk.answers:
            screen.current = _line(walk, step.question, screen.number)
    else:
        screen.lines = [_line(walk, q, n) for n, q in enumerate(walk.questions, 1)]
        screen.areas = library().areas
    return screen


def _line(walk: Walk, question: Question, number: int) -> AnswerLine:
    answer = walk.answers.get(question.id)
    if answer is None:
        return AnswerLine(question, number, None, None, None)
    shown = answer.value
    if answer.kind == "option":
        option = question.option(answer.value)
        shown = option.label if option else answer.value
    elif answer.kind == "date":
        shown = date.fromisoformat(answer.value).strftime("%d/%m/%Y")
    return AnswerLine(
        question, number, answer.kind, answer.value, shown, answer.changed_after_submit
    )


# --- starting, resuming, stopping ------------------------------------------------------------


async def prepared_memberships(svc: Services, actor: Actor) -> list[safeguarding.Membership]:
    """The caller's reviews that have preparation questions for their role."""
    async with svc.db.transaction() as session:
        return await _with_bank(session, actor)


async def _with_bank(session: AsyncSession, actor: Actor) -> list[safeguarding.Membership]:
    mine = await safeguarding.memberships(session, actor)
    return [
        m
        for m in mine
        if m.status is ReviewStatus.SCHEDULED and has_questions(m.role, m.review_type)
    ]


async def open_walkthrough(
    svc: Services, actor: Actor, participant_id: int | None = None
) -> Screen | Choice:
    """/prepare or "Start now": carry on where they are (a picker if several reviews)."""

    async def work(session: AsyncSession) -> Screen | Choice:
        pid = participant_id
        if pid is None:
            mine = await _with_bank(session, actor)
            if not mine:
                raise Invalid("prep_none")
            if len(mine) > 1:
                return Choice(mine)
            pid = mine[0].participant_id
        walk = await _load(svc, session, actor, pid)
        await _activate(svc, session, walk)
        return _screen(walk)

    return await _run(svc, work)


async def _activate(svc: Services, session: AsyncSession, walk: Walk) -> None:
    """Typed messages now answer this walk-through (and no other of this person's)."""
    await session.execute(
        update(PrepProgress)
        .where(
            PrepProgress.participant_id.in_(
                select(Participant.id).where(Participant.person_id == walk.participant.person_id)
            ),
            PrepProgress.participant_id != walk.participant.id,
        )
        .values(active=False)
        .execution_options(synchronize_session=False)
    )
    walk.progress.active = walk.step().kind != "summary" or walk.progress.submitted_at is None
    if walk.progress.started_at is None:
        walk.progress.started_at = svc.now()
        audit(
            session,
            "preparation_started",
            review_id=walk.review.id,
            participant_id=walk.participant.id,
        )
        await session.flush()
        await review_changed(
            svc,
            session,
            walk.review.id,
            reason="preparation_started",
            participant_id=walk.participant.id,
        )


async def stop(svc: Services, actor: Actor, participant_id: int) -> Screen:
    async def work(session: AsyncSession) -> Screen:
        walk = await _load(svc, session, actor, participant_id)
        walk.progress.active = False
        walk.progress.editing_question_id = None
        screen = _screen(walk)
        screen.kind = "stopped"
        return screen

    return await _run(svc, work)


async def paused_participant(svc: Services, actor: Actor) -> int | None:
    """An unfinished walk-through that was stopped for now (for a gentle pointer)."""
    async with svc.db.transaction() as session:
        return await session.scalar(
            select(PrepProgress.participant_id)
            .join(Participant, Participant.id == PrepProgress.participant_id)
            .join(Person, Person.id == Participant.person_id)
            .join(Review, Review.id == Participant.review_id)
            .where(
                Person.telegram_user_id == actor.telegram_user_id,
                PrepProgress.started_at.is_not(None),
                PrepProgress.submitted_at.is_(None),
                Participant.removed_at.is_(None),
                Review.status == ReviewStatus.SCHEDULED,
            )
            .limit(1)
        )


# --- answering ---------------------------------------------------------------------------


async def answer_button(
    svc: Services, actor: Actor, participant_id: int, question_id: str, choice: str
) -> Screen:
    """A tap on a question's button; an older question's button shows where we are now."""

    async def work(session: AsyncSession) -> Screen:
        walk = await _load(svc, session, actor, participant_id)
        if all(q.id != question_id for q in walk.questions):
            # Forged: no such question here. Raising rolls back, so nothing changes.
            raise Invalid("stale_button")
        walk.progress.active = True
        step = walk.step()
        question = step.question
        if step.kind != "question" or question is None or question.id != question_id:
            return _screen(walk, error=Invalid("moved_on"))
        picked = _picked(question, choice)
        if picked is None:
            return _screen(walk, error=Invalid("moved_on"))
        return await _save(svc, session, actor, walk, question, *picked)

    return await _run(svc, work)


def _picked(question: Question, choice: str) -> tuple[str, str] | None:
    if choice == "s":
        return SKIP, SKIP
    if choice == "n":
        return NOT_SURE, NOT_SURE
    index = parse_id(choice, prefixes="")
    if index is not None and index < len(question.options):
        return "option", question.options[index].value
    return None


async def answer_text(
    svc: Services, actor: Actor, text: str
) -> Screen | safeguarding.ConcernStep | None:
    """Typed text: a concern /concern is waiting for, else an answer for the open
    walk-through; None when neither is waiting for it. One transaction either way."""

    async def work(session: AsyncSession) -> Screen | safeguarding.ConcernStep | None:
        concern = await safeguarding.concern_in_words_in(svc, session, actor, text)
        if concern is not None:
            return concern
        walk = await _load_active(svc, session, actor)
        if walk is None:
            return None
        step = walk.step()
        if step.kind != "question" or step.question is None:
            return _screen(walk, error=Invalid("use_buttons"))
        try:
            kind, value = _read_typed(svc, step.question, text)
        except Invalid as error:
            return _screen(walk, error=error)
        return await _save(svc, session, actor, walk, step.question, kind, value)

    return await _run(svc, work)


def _read_typed(svc: Services, question: Question, text: str) -> tuple[str, str]:
    text = clean_text(text).strip()
    if len(text) > MAX_TEXT:
        raise Invalid("text_too_long", limit=MAX_TEXT)
    plain = normalise(text)
    if plain in TYPED_SKIP:
        return SKIP, SKIP
    if plain in TYPED_NOT_SURE:
        return NOT_SURE, NOT_SURE
    if question.kind in CHOICE_KINDS:
        for option in question.options:
            if plain in (normalise(option.value), normalise(option.label)):
                return "option", option.value
        raise Invalid("use_buttons")
    if question.kind == "date":
        day = parse_date(text)
        if day is None:
            raise Invalid("bad_date")
        if question.future and day < svc.now().astimezone(svc.settings.zone).date():
            raise Invalid("prep_date_past")
        return "date", day.isoformat()
    if not plain:
        raise Invalid("prep_empty")
    return "text", text


async def answer_media(
    svc: Services, actor: Actor, media: str, file_id: str | None
) -> Screen | None:
    """A voice note (kept by its Telegram file id where one is welcome); anything else,
    or a voice note where it cannot be used, gets a clear re-ask. None: nothing waiting."""

    async def work(session: AsyncSession) -> Screen | None:
        walk = await _load_active(svc, session, actor)
        if walk is None:
            return None
        step = walk.step()
        question = step.question
        if media == "voice" and file_id and question is not None and question.takes_voice:
            return await _save(svc, session, actor, walk, question, "voice", file_id)
        expects = question.kind if question is not None else "buttons"
        if step.kind != "question":
            expects = "buttons"
        return _screen(walk, error=Invalid("prep_media", expects=expects, media=media))

    return await _run(svc, work)


async def _save(
    svc: Services,
    session: AsyncSession,
    actor: Actor,
    walk: Walk,
    question: Question,
    kind: str,
    value: str,
) -> Screen:
    now = svc.now()
    existing = walk.answers.get(question.id)
    submitted = walk.progress.submitted_at is not None
    if existing is not None:
        if walk.papers_sent:
            walk.progress.editing_question_id = None
            return _screen(walk, error=Invalid("prep_papers_sent"))
        existing.kind, existing.value, existing.changed_at = kind, value, now
        existing.changed_after_submit = existing.changed_after_submit or submitted
        if submitted:
            walk.progress.changed_after_submit_at = now
    else:
        answer = PrepAnswer(
            participant_id=walk.participant.id,
            question_id=question.id,
            kind=kind,
            value=value,
            answered_at=now,
            changed_after_submit=submitted,
        )
        session.add(answer)
        walk.answers[question.id] = answer
    walk.progress.editing_question_id = None
    if walk.progress.started_at is None:
        walk.progress.started_at = now
    if question.action_id is not None:
        from cetr_bot.services import actions

        # Kept with the action too, so its history shows what people said.
        await actions.record_prep_status(
            session, question.action_id, walk.participant.id, actor, _shown_value(question, value)
        )
    notices = ["preparation/changed_after_submit"] if existing and submitted else []
    raised = await _safeguard(svc, session, actor, walk, question, kind, value)
    if raised is None:
        return _screen(walk, notices=notices)
    safety = "young_person" if walk.role is Role.YOUNG_PERSON else "family"
    screen = _screen(
        walk,
        notices=notices,
        safety=f"preparation/safe_help_{safety}",
        alerts=raised.alerts,
        flag_id=raised.flag_id,
    )
    screen.safety_people = await safeguarding.who_to_talk_to(session, walk.review.id)
    return screen


async def _safeguard(
    svc: Services,
    session: AsyncSession,
    actor: Actor,
    walk: Walk,
    question: Question,
    kind: str,
    value: str,
) -> safeguarding.Raised | None:
    """An answer that says someone is not safe raises a flag and alerts at once; one
    naming restraint or seclusion raises a rights concern too."""
    found = library().scan_for_harm(value) if kind == "text" and walk.bank.scan_for_harm else None
    if kind == "option" and value in question.alert_on:
        source = "answer"
    elif found is not None and found.harm:
        source = "keyword"
    else:
        return None
    return await safeguarding.raise_for_answer(
        svc,
        session,
        actor,
        walk.participant,
        source=source,
        question_id=question.id,
        restrictive=found is not None and found.restrictive,
    )


# --- check and change, send to the panel ----------------------------------------------------


async def change(svc: Services, actor: Actor, participant_id: int, question_id: str) -> Screen:
    """ "Change" on the summary: ask that one question again, showing the answer now."""

    async def work(session: AsyncSession) -> Screen:
        walk = await _load(svc, session, actor, participant_id)
        if walk.papers_sent:
            return _screen(walk, error=Invalid("prep_papers_sent"))
        if walk.step().kind != "summary" or question_id not in {q.id for q in walk.questions}:
            return _screen(walk, error=Invalid("moved_on"))
        walk.progress.editing_question_id = question_id
        walk.progress.active = True
        return _screen(walk)

    return await _run(svc, work)


async def submit(svc: Services, actor: Actor, participant_id: int) -> Screen:
    """ "Send to the panel": marks the answers submitted (changes stay possible until the
    papers go out)."""

    async def work(session: AsyncSession) -> Screen:
        walk = await _load(svc, session, actor, participant_id)
        if walk.step().kind != "summary":
            return _screen(walk, error=Invalid("moved_on"))
        if walk.progress.submitted_at is None:
            walk.progress.submitted_at = svc.now()
            audit(session, "preparation_submitted", actor=actor, review_id=walk.review.id)
            await session.flush()
            await review_changed(
                svc,
                session,
                walk.review.id,
                reason="preparation_submitted",
                participant_id=walk.participant.id,
            )
        walk.progress.active = False
        screen = _screen(walk)
        screen.kind = "submitted"
        return screen

    return await _run(svc, work)


async def current_screen(svc: Services, actor: Actor, participant_id: int) -> Screen:
    """Where this participant is now, without changing anything."""

    async def work(session: AsyncSession) -> Screen:
        return _screen(await _load(svc, session, actor, participant_id))

    return await _run(svc, work)


# --- consent inside the walk-through ---------------------------------------------------


async def consent_answer(
    svc: Services, actor: Actor, participant_id: int, subject: str, choice: str, version: int
) -> Screen:
    """The young person's own answer to a consent question (from the walk-through or
    /consent). A button made before a later decision is stale."""

    async def work(session: AsyncSession) -> Screen:
        walk = await _load(svc, session, actor, participant_id, held=True)
        if walk.consent is None:
            raise NotAllowed("consent_young_person_only")
        if walk.consent.version != version or choice not in consent.DECISIONS:
            return _screen(walk, error=Invalid("moved_on"))
        before = walk.consent.get(subject)
        await consent.record(
            svc,
            session,
            actor,
            review_id=walk.review.id,
            participant_id=walk.participant.id,
            subject=subject,
            decision=choice,
            basis=consent.YOUNG_PERSON,
            method="bot_buttons",
            role=str(Role.YOUNG_PERSON),
        )
        walk.consent = await consent.consent_state(session, walk.review.id)
        alerts = await _withdrawn_alerts(svc, session, walk, before)
        going_ahead = walk.review.status == ReviewStatus.SCHEDULED
        if going_ahead and (walk.progress.active or walk.step().kind == "consent"):
            notices = ["preparation/consent_saved"] if before is not None else []
            return _screen(walk, notices=notices, alerts=alerts)
        # Changed from /consent outside the questions: say so, and no more.
        screen = _screen(walk, alerts=alerts)
        screen.kind = "consent_saved"
        return screen

    return await _run(svc, work)


async def _withdrawn_alerts(
    svc: Services, session: AsyncSession, walk: Walk, before: consent.Decision | None
) -> list[Alert]:
    """The coordinator hears at once when sharing with the panel is withdrawn."""
    now = walk.consent.share if walk.consent else None
    if before is None or before.subject != consent.SHARE or before.decision != consent.YES:
        return []
    if now is None or now.decision == consent.YES:
        return []
    return [
        Alert(chat_id, "preparation/alert_consent_withdrawn", {"review_id": walk.review.id})
        for chat_id in await coordinator_chats(svc.settings, session, review_id=walk.review.id)
    ]


@dataclass(frozen=True)
class ConsentView:
    participant_id: int
    state: consent.ConsentState


async def consent_view(svc: Services, actor: Actor) -> ConsentView:
    """/consent: the young person's decisions now, to keep or change."""
    async with svc.db.transaction() as session:
        places = [
            m for m in await safeguarding.memberships(session, actor) if m.role is Role.YOUNG_PERSON
        ]
        own = await deputies.own_places(session, [m.participant_id for m in places])
        mine = [m for m in places if m.participant_id in own]
        if not mine:
            raise Invalid("consent_young_person_only")
        # The next review if one is booked, else the one just held.
        ahead = [m for m in mine if m.status is ReviewStatus.SCHEDULED]
        latest = ahead[0] if ahead else mine[-1]
        return ConsentView(
            latest.participant_id, await consent.consent_state(session, latest.review_id)
        )


# --- for the coordinator and the panel ------------------------------------------------------


async def progress_for_review(
    svc: Services, session: AsyncSession, review_id: int
) -> dict[int, str]:
    """participant id → not started | in progress | submitted, for everyone who has
    joined and has questions for their role."""
    return await queries.progress_for_review(session, review_id, has_questions)


async def flags_for_review(svc: Services, session: AsyncSession, review_id: int) -> list[Any]:
    """For /review N: the consent state first, then recent safeguarding and rights flags."""
    state = await consent.consent_state(session, review_id)
    consent_line = FlagLine(kind="consent", detail={"state": state})
    return [consent_line, *await safeguarding.flag_lines(session, review_id)]


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
        audit(session, "answers_read", actor=actor, review_id=review_id)
        return await _answers(svc, session, review_id, submitted_only=False)


async def _answers(
    svc: Services, session: AsyncSession, review_id: int, *, submitted_only: bool
) -> list[ParticipantAnswers]:
    query = _walk_query().where(
        Participant.review_id == review_id, PrepProgress.started_at.is_not(None)
    )
    if submitted_only:
        query = query.where(PrepProgress.submitted_at.is_not(None))
    rows = (await session.execute(query.order_by(Participant.id))).all()
    batch = await _batch(session, [row[0].id for row in rows])
    result = []
    for row in rows:
        walk = await _walk(svc, session, row, batch)
        if walk is None:
            continue
        progress = walk.progress
        result.append(
            ParticipantAnswers(
                walk.participant.id,
                walk.role,
                progress.submitted_at,
                progress.changed_after_submit_at is not None,
                [_line(walk, q, n) for n, q in enumerate(walk.questions, 1)],
                deputy=walk.participant.deputy_for_id is not None,
            )
        )
    return result


def _shown_value(question: Question, value: str) -> str:
    option = question.option(value)
    return option.label if option else value
