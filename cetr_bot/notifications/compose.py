"""Turns claimed reminder rows into messages, from the state at the time of sending.

Rendering late (not when planned) means a reminder always shows the review's
current time, and a row whose reason has gone (the review was cancelled, the
person answered, the meeting has started) is skipped or marked expired instead
of sent: recorded, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton

from cetr_bot import web_links
from cetr_bot.domain import (
    Answer,
    PrepStatus,
    ReminderKind,
    ReminderStatus,
    ReviewStatus,
    ReviewType,
    Role,
)
from cetr_bot.notifications import (
    data_compose,
    dsr_compose,
    follow_up_compose,
    keyboards,
    notices_compose,
)
from cetr_bot.notifications.delivery_policy import Content, is_private_chat
from cetr_bot.notifications.keyboards import rsvp_keyboard
from cetr_bot.scheduling import calendar, follow_up
from cetr_bot.scheduling import planner as p
from cetr_bot.scheduling.outgoing import Composed, Outgoing, Skip
from cetr_bot.services import needs, people
from cetr_bot.services.context import Services
from cetr_bot.services.question_bank import has_questions
from cetr_bot.storage.coordinators import team_scope
from cetr_bot.storage.models import Participant, Person, Review
from cetr_bot.storage.models_dsr import DsrEntry
from cetr_bot.storage.models_reminders import Reminder
from cetr_bot.storage.queries import attendance, preparation
from cetr_bot.text import Texts
from cetr_bot.web_links import Page

PARTICIPANT_KINDS = frozenset(
    {ReminderKind.REVIEW_REMINDER, ReminderKind.RSVP_NUDGE, ReminderKind.PREP_NUDGE}
)


class _State:
    """Loads what the rows of one batch refer to, once each."""

    def __init__(self, svc: Services, session: AsyncSession) -> None:
        self.svc, self.session = svc, session
        self._reviews: dict[int, Review | None] = {}
        self._answers: dict[int, dict[int, str]] = {}
        self._progress: dict[int, dict[int, str]] = {}
        self.participants: dict[int, Participant] = {}
        self.people: dict[int, Person] = {}
        self.only: int | None = None

    async def prefetch(self, rows: Sequence[Reminder]) -> None:
        """Load the batch's participants and people in two queries, not two per row."""
        participant_ids = {r.participant_id for r in rows if r.participant_id}
        if len(rows) == 1 and participant_ids:
            # One row (the check before a send): that participant's answer and
            # progress only, not the whole review's.
            self.only = next(iter(participant_ids))
        person_ids = {r.person_id for r in rows if r.person_id}
        if participant_ids:
            found = await self.session.scalars(
                select(Participant).where(Participant.id.in_(participant_ids))
            )
            self.participants.update((m.id, m) for m in found)
        if person_ids:
            people = await self.session.scalars(select(Person).where(Person.id.in_(person_ids)))
            self.people.update((m.id, m) for m in people)

    async def review(self, review_id: int | None) -> Review | None:
        if review_id is None:
            return None
        if review_id not in self._reviews:
            self._reviews[review_id] = await self.session.get(Review, review_id)
        return self._reviews[review_id]

    async def answers(self, review_id: int) -> dict[int, str]:
        if review_id not in self._answers and self.only is not None:
            answer = await attendance.answer_of(self.session, self.only)
            self._answers[review_id] = {} if answer is None else {self.only: answer}
        if review_id not in self._answers:
            found = await attendance.answers_for_review(self.session, review_id)
            self._answers[review_id] = found
        return self._answers[review_id]

    async def progress(self, review_id: int) -> dict[int, str]:
        if review_id not in self._progress:
            found = await preparation.progress_for_review(
                self.session, review_id, has_questions, participant_id=self.only
            )
            self._progress[review_id] = found
        return self._progress[review_id]

    async def members(self, review_id: int) -> list[tuple[Participant, Person | None]]:
        rows = await self.session.execute(
            select(Participant, Person)
            .outerjoin(Person, Person.id == Participant.person_id)
            .where(Participant.review_id == review_id, Participant.removed_at.is_(None))
            .order_by(Participant.id)
        )
        return [(participant, person) for participant, person in rows]


