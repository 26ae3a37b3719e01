"""The preparation walk-through: questions, answers, check and change, send to the panel.

Each call below checks that the participant is the caller's own (walk.load), works
in one transaction (walk.run) and returns a `Screen` (prep_screens) for the Telegram
layer to show. Where someone is comes from their stored answers (walk.next_step).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import ReviewStatus, Role
from cetr_bot.parsing import parse_date, parse_id
from cetr_bot.services import actions, consent, question_bank, safeguarding
from cetr_bot.services.context import Actor, Services, audit
from cetr_bot.services.errors import Invalid, NotAllowed
from cetr_bot.services.events import review_changed
from cetr_bot.services.memberships import Membership, memberships
from cetr_bot.services.prep_screens import Choice, Screen, screen
from cetr_bot.services.question_bank import (
    CHOICE_KINDS,
    Question,
    has_questions,
    normalise,
)
from cetr_bot.services.safeguarding import Alert
from cetr_bot.services.walk import Walk, load, load_active, run
from cetr_bot.storage.coordinators import coordinator_chats
from cetr_bot.storage.models import Participant, Person, Review
from cetr_bot.storage.models_preparation import PrepAnswer, PrepProgress, ReviewPapers
from cetr_bot.text import languages
from cetr_bot.text_safety import clean_text

MAX_TEXT = 3000
SKIP, NOT_SURE = "skip", "not_sure"
# Typed words that mean the same as the Skip / Not sure buttons.
# Typed instead of pressing "Skip" / "Not sure", in English or Polish.
TYPED_SKIP = frozenset({"skip", "pass", "next", "pomiń", "pomin", "dalej"})
TYPED_NOT_SURE = frozenset(
    {"not sure", "dont know", "do not know", "idk", "unsure", "nie wiem", "nie jestem pewien"}
    | {"nie jestem pewna", "nie jestem pewny"}
)


async def mark_papers_sent(svc: Services, session: AsyncSession, review_id: int) -> None:
    """For the panel pack: from now on, answers can no longer be changed."""
    row = await session.get(ReviewPapers, review_id)
    if row is None:
        session.add(ReviewPapers(review_id=review_id, sent_at=svc.now()))
    elif row.sent_at is None:
        row.sent_at = svc.now()


# --- starting, resuming, stopping ------------------------------------------------------------


async def prepared_memberships(svc: Services, actor: Actor) -> list[Membership]:
    """The caller's reviews that have preparation questions for their role."""
    async with svc.db.transaction() as session:
        return await _with_bank(session, actor)


async def _with_bank(session: AsyncSession, actor: Actor) -> list[Membership]:
    mine = await memberships(session, actor)
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
        walk = await load(svc, session, actor, pid)
        await _activate(svc, session, walk)
        if walk.step().kind == "summary":  # their own answers, read back to them
            audit(
                session,
                "own_answers_read",
                actor=actor,
                review_id=walk.review.id,
                person_id=walk.participant.person_id,
                role=str(walk.role),
                participant_id=walk.participant.id,
            )
        return screen(walk)

    return await run(svc, work)


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
        walk = await load(svc, session, actor, participant_id)
        walk.progress.active = False
        walk.progress.editing_question_id = None
        return screen(walk, kind="stopped")

    return await run(svc, work)


