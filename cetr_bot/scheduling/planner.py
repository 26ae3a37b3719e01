"""Brings a review's pending reminder rows in line with its current state.

`plan_review` runs inside the transaction of every change a reminder depends on
(see services/events.py). It works out the reminders wanted *now* from the
review, its participants, their answers and their preparation, then adds,
moves or cancels pending rows to match. It never touches a row that is being
sent or was sent: those belong to the dispatcher.

Row keys carry the review's SEQUENCE, so when a review moves every old
reminder is cancelled and a fresh set planned for the new date (a 2-day
reminder already sent for the old date does not stop one for the new date).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import (
    Answer,
    PrepStatus,
    RecordedType,
    ReminderKind,
    ReminderStatus,
    ReviewStatus,
    ReviewType,
    Setting,
)
from cetr_bot.dsr_rules import Check, next_inpatient_cetr
from cetr_bot.rules import PastReview, YoungPersonFacts, next_review_due
from cetr_bot.scheduling.timeline import days_before, local_at, out_of_quiet_hours
from cetr_bot.services import needs
from cetr_bot.services.context import Services
from cetr_bot.services.question_bank import has_questions
from cetr_bot.storage.coordinators import coordinator_chats, team_chats
from cetr_bot.storage.models import Participant, Person, Review, YoungPerson
from cetr_bot.storage.models_dsr import DsrEntry, RecordedReview
from cetr_bot.storage.models_reminders import Reminder
from cetr_bot.storage.queries import attendance, preparation

# Kinds planned from a review's state (recomputed on every change).
PLANNED_KINDS = (
    ReminderKind.REVIEW_REMINDER,
    ReminderKind.RSVP_NUDGE,
    ReminderKind.PREP_NUDGE,
    ReminderKind.COORD_ATTENDANCE,
    ReminderKind.COORD_INTERPRETER,
)
# Of one participant, and the changes that concern one participant only (an RSVP may
# change the coordinators' summary too: True).
PARTICIPANT_KINDS = (ReminderKind.REVIEW_REMINDER, ReminderKind.RSVP_NUDGE, ReminderKind.PREP_NUDGE)
ONE_PARTICIPANT = {"rsvp": True, "preparation_started": False, "preparation_submitted": False}
# One-off notices caused by an event (a move or a cancellation).
NOTICE_KINDS = (ReminderKind.CALENDAR_UPDATE, ReminderKind.CALENDAR_CANCEL)
# Per young person: book the next review ahead, and say when it is overdue.
BOOKING_KINDS = (ReminderKind.BOOK_NEXT, ReminderKind.NEXT_OVERDUE)
# To coordinators when someone blocked the bot.
COORDINATOR_KINDS = frozenset(
    {
        ReminderKind.COORD_ATTENDANCE,
        ReminderKind.BOOK_NEXT,
        ReminderKind.NEXT_OVERDUE,
        ReminderKind.COORD_UNREACHABLE,
        ReminderKind.COORD_INTERPRETER,
    }
)


@dataclass(frozen=True)
class Wanted:
    """A reminder that should exist; `key` says what it is for, uniquely."""

    key: str
    kind: str
    due: datetime
    chat_id: int
    review_id: int | None = None
    young_person_id: int | None = None
    participant_id: int | None = None
    person_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReviewState:
    """What the reminders of one review depend on."""

    review: Review
    recipients: list[tuple[Participant, Person]]  # joined, still in, reachable
    answers: dict[int, str]
    progress: dict[int, str]
    anything_missing: bool
    coordinators: list[int] = field(default_factory=list)  # of the review's team
    interpreters_needed: bool = False  # someone in it needs a BSL or language interpreter


async def plan_review(
    svc: Services,
    session: AsyncSession,
    review_id: int,
    *,
    reason: str,
    participant_id: int | None = None,
) -> None:
    """Bring the review's pending rows in line with its state. A change that names one
    participant (an RSVP, a preparation step) works out only that participant's
    reminders, and the coordinators' summary if an answer changed; anything else
    (a move, a join, someone reachable again...) the whole review."""
    review = await _locked_review(session, review_id)
    if review is None:
        return
    now = svc.now()
    if participant_id is not None and reason in ONE_PARTICIPANT:
        await _plan_participant(svc, session, review, participant_id, now)
        if ONE_PARTICIPANT[reason]:
            await _plan_summaries(svc, session, review, now)
        return
    if reason in WITHDRAWING:
        await withdraw_claimed(session, Reminder.review_id == review.id)
    state = await review_state(svc, session, review)
    await reconcile(
        session,
        Reminder.review_id == review.id,
        PLANNED_KINDS,
        wanted_for_review(svc, state, now),
        now,
    )
    await _notices(svc, session, state, reason, now)
    await plan_young_person(svc, session, review.young_person_id)


# Changes after which a row already claimed by a batch, not yet sent, may be wrong to
# send at all: it goes back to pending here, and is then moved or cancelled like one.
WITHDRAWING = frozenset({"rescheduled", "cancelled"})


async def withdraw_claimed(session: AsyncSession, scope: ColumnElement[bool]) -> int:
    """Rows in `scope` claimed by a dispatcher and not yet in flight go back to pending
    (the dispatcher's check just before the send then finds them gone). One UPDATE:
    on PostgreSQL it waits for a check holding the row, then sees it in flight and
    leaves it; on SQLite it takes the write lock for the rest of this transaction."""
    result = await session.execute(
        update(Reminder)
        .where(
            scope,
            Reminder.status == ReminderStatus.SENDING,
            Reminder.in_flight_at.is_(None),
        )
        .values(
            status=ReminderStatus.PENDING,
            claim_token=None,
            claimed_by=None,
            lease_until=None,
            attempts=Reminder.attempts - 1,
        )
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _locked_review(session: AsyncSession, review_id: int) -> Review | None:
    # FOR UPDATE (PostgreSQL) serialises planners of one review across processes;
    # SQLite already serialises writers.
    return await session.scalar(select(Review).where(Review.id == review_id).with_for_update())


@dataclass(frozen=True)
class Roster:
    recipients: list[tuple[Participant, Person]]  # joined, still in, reachable
    answers: dict[int, str]
    anything_missing: bool  # a required role unconfirmed, or someone has not answered


async def roster(session: AsyncSession, review: Review) -> Roster:
    participants = await attendance.live_participants(session, review.id)
    people = await _people(session, {p.person_id for p in participants if p.person_id})
    answers = await attendance.answers_for_review(session, review.id)
    recipients = [
        (p, people[p.person_id])
        for p in participants
        if p.person_id is not None and people[p.person_id].unreachable_since is None
    ]
    unconfirmed = attendance.unconfirmed_required(ReviewType(review.type), participants, answers)
    unanswered = any(p.id not in answers for p, _ in recipients)
    return Roster(recipients, answers, bool(unconfirmed) or unanswered)


async def review_state(svc: Services, session: AsyncSession, review: Review) -> ReviewState:
    found = await roster(session, review)
    return ReviewState(
        review=review,
        recipients=found.recipients,
        answers=found.answers,
        progress=await preparation.progress_for_review(session, review.id, has_questions),
        anything_missing=found.anything_missing,
        coordinators=await coordinator_chats(svc.settings, session, review_id=review.id),
        interpreters_needed=bool(await needs.interpreters_for_review(session, review.id)),
    )


async def _plan_participant(
    svc: Services, session: AsyncSession, review: Review, participant_id: int, now: datetime
) -> None:
    """The same rows `wanted_for_review` gives this participant, worked out alone."""
    participant = await session.get(Participant, participant_id)
    if participant is None or participant.review_id != review.id:
        return
    person = await session.get(Person, participant.person_id) if participant.person_id else None
    wanted: list[Wanted] = []
    reachable = person is not None and person.unreachable_since is None
    if _ahead(review, now) and participant.removed_at is None and reachable:
        assert person is not None
        answer = await attendance.answer_of(session, participant.id)
        progress = await preparation.progress_for_review(
            session, review.id, has_questions, participant_id=participant.id
        )
        times = _participant_reminders(
            svc, review, participant, person, answer, progress.get(participant.id)
        )
        wanted = [w for w in times if w.due < review.scheduled_at]
    scope = (Reminder.review_id == review.id) & (Reminder.participant_id == participant.id)
    await reconcile(session, scope, PARTICIPANT_KINDS, wanted, now)


async def _plan_summaries(
    svc: Services, session: AsyncSession, review: Review, now: datetime
) -> None:
    """The coordinators' "who has not answered" summaries, worked out alone."""
    wanted: list[Wanted] = []
    if _ahead(review, now) and (await roster(session, review)).anything_missing:
        chats = await coordinator_chats(svc.settings, session, review_id=review.id)
        times = _coordinator_summaries(svc, review, chats)
        wanted = [w for w in times if w.due < review.scheduled_at]
    await reconcile(
        session, Reminder.review_id == review.id, (ReminderKind.COORD_ATTENDANCE,), wanted, now
    )


def _ahead(review: Review, now: datetime) -> bool:
    return review.status == ReviewStatus.SCHEDULED and review.scheduled_at > now


async def _people(session: AsyncSession, ids: set[int]) -> dict[int, Person]:
    if not ids:
        return {}
    rows = await session.scalars(select(Person).where(Person.id.in_(ids)))
    return {p.id: p for p in rows}


def wanted_for_review(svc: Services, state: ReviewState, now: datetime) -> list[Wanted]:
    review = state.review
    if not _ahead(review, now):
        return []
    wanted: list[Wanted] = []
    for participant, person in state.recipients:
        answer, progress = state.answers.get(participant.id), state.progress.get(participant.id)
        wanted += _participant_reminders(svc, review, participant, person, answer, progress)
    if state.anything_missing:
        wanted += _coordinator_summaries(svc, review, state.coordinators)
    if state.interpreters_needed:
        wanted += _interpreter_reminders(svc, review, state.coordinators)
    # A reminder pushed past the start by quiet hours is no use.
    return [w for w in wanted if w.due < review.scheduled_at]


def _participant_reminders(
    svc: Services,
    review: Review,
    participant: Participant,
    person: Person,
    answer: str | None,
    progress: str | None,
) -> list[Wanted]:
    s = svc.settings
    times: list[tuple[str, int, datetime]] = []
    if answer != Answer.CANNOT:
        times += [
            (ReminderKind.REVIEW_REMINDER, d, _before(svc, review, d))
            for d in s.review_reminder_days
        ]
        morning = local_at(
            review.scheduled_at.astimezone(s.zone).date(), s.morning_reminder_time, s.zone
        )
        times.append((ReminderKind.REVIEW_REMINDER, 0, morning))
    if answer is None:
        times += [(ReminderKind.RSVP_NUDGE, d, _before(svc, review, d)) for d in s.rsvp_nudge_days]
    if progress != PrepStatus.SUBMITTED:
        times += [
            (ReminderKind.PREP_NUDGE, d, _before(svc, review, d)) for d in s.preparation_nudge_days
        ]
    return [
        Wanted(
            key=f"{kind}:{days}d:r{review.id}:s{review.sequence}:p{participant.id}",
            kind=kind,
            due=out_of_quiet_hours(due, s),
            chat_id=person.chat_id,
            review_id=review.id,
            participant_id=participant.id,
            person_id=person.id,
            payload={"days": days},
        )
        for kind, days, due in times
    ]


def _before(svc: Services, review: Review, days: int) -> datetime:
    s = svc.settings
    return days_before(review.scheduled_at, days, s.reminder_time, s.zone)


def _coordinator_summaries(svc: Services, review: Review, chats: list[int]) -> list[Wanted]:
    s = svc.settings
    return [
        Wanted(
            key=f"{ReminderKind.COORD_ATTENDANCE}:{days}d:r{review.id}:s{review.sequence}:c{chat}",
            kind=ReminderKind.COORD_ATTENDANCE,
            due=out_of_quiet_hours(_before(svc, review, days), s),
            chat_id=chat,
            review_id=review.id,
            payload={"days": days},
        )
        for days in s.coordinator_summary_days
        for chat in chats
    ]


def _interpreter_reminders(svc: Services, review: Review, chats: list[int]) -> list[Wanted]:
    """Book the interpreter: some days before, and again the day before (who needs one is
    worked out again when it is sent)."""
    s = svc.settings
    return [
        Wanted(
            key=f"{ReminderKind.COORD_INTERPRETER}:{days}d:r{review.id}:s{review.sequence}:c{chat}",
            kind=ReminderKind.COORD_INTERPRETER,
            due=out_of_quiet_hours(_before(svc, review, days), s),
            chat_id=chat,
            review_id=review.id,
            payload={"days": days},
        )
        for days in s.interpreter_reminder_days
        for chat in chats
    ]


async def _notices(
    svc: Services, session: AsyncSession, state: ReviewState, reason: str, now: datetime
) -> None:
    """A move or a cancellation: everyone who joined gets the news and a new .ics."""
    review = state.review
    if reason == "rescheduled" and review.status == ReviewStatus.SCHEDULED:
        kind = ReminderKind.CALENDAR_UPDATE
    elif reason == "cancelled" and review.status == ReviewStatus.CANCELLED:
        kind = ReminderKind.CALENDAR_CANCEL
    else:
        return
    rows = await _rows(session, Reminder.review_id == review.id, NOTICE_KINDS)
    for row in rows:
        if row.status == ReminderStatus.PENDING:  # an older, unsent notice is out of date now
            _cancel(row, "superseded")
    known = {row.key for row in rows}
    due = out_of_quiet_hours(now, svc.settings)
    for participant, person in state.recipients:
        key = f"{kind}:r{review.id}:s{review.sequence}:p{participant.id}"
        if key not in known:
            session.add(
                new_row(
                    Wanted(
                        key,
                        kind,
                        due,
                        person.chat_id,
                        review_id=review.id,
                        participant_id=participant.id,
                        person_id=person.id,
                        payload={"sequence": review.sequence},
                    )
                )
            )


async def plan_young_person(svc: Services, session: AsyncSession, young_person_id: int) -> None:
    """The next inpatient / post-admission review: book ahead, then chase if overdue."""
    now = svc.now()
    due = await next_due(svc, session, young_person_id)
    chats: list[int] = []
    if due:
        entry = await session.scalar(
            select(DsrEntry).where(DsrEntry.young_person_id == young_person_id)
        )
        # On the register: its team's coordinators (even before any review in the bot).
        if entry is not None:
            chats = await team_chats(svc.settings, session, entry.team_id)
        elif due[2] is not None:
            chats = await coordinator_chats(svc.settings, session, review_id=due[2])
    wanted = _booking_reminders(svc, young_person_id, due, now, chats) if due else []
    await reconcile(
        session, Reminder.young_person_id == young_person_id, BOOKING_KINDS, wanted, now
    )


async def next_due(
    svc: Services, session: AsyncSession, young_person_id: int
) -> tuple[ReviewType, date, int | None] | None:
    """(type, due date, latest live review id) of the next review, or None."""
    person = await session.get(YoungPerson, young_person_id)
    if person is None:
        return None
    reviews = (
        await session.scalars(select(Review).where(Review.young_person_id == young_person_id))
    ).all()
    zone = svc.settings.zone
    history = [
        PastReview(
            r.id, ReviewType(r.type), r.scheduled_at.astimezone(zone).date(), ReviewStatus(r.status)
        )
        for r in reviews
    ]
    recorded = (
        await session.scalars(
            select(RecordedReview).where(RecordedReview.young_person_id == young_person_id)
        )
    ).all()
    facts = YoungPersonFacts(person.date_of_birth, Setting(person.setting), person.admitted_on)
    if recorded or await _on_register(session, young_person_id):
        found = _next_with_register(svc, person, history, recorded)
    else:
        found = next_review_due(person=facts, history=history, policy=svc.policy)
    if found is None:
        return None
    # Named in the coordinator's message by the review they know (never the child's ref).
    pool = [r for r in reviews if r.status != ReviewStatus.CANCELLED] or list(reviews)
    latest = max(pool, key=lambda r: r.scheduled_at).id if pool else None
    return found[0], found[1], latest


async def _on_register(session: AsyncSession, young_person_id: int) -> bool:
    found = await session.scalar(
        select(DsrEntry.id).where(DsrEntry.young_person_id == young_person_id)
    )
    return found is not None


def _next_with_register(
    svc: Services,
    person: YoungPerson,
    history: list[PastReview],
    recorded: Sequence[RecordedReview],
) -> tuple[ReviewType, date] | None:
    """With reviews recorded from elsewhere, or on the register: the register's rule
    (a community CETR or LAEP meeting in the months before admission counts)."""
    if person.setting != Setting.INPATIENT or person.admitted_on is None:
        return None
    checks = [
        Check(RecordedType(r.type), r.on) for r in history if r.status != ReviewStatus.CANCELLED
    ] + [Check(RecordedType(r.type), r.held_on) for r in recorded]
    kind, due = next_inpatient_cetr(person.admitted_on, checks, svc.dsr_policy, svc.policy)
    return ReviewType(kind), due


def _booking_reminders(
    svc: Services,
    young_person_id: int,
    due: tuple[ReviewType, date, int | None],
    now: datetime,
    chats: list[int],
) -> list[Wanted]:
    s = svc.settings
    review_type, due_on, after = due
    ahead = local_at(due_on - timedelta(weeks=s.book_ahead_weeks), s.reminder_time, s.zone)
    overdue = local_at(due_on + timedelta(days=1), s.reminder_time, s.zone)
    # Discovered late (e.g. an admission entered after the fact): tell them now, and
    # once overdue only the overdue alert matters.
    plan = (
        [(ReminderKind.NEXT_OVERDUE, overdue)]
        if overdue <= now
        else [(ReminderKind.BOOK_NEXT, ahead), (ReminderKind.NEXT_OVERDUE, overdue)]
    )
    payload = {"type": str(review_type), "due": due_on.isoformat(), "after_review": after}
    return [
        Wanted(
            key=f"{kind}:y{young_person_id}:{review_type}:{due_on.isoformat()}:c{chat}",
            kind=kind,
            due=out_of_quiet_hours(max(at, now), s),
            chat_id=chat,
            young_person_id=young_person_id,
            review_id=after,
            payload=payload,
        )
        for kind, at in plan
        for chat in chats
    ]


async def _rows(
    session: AsyncSession, scope: ColumnElement[bool], kinds: Iterable[str]
) -> list[Reminder]:
    # Locked on PostgreSQL so a dispatcher (SKIP LOCKED) cannot claim a row we are moving.
    result = await session.scalars(
        select(Reminder).where(scope, Reminder.kind.in_(list(kinds))).with_for_update()
    )
    return list(result)


async def reconcile(
    session: AsyncSession,
    scope: ColumnElement[bool],
    kinds: Iterable[str],
    wanted: list[Wanted],
    now: datetime,
) -> None:
    """Add, move, revive or cancel pending rows in `scope` so they match `wanted`."""
    rows = await _rows(session, scope, kinds)
    by_key = {row.key: row for row in rows}
    for want in wanted:
        row = by_key.get(want.key)
        if row is None:
            # A reminder whose time passed before it was planned is not sent late.
            if want.due >= now:
                session.add(new_row(want))
        elif row.status == ReminderStatus.PENDING:
            _move(row, want)
        elif row.status == ReminderStatus.CANCELLED and want.due >= now:
            _revive(row, want)
    keys = {w.key for w in wanted}
    for row in rows:
        if row.status == ReminderStatus.PENDING and row.key not in keys:
            _cancel(row, "not_needed")


def new_row(want: Wanted) -> Reminder:
    return Reminder(
        key=want.key,
        kind=want.kind,
        review_id=want.review_id,
        young_person_id=want.young_person_id,
        participant_id=want.participant_id,
        person_id=want.person_id,
        chat_id=want.chat_id,
        due_at=want.due,
        send_after=want.due,
        status=ReminderStatus.PENDING,
        attempts=0,
        payload=dict(want.payload),
    )


def _move(row: Reminder, want: Wanted) -> None:
    if row.due_at != want.due:
        # A row waiting out a retry keeps its back-off.
        row.send_after = want.due if row.attempts == 0 else max(want.due, row.send_after)
        row.due_at = want.due
    if row.chat_id != want.chat_id:
        row.chat_id = want.chat_id


def _revive(row: Reminder, want: Wanted) -> None:
    row.status, row.attempts, row.last_error = ReminderStatus.PENDING, 0, None
    row.due_at = row.send_after = want.due
    row.chat_id = want.chat_id


def _cancel(row: Reminder, why: str) -> None:
    row.status, row.last_error = ReminderStatus.CANCELLED, why