async def compose(
    svc: Services,
    texts: Texts,
    rows: Sequence[Reminder],
    now: datetime,
    session: AsyncSession | None = None,
) -> dict[int, Composed]:
    """Row id → what to send, or why not; in `session` when given (the dispatcher's
    check just before the send), else in a transaction of its own."""
    if session is not None:
        return await _compose(svc, texts, rows, now, session)
    async with svc.db.transaction() as own:
        return await _compose(svc, texts, rows, now, own)


async def _compose(
    svc: Services, texts: Texts, rows: Sequence[Reminder], now: datetime, session: AsyncSession
) -> dict[int, Composed]:
    result: dict[int, Composed] = {}
    state = _State(svc, session)
    await state.prefetch(rows)
    # Each message in its reader's language, easy-read for the young person.
    readers = await people.readers(session, (r.person_id for r in rows if r.person_id))
    for row in rows:
        reader = readers.get(row.person_id) if row.person_id else None
        own = texts.variant(language=reader.language, easy=reader.easy_read) if reader else texts
        result[row.id] = await _one(svc, own, state, row, now)
    await _supersede(session, rows, result, now)
    return result


def _series(row: Reminder) -> tuple[Any, ...]:
    return (row.kind, row.review_id, row.participant_id, row.chat_id)


async def _supersede(
    session: AsyncSession, rows: Sequence[Reminder], result: dict[int, Composed], now: datetime
) -> None:
    """After downtime, several reminders of one series may be due at once (say the
    14-day and the 2-day one): send the newest, record the others as superseded. Rows
    are checked one by one just before their send, so a newer one already sent since
    this row fell due counts as well."""
    dated = [r for r in rows if isinstance(result[r.id], Outgoing) and "days" in r.payload]
    if not dated:
        return
    due = await session.execute(
        select(
            Reminder.kind,
            Reminder.review_id,
            Reminder.participant_id,
            Reminder.chat_id,
            Reminder.payload,
            Reminder.status,
            Reminder.sent_at,
        ).where(
            Reminder.chat_id.in_({r.chat_id for r in dated}),
            Reminder.review_id.in_({r.review_id for r in dated}),
            Reminder.kind.in_({r.kind for r in dated}),
            Reminder.status.in_(
                [ReminderStatus.PENDING, ReminderStatus.SENDING, ReminderStatus.SENT]
            ),
            Reminder.send_after <= now,
        )
    )
    others = list(due)
    for row in dated:
        days = int(row.payload["days"])
        for kind, review_id, participant_id, chat_id, payload, status, sent_at in others:
            if (kind, review_id, participant_id, chat_id) != _series(row):
                continue
            if status == ReminderStatus.SENT and (sent_at is None or sent_at < row.due_at):
                continue  # sent before this one was due: an earlier round, not newer news
            if int(payload.get("days", 0)) < days:
                result[row.id] = Skip(ReminderStatus.SKIPPED, "superseded")
                break


async def _one(
    svc: Services, texts: Texts, state: _State, row: Reminder, now: datetime
) -> Composed:
    if row.kind in dsr_compose.KINDS:
        return await dsr_compose.compose_row(svc, texts, state.session, row, now)
    if row.kind in data_compose.KINDS:
        return await data_compose.compose_row(svc, texts, state.session, row, now)
    if row.kind in follow_up.KINDS:
        return await follow_up_compose.compose_row(svc, texts, state.session, row, now)
    if row.kind in notices_compose.TEMPLATES:
        return await notices_compose.compose_row(texts, state.session, row)
    if row.kind in PARTICIPANT_KINDS:
        return await _participant(texts, state, row, now)
    if row.kind == ReminderKind.COORD_ATTENDANCE:
        return await _coordinator_summary(texts, state, row, now)
    if row.kind == ReminderKind.COORD_INTERPRETER:
        return await _interpreter(texts, state, row, now)
    if row.kind in p.NOTICE_KINDS:
        return await _calendar_notice(svc, texts, state, row, now)
    if row.kind in p.BOOKING_KINDS:
        return await _booking(svc, texts, state, row)
    if row.kind == ReminderKind.COORD_UNREACHABLE:
        return await _unreachable(texts, state, row)
    if row.kind == ReminderKind.ADMIN_BAD_TOKENS:
        return Outgoing(texts.render(f"reminders/{row.kind}", **row.payload))
    return Skip(ReminderStatus.SKIPPED, f"unknown kind {row.kind}")