async def stop_active(svc: Services, actor: Actor) -> Screen | None:
    """/cancel: stop the walk-through the caller's typed messages answer, as "Stop for
    now" does (answers kept; /prepare carries on from them). None: none was open."""

    async def work(session: AsyncSession) -> Screen | None:
        walk = await load_active(svc, session, actor)
        if walk is None:
            return None
        walk.progress.active = False
        walk.progress.editing_question_id = None
        return screen(walk, kind="stopped")

    return await run(svc, work)


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
        walk = await load(svc, session, actor, participant_id)
        if all(q.id != question_id for q in walk.questions):
            # Forged: no such question here. Raising rolls back, so nothing changes.
            raise Invalid("stale_button")
        walk.progress.active = True
        step = walk.step()
        question = step.question
        if step.kind != "question" or question is None or question.id != question_id:
            return screen(walk, error=Invalid("moved_on"))
        picked = _picked(question, choice)
        if picked is None:
            return screen(walk, error=Invalid("moved_on"))
        return await _save(svc, session, actor, walk, question, *picked)

    return await run(svc, work)


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
        walk = await load_active(svc, session, actor)
        if walk is None:
            return None
        step = walk.step()
        if step.kind != "question" or step.question is None:
            return screen(walk, error=Invalid("use_buttons"))
        try:
            kind, value = _read_typed(svc, step.question, text)
        except Invalid as error:
            return screen(walk, error=error)
        return await _save(svc, session, actor, walk, step.question, kind, value)

    return await run(svc, work)


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
        for language in languages():  # a button's words typed in any language
            for option in question_bank.in_language(question, language).options:
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
        walk = await load_active(svc, session, actor)
        if walk is None:
            return None
        step = walk.step()
        question = step.question
        if media == "voice" and file_id and question is not None and question.takes_voice:
            return await _save(svc, session, actor, walk, question, "voice", file_id)
        expects = question.kind if question is not None else "buttons"
        if step.kind != "question":
            expects = "buttons"
        voice = step.kind == "question" and question is not None and question.takes_voice
        error = Invalid(
            "prep_media", expects=expects, media=media, voice=voice, easy=walk.bank.easy_read
        )
        return screen(walk, error=error)

    return await run(svc, work)


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
            return screen(walk, error=Invalid("prep_papers_sent"))
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
    audit(
        session,
        "answer_changed" if existing is not None else "answer_recorded",
        actor=actor,
        review_id=walk.review.id,
        person_id=walk.participant.person_id,
        role=str(walk.role),
        participant_id=walk.participant.id,
        question_id=question.id,
        answer_kind=kind,
        after_submit=submitted,
    )
    if question.action_id is not None:
        # Kept with the action too, so its history shows what people said.
        await actions.record_prep_status(
            session, question.action_id, walk.participant.id, actor, _shown_value(question, value)
        )
    notices = ["preparation/changed_after_submit"] if existing and submitted else []
    raised = await _safeguard(svc, session, actor, walk, question, kind, value)
    if raised is None:
        return screen(walk, notices=notices)
    safety = "young_person" if walk.role is Role.YOUNG_PERSON else "family"
    return screen(
        walk,
        notices=notices,
        safety=f"preparation/safe_help_{safety}",
        safety_people=await safeguarding.who_to_talk_to(session, walk.review.id),
        alerts=raised.alerts,
        flag_id=raised.flag_id,
    )


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
    found = (
        question_bank.scan_for_harm(value) if kind == "text" and walk.bank.scan_for_harm else None
    )
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
        walk = await load(svc, session, actor, participant_id)
        if walk.papers_sent:
            return screen(walk, error=Invalid("prep_papers_sent"))
        if walk.step().kind != "summary" or question_id not in {q.id for q in walk.questions}:
            return screen(walk, error=Invalid("moved_on"))
        walk.progress.editing_question_id = question_id
        walk.progress.active = True
        return screen(walk)

    return await run(svc, work)


async def submit(svc: Services, actor: Actor, participant_id: int) -> Screen:
    """ "Send to the panel": marks the answers submitted (changes stay possible until the
    papers go out)."""

    async def work(session: AsyncSession) -> Screen:
        walk = await load(svc, session, actor, participant_id)
        if walk.step().kind != "summary":
            return screen(walk, error=Invalid("moved_on"))
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
        return screen(walk, kind="submitted")

    return await run(svc, work)


async def current_screen(svc: Services, actor: Actor, participant_id: int) -> Screen:
    """Where this participant is now, without changing anything."""

    async def work(session: AsyncSession) -> Screen:
        return screen(await load(svc, session, actor, participant_id))

    return await run(svc, work)


# --- consent inside the walk-through ---------------------------------------------------


async def consent_answer(
    svc: Services, actor: Actor, participant_id: int, subject: str, choice: str, version: int
) -> Screen:
    """The young person's own answer to a consent question (from the walk-through or
    /consent). A button made before a later decision is stale."""

    async def work(session: AsyncSession) -> Screen:
        walk = await load(svc, session, actor, participant_id, held=True)
        if walk.consent is None:
            raise NotAllowed("consent_young_person_only")
        if walk.consent.version != version or choice not in consent.DECISIONS:
            return screen(walk, error=Invalid("moved_on"))
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
            return screen(walk, notices=notices, alerts=alerts)
        # Changed from /consent outside the questions: say so, and no more.
        return screen(walk, kind="consent_saved", alerts=alerts)

    return await run(svc, work)


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


def _shown_value(question: Question, value: str) -> str:
    option = question.option(value)
    return option.label if option else value