async def _interpreter(texts: Texts, state: _State, row: Reminder, now: datetime) -> Composed:
    """Who needs an interpreter, worked out now: nobody any more, nothing is sent."""
    review = await state.review(row.review_id)
    problem = _ahead(review, now)
    if problem or review is None:
        return problem or Skip(ReminderStatus.SKIPPED, "review gone")
    needed = await needs.interpreters_for_review(state.session, review.id)
    if not needed:
        return Skip(ReminderStatus.SKIPPED, "no interpreter needed")
    return Outgoing(
        texts.render(
            "reminders/coord_interpreter",
            review_id=review.id,
            at=review.scheduled_at,
            days_left=_days_left(texts, review, now),
            needed=needed,
        )
    )


def _ahead(review: Review | None, now: datetime) -> Skip | None:
    """Why a reminder about this review can no longer be sent, if so."""
    if review is None:
        return Skip(ReminderStatus.SKIPPED, "review gone")
    if review.status != ReviewStatus.SCHEDULED:
        return Skip(ReminderStatus.SKIPPED, f"review {review.status}")
    if review.scheduled_at <= now:
        return Skip(ReminderStatus.EXPIRED, "review already started")
    return None


def _days_left(texts: Texts, review: Review, now: datetime) -> int:
    return (texts.local(review.scheduled_at).date() - texts.local(now).date()).days


async def _recipient(state: _State, row: Reminder) -> tuple[Participant, Person] | None:
    participant = state.participants.get(row.participant_id or 0)
    person = state.people.get(row.person_id or 0)
    if participant is None or person is None or participant.removed_at is not None:
        return None
    if participant.person_id != person.id or person.unreachable_since is not None:
        return None
    return participant, person


async def _participant(texts: Texts, state: _State, row: Reminder, now: datetime) -> Composed:
    review = await state.review(row.review_id)
    problem = _ahead(review, now)
    if problem or review is None:
        return problem or Skip(ReminderStatus.SKIPPED, "review gone")
    found = await _recipient(state, row)
    if found is None:
        return Skip(ReminderStatus.SKIPPED, "no longer a participant")
    participant, person = found
    answer = (await state.answers(review.id)).get(participant.id)
    progress = (await state.progress(review.id)).get(participant.id, "not_started")
    if row.kind == ReminderKind.RSVP_NUDGE and answer is not None:
        return Skip(ReminderStatus.SKIPPED, "answered")
    if row.kind == ReminderKind.PREP_NUDGE and progress == PrepStatus.SUBMITTED:
        return Skip(ReminderStatus.SKIPPED, "preparation submitted")
    if row.kind == ReminderKind.REVIEW_REMINDER and answer == Answer.CANNOT:
        return Skip(ReminderStatus.SKIPPED, "not attending")
    text = texts.render(
        f"reminders/{row.kind}",
        young=participant.role == Role.YOUNG_PERSON,
        name=person.preferred_name,
        at=review.scheduled_at,
        days_left=_days_left(texts, review, now),
        answer=answer,
        progress=progress,
    )
    # Not answered yet: the buttons come with the reminder too.
    asks = row.kind == ReminderKind.RSVP_NUDGE or (
        row.kind == ReminderKind.REVIEW_REMINDER and answer is None
    )
    keyboard = rsvp_keyboard(texts, participant.id) if asks else None
    return Outgoing(text, keyboard)


async def _coordinator_summary(
    texts: Texts, state: _State, row: Reminder, now: datetime
) -> Composed:
    review = await state.review(row.review_id)
    problem = _ahead(review, now)
    if problem or review is None:
        return problem or Skip(ReminderStatus.SKIPPED, "review gone")
    members = await state.members(review.id)
    answers = await state.answers(review.id)
    joined = [(m, person) for m, person in members if person is not None]
    required = attendance.unconfirmed_required(
        ReviewType(review.type), [m for m, _ in members], answers
    )
    unanswered = [
        (Role(m.role), person.preferred_name) for m, person in joined if m.id not in answers
    ]
    if not required and not unanswered:
        return Skip(ReminderStatus.SKIPPED, "nothing missing")
    text = texts.render(
        "reminders/coord_attendance",
        review_id=review.id,
        at=review.scheduled_at,
        days_left=_days_left(texts, review, now),
        required=required,
        unanswered=unanswered,
        not_joined=[Role(m.role) for m, person in members if person is None],
        cannot=[
            (Role(m.role), person.preferred_name)
            for m, person in joined
            if answers.get(m.id) == Answer.CANNOT
        ],
    )
    return Outgoing(text)


async def _calendar_notice(
    svc: Services, texts: Texts, state: _State, row: Reminder, now: datetime
) -> Composed:
    review = await state.review(row.review_id)
    cancelled = row.kind == ReminderKind.CALENDAR_CANCEL
    if review is None:
        return Skip(ReminderStatus.SKIPPED, "review gone")
    if not cancelled and (problem := _ahead(review, now)):
        return problem
    if row.payload.get("sequence", 0) < review.sequence and not cancelled:
        return Skip(ReminderStatus.SKIPPED, "superseded")
    found = await _recipient(state, row)
    if found is None:
        return Skip(ReminderStatus.SKIPPED, "no longer a participant")
    participant, person = found
    answer = (await state.answers(review.id)).get(participant.id)
    text = texts.render(
        f"reminders/{row.kind}",
        young=participant.role == Role.YOUNG_PERSON,
        name=person.preferred_name,
        at=review.scheduled_at,
        answer=answer,
    )
    ics = review_ics(
        svc, texts, review, now, participant_id=participant.id, answer=answer, cancelled=cancelled
    )
    keyboard = None if cancelled else rsvp_keyboard(texts, participant.id)
    return Outgoing(text, keyboard, ics)


def review_ics(
    svc: Services,
    texts: Texts,
    review: Review,
    now: datetime,
    *,
    participant_id: int,
    answer: str | None = None,
    cancelled: bool = False,
) -> bytes:
    return calendar.review_ics(
        review_id=review.id,
        at=review.scheduled_at,
        sequence=review.sequence,
        location=review.location,
        settings=svc.settings,
        now=now,
        words=calendar.words(texts),
        participant_id=participant_id,
        answer=answer,
        cancelled=cancelled,
    )


async def _booking(svc: Services, texts: Texts, state: _State, row: Reminder) -> Composed:
    due = await p.next_due(svc, state.session, row.young_person_id or 0)
    payload = row.payload
    if due is None or (str(due[0]), due[1].isoformat()) != (payload["type"], payload["due"]):
        return Skip(ReminderStatus.SKIPPED, "next review already booked or no longer due")
    # On the register with no review in the bot yet: named by its register number.
    entry_id = await state.session.scalar(
        select(DsrEntry.id).where(DsrEntry.young_person_id == row.young_person_id)
    )
    text = texts.render(
        f"reminders/{row.kind}",
        review_type=due[0],
        due=due[1],
        after_review=payload.get("after_review"),
        dsr_entry=entry_id,
    )
    return Outgoing(text)


async def _unreachable(texts: Texts, state: _State, row: Reminder) -> Composed:
    person = await state.session.get(Person, int(row.payload.get("person_id", 0)))
    if person is None:
        return Skip(ReminderStatus.SKIPPED, "person gone")
    rows = await state.session.execute(
        select(Participant, Review)
        .join(Review, Review.id == Participant.review_id)
        .where(
            Participant.person_id == person.id,
            Participant.removed_at.is_(None),
            Review.status == ReviewStatus.SCHEDULED,
        )
        .order_by(Review.scheduled_at)
    )
    # Only the reviews of the teams this coordinator works for.
    scope = await team_scope(state.svc.settings, state.session, row.chat_id)
    reviews = [(r.id, Role(m.role), r.scheduled_at) for m, r in rows if scope.allows(r.team_id)]
    settings = state.svc.settings
    if not web_links.enabled(settings):
        text = texts.render(
            "reminders/coord_unreachable", name=person.preferred_name, reviews=reviews
        )
        return Outgoing(text)
    # The delivery policy: no name in the chat; who it is shows on each review's page.
    private = is_private_chat(row.chat_id)
    buttons = []
    for review_id, _, _ in reviews:
        url = web_links.url(settings, Page.REVIEW, review_id)
        assert url is not None  # enabled: every page has its address
        button = keyboards.page_button(texts, Content.REVIEW, url, private_chat=private)
        if len(reviews) > 1:  # which review each button opens
            button = _titled(button, f"{button.text} · #{review_id}")
        buttons.append(button)
    return Outgoing(
        texts.render("links/unreachable", reviews=reviews),
        keyboards.grid(buttons) if buttons else None,
        protect_content=True,
    )


def _titled(button: InlineKeyboardButton, text: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, url=button.url, web_app=button.web_app)
