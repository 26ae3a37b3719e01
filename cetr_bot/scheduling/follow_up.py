"""Reminders after a review: action notices, due-date reminders, chasers and
escalations; the daily digest; the report and the young person's feedback.

Like the review planner, everything here is worked out from the current state and
reconciled with the pending rows (planner.reconcile), inside the transaction of
the change. Times are local times of day, stored in UTC, out of quiet hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import FAMILY_ROLES, PANEL_ROLES, ActionStatus, ReminderKind, ReviewStatus
from cetr_bot.scheduling import planner as p
from cetr_bot.scheduling.timeline import local_at, out_of_quiet_hours
from cetr_bot.services import consent, deputies, feedback, pack
from cetr_bot.services.context import Services
from cetr_bot.storage.coordinators import coordinator_chats, team_scope
from cetr_bot.storage.models import Participant, Person, Review
from cetr_bot.storage.models_actions import Action, DigestPreference, ReviewFollowUp
from cetr_bot.storage.models_reminders import Reminder
from cetr_bot.storage.queries import preparation

ACTION_KINDS = (
    ReminderKind.ACTION_DUE,
    ReminderKind.ACTION_CHASE,
    ReminderKind.ACTION_ESCALATE,
    ReminderKind.ACTION_DIGEST,
)
FOLLOW_UP_KINDS = (ReminderKind.REPORT_DUE, ReminderKind.REPORT_LATE, ReminderKind.FEEDBACK_ASK)
KINDS = frozenset(
    {
        ReminderKind.ACTION_NOTICE,
        ReminderKind.ACTION_RETURNED,
        ReminderKind.PACK,
        ReminderKind.YP_FEEDBACK,
        ReminderKind.YP_QUESTION,
        ReminderKind.YP_ANSWER,
        *ACTION_KINDS,
        *FOLLOW_UP_KINDS,
    }
)
OWNER_KINDS = frozenset({ReminderKind.ACTION_DUE, ReminderKind.ACTION_CHASE})


@dataclass(frozen=True)
class Owner:
    participant: Participant
    person: Person | None


def _at(svc: Services, day: date) -> datetime:
    s = svc.settings
    return out_of_quiet_hours(local_at(day, s.reminder_time, s.zone), s)


def next_working_day(day: date) -> date:
    """The next Monday to Friday after `day` (bank holidays are not known here)."""
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def action_dates(svc: Services, action: Action) -> list[tuple[ReminderKind, date, int]]:
    """(kind, day, n) for the owner's reminders and the escalation of one action."""
    s = svc.settings
    dates = [
        (ReminderKind.ACTION_DUE, action.due_on - timedelta(days=d), d)
        for d in s.action_reminder_days
    ]
    chase = next_working_day(action.due_on)
    for n in range(s.action_max_chases):
        dates.append((ReminderKind.ACTION_CHASE, chase, n))
        chase += timedelta(days=s.action_chase_every_days)
    escalate = action.due_on + timedelta(days=s.action_escalate_after_days)
    dates.append((ReminderKind.ACTION_ESCALATE, escalate, 0))
    return dates


async def _owner(session: AsyncSession, action: Action) -> Owner:
    participant = await session.get_one(Participant, action.owner_participant_id)
    person = await session.get(Person, participant.person_id) if participant.person_id else None
    return Owner(participant, person)


def _reachable(person: Person | None) -> bool:
    return person is not None and person.unreachable_since is None


async def plan_action(svc: Services, session: AsyncSession, action_id: int, *, reason: str) -> None:
    action = await session.get(Action, action_id)
    if action is None:
        return
    now = svc.now()
    owner = await _owner(session, action)
    await _notice(svc, session, action, owner, reason, now)
    wanted = await _wanted_for_action(svc, session, action, owner)
    scope = Reminder.key.like(f"action_%:a{action.id}:%")
    await p.reconcile(
        session,
        scope,
        (ReminderKind.ACTION_DUE, ReminderKind.ACTION_CHASE, ReminderKind.ACTION_ESCALATE),
        wanted,
        now,
    )
    if owner.person is not None:
        await plan_person(svc, session, owner.person.id, reason=reason)


async def _notice(
    svc: Services,
    session: AsyncSession,
    action: Action,
    owner: Owner,
    reason: str,
    now: datetime,
) -> None:
    """One-off messages caused by this change, added once (their key is unique)."""
    due = out_of_quiet_hours(now, svc.settings)
    notes: list[p.Wanted] = []
    if reason in ("created", "edited", "reassigned", "cancelled") and _reachable(owner.person):
        assert owner.person is not None
        notes.append(
            p.Wanted(
                key=f"{ReminderKind.ACTION_NOTICE}:a{action.id}:v{action.version}",
                kind=ReminderKind.ACTION_NOTICE,
                due=due,
                chat_id=owner.person.chat_id,
                review_id=action.review_id,
                participant_id=owner.participant.id,
                person_id=owner.person.id,
                payload={"action_id": action.id, "reason": reason, "version": action.version},
            )
        )
    if reason in ("help", "not_mine"):
        notes += [
            p.Wanted(
                key=f"{ReminderKind.ACTION_RETURNED}:a{action.id}:v{action.version}:c{chat}",
                kind=ReminderKind.ACTION_RETURNED,
                due=now,
                chat_id=chat,
                review_id=action.review_id,
                payload={"action_id": action.id, "reason": reason, "version": action.version},
            )
            for chat in await coordinator_chats(svc.settings, session, review_id=action.review_id)
        ]
    known = (
        set(
            await session.scalars(
                select(Reminder.key).where(Reminder.key.in_([n.key for n in notes]))
            )
        )
        if notes
        else set()
    )
    for note in notes:
        if note.key not in known:
            session.add(p.new_row(note))


async def _wanted_for_action(
    svc: Services, session: AsyncSession, action: Action, owner: Owner
) -> list[p.Wanted]:
    if action.status != ActionStatus.OPEN:
        return []
    digest = (
        await session.get(DigestPreference, owner.person.id) if owner.person is not None else None
    )
    coordinators = await coordinator_chats(svc.settings, session, review_id=action.review_id)
    wanted = []
    for kind, day, n in action_dates(svc, action):
        base = f"{kind}:a{action.id}:{day.isoformat()}:{n}"
        if kind == ReminderKind.ACTION_ESCALATE:
            wanted += [
                p.Wanted(
                    key=f"{base}:c{chat}",
                    kind=kind,
                    due=_at(svc, day),
                    chat_id=chat,
                    review_id=action.review_id,
                    payload={"action_id": action.id},
                )
                for chat in coordinators
            ]
        elif _reachable(owner.person) and digest is None:
            assert owner.person is not None
            wanted.append(
                p.Wanted(
                    key=base,
                    kind=kind,
                    due=_at(svc, day),
                    chat_id=owner.person.chat_id,
                    review_id=action.review_id,
                    participant_id=owner.participant.id,
                    person_id=owner.person.id,
                    payload={"action_id": action.id, "n": n},
                )
            )
    return wanted


async def plan_person(svc: Services, session: AsyncSession, person_id: int, *, reason: str) -> None:
    """The daily digest for an owner who chose one: a row on each day one of their
    open actions would have had a reminder."""
    person = await session.get(Person, person_id)
    if person is None:
        return
    now = svc.now()
    digest = await session.get(DigestPreference, person_id)
    wanted: list[p.Wanted] = []
    if digest is not None and _reachable(person):
        days: set[date] = set()
        for action in await open_actions_of(session, person_id):
            days |= {day for kind, day, _ in action_dates(svc, action) if kind in OWNER_KINDS}
        s = svc.settings
        join_day = await next_digest_with_joins(svc, session, person, digest.local_time)
        if join_day is not None:
            days.add(join_day)
        wanted = [
            p.Wanted(
                key=f"{ReminderKind.ACTION_DIGEST}:p{person_id}:{day.isoformat()}",
                kind=ReminderKind.ACTION_DIGEST,
                due=out_of_quiet_hours(local_at(day, digest.local_time, s.zone), s),
                chat_id=person.chat_id,
                person_id=person_id,
                payload={"day": day.isoformat()},
            )
            for day in sorted(days)
        ]
    scope = Reminder.key.like(f"{ReminderKind.ACTION_DIGEST}:p{person_id}:%")
    await p.reconcile(session, scope, (ReminderKind.ACTION_DIGEST,), wanted, now)
    if reason == "digest":
        # Turning the digest on or off moves the per-action reminders too.
        for action in await open_actions_of(session, person_id):
            owner = await _owner(session, action)
            scope = Reminder.key.like(f"action_%:a{action.id}:%")
            await p.reconcile(
                session,
                scope,
                (ReminderKind.ACTION_DUE, ReminderKind.ACTION_CHASE, ReminderKind.ACTION_ESCALATE),
                await _wanted_for_action(svc, session, action, owner),
                now,
            )


async def open_actions_of(session: AsyncSession, person_id: int) -> list[Action]:
    rows = await session.scalars(
        select(Action)
        .join(Participant, Participant.id == Action.owner_participant_id)
        .where(
            Participant.person_id == person_id,
            Participant.removed_at.is_(None),
            Action.status == ActionStatus.OPEN,
        )
        .order_by(Action.due_on, Action.id)
    )
    return list(rows)


async def plan_follow_up(svc: Services, session: AsyncSession, review_id: int) -> None:
    """After a review is held: remind the coordinators about the report, tell the
    family kindly if it is late, and ask the young person for feedback."""
    review = await session.get(Review, review_id)
    if review is None:
        return
    now = svc.now()
    wanted: list[p.Wanted] = []
    if review.status == ReviewStatus.HELD and review.held_on is not None:
        follow = await session.get(ReviewFollowUp, review_id)
        sent = follow is not None and follow.report_sent_at is not None
        wanted = [] if sent else await _report_wanted(svc, session, review, review.held_on)
        wanted += await _feedback_wanted(svc, session, review, review.held_on)
    scope = Reminder.review_id == review_id
    await p.reconcile(session, scope, FOLLOW_UP_KINDS, wanted, now)
    await p.reconcile(
        session, scope, (ReminderKind.PACK,), await _pack_wanted(svc, session, review), now
    )


async def _pack_wanted(svc: Services, session: AsyncSession, review: Review) -> list[p.Wanted]:
    """The pack goes out `pack_hours_before` the review to the panel and the
    coordinators, once consent (or a best-interests decision) is recorded; before
    that only the coordinators hear it is held back. After it went out, a change
    in what it says makes a new version, sent at once."""
    now = svc.now()
    if review.status != ReviewStatus.SCHEDULED or review.scheduled_at <= now:
        return []
    when = max(review.scheduled_at - timedelta(hours=svc.settings.pack_hours_before), now)
    allowed = (await consent.consent_state(session, review.id)).share_allowed
    tag = f"s{review.sequence}:c{int(allowed)}"
    if allowed and await preparation.papers_sent(session, review.id):
        current = await pack.build(svc, session, review.id)
        # Nothing new: the same keys as the rows already sent, so nothing is added.
        if current.fingerprint != await pack.last_fingerprint(session, review.id):
            tag, when = f"v{current.version}", now
    recipients: list[tuple[int, int | None, int | None]] = [
        (chat, None, None)
        for chat in await coordinator_chats(svc.settings, session, review_id=review.id)
    ]
    recipients += [
        (chat, m.id, person_id)
        for chat, m, person_id in await _panel(session, review.id)
        if pack.access(coordinator=False, places=[m], consent_given=allowed) == pack.READ
    ]
    return [
        p.Wanted(
            key=f"{ReminderKind.PACK}:r{review.id}:{tag}:{chat}",
            kind=ReminderKind.PACK,
            due=out_of_quiet_hours(when, svc.settings),
            chat_id=chat,
            review_id=review.id,
            participant_id=participant_id,
            person_id=person_id,
            payload={"allowed": allowed},
        )
        for chat, participant_id, person_id in recipients
    ]


async def _panel(session: AsyncSession, review_id: int) -> list[tuple[int, Participant, int]]:
    rows = await session.execute(
        select(Participant, Person)
        .join(Person, Person.id == Participant.person_id)
        .where(
            Participant.review_id == review_id,
            Participant.removed_at.is_(None),
            Participant.role.in_([str(r) for r in PANEL_ROLES]),
        )
    )
    return [
        (person.chat_id, m, person.id) for m, person in rows if person.unreachable_since is None
    ]


async def _family(session: AsyncSession, review_id: int) -> list[tuple[Participant, Person]]:
    rows = await session.execute(
        select(Participant, Person)
        .join(Person, Person.id == Participant.person_id)
        .where(
            Participant.review_id == review_id,
            Participant.removed_at.is_(None),
            Participant.role.in_([str(r) for r in FAMILY_ROLES]),
        )
    )
    return [(m, person) for m, person in rows if person.unreachable_since is None]


async def _report_wanted(
    svc: Services, session: AsyncSession, review: Review, held: date
) -> list[p.Wanted]:
    s = svc.settings
    coordinators = await coordinator_chats(s, session, review_id=review.id)
    wanted = [
        p.Wanted(
            key=f"{ReminderKind.REPORT_DUE}:r{review.id}:{d}d:c{chat}",
            kind=ReminderKind.REPORT_DUE,
            due=_at(svc, held + timedelta(days=d)),
            chat_id=chat,
            review_id=review.id,
            payload={"days": d},
        )
        for d in s.report_reminder_days
        for chat in coordinators
    ]
    late = held + timedelta(days=s.report_due_days + 1)
    wanted += [
        p.Wanted(
            key=f"{ReminderKind.REPORT_LATE}:r{review.id}:p{m.id}",
            kind=ReminderKind.REPORT_LATE,
            due=_at(svc, late),
            chat_id=person.chat_id,
            review_id=review.id,
            participant_id=m.id,
            person_id=person.id,
            payload={"role": m.role},
        )
        for m, person in await _family(session, review.id)
    ]
    return wanted


async def _feedback_wanted(
    svc: Services, session: AsyncSession, review: Review, held: date
) -> list[p.Wanted]:
    day = held + timedelta(days=svc.settings.feedback_ask_after_days)
    now = svc.now()
    if now > _at(svc, held + timedelta(days=7)):
        return []  # the week for feedback is over
    due = max(_at(svc, day), now)  # e.g. reachable again after the planned time: ask now
    return [
        p.Wanted(
            key=f"{ReminderKind.FEEDBACK_ASK}:r{review.id}:p{m.id}",
            kind=ReminderKind.FEEDBACK_ASK,
            due=due,
            chat_id=person.chat_id,
            review_id=review.id,
            participant_id=m.id,
            person_id=person.id,
        )
        for m, person in await _family(session, review.id)
        if deputies.is_the_young_person(m) and not await feedback.has_answered(session, m.id)
    ]


async def _add_once(session: AsyncSession, wanted: list[p.Wanted]) -> None:
    known = (
        set(
            await session.scalars(
                select(Reminder.key).where(Reminder.key.in_([w.key for w in wanted]))
            )
        )
        if wanted
        else set()
    )
    for want in wanted:
        if want.key not in known:
            session.add(p.new_row(want))


async def plan_yp_feedback(svc: Services, session: AsyncSession, review_id: int) -> None:
    due = out_of_quiet_hours(svc.now(), svc.settings)
    await _add_once(
        session,
        [
            p.Wanted(
                key=f"{ReminderKind.YP_FEEDBACK}:r{review_id}:p{m.id}",
                kind=ReminderKind.YP_FEEDBACK,
                due=due,
                chat_id=person.chat_id,
                review_id=review_id,
                participant_id=m.id,
                person_id=person.id,
            )
            for m, person in await _family(session, review_id)
            if deputies.is_the_young_person(m)
        ],
    )


async def plan_yp_question(
    svc: Services, session: AsyncSession, review_id: int, question_id: int
) -> None:
    """A copy of the question to each coordinator (its words stay in its own row)."""
    await _add_once(
        session,
        [
            p.Wanted(
                key=f"{ReminderKind.YP_QUESTION}:r{review_id}:q{question_id}:c{chat}",
                kind=ReminderKind.YP_QUESTION,
                due=svc.now(),
                chat_id=chat,
                review_id=review_id,
                payload={"question_id": question_id},
            )
            for chat in await coordinator_chats(svc.settings, session, review_id=review_id)
        ],
    )


# --- the coordinator's joins, in their daily digest ------------------------------------------


@dataclass(frozen=True)
class Join:
    review_id: int
    participant_id: int
    role: str


def digest_moment(svc: Services, day: date, clock: time) -> datetime:
    s = svc.settings
    return out_of_quiet_hours(local_at(day, clock, s.zone), s)


def digest_window(svc: Services, day: date, clock: time) -> tuple[datetime, datetime]:
    """The joins one day's digest tells of: after the day before's digest, up to this one."""
    return digest_moment(svc, day - timedelta(days=1), clock), digest_moment(svc, day, clock)


async def joins_in(
    svc: Services, session: AsyncSession, person: Person, start: datetime, end: datetime
) -> list[Join]:
    """Who joined (not as a deputy: those are told at once) one of the reviews this person
    coordinates, in (start, end]. Nobody for someone who coordinates nothing."""
    if person.telegram_user_id is None:
        return []
    scope = await team_scope(svc.settings, session, person.telegram_user_id)
    if not scope.any:
        return []
    rows = await session.scalars(
        select(Participant)
        .join(Review, Review.id == Participant.review_id)
        .where(
            scope.clause(),
            Participant.joined_at > start,
            Participant.joined_at <= end,
            Participant.deputy_for_id.is_(None),
        )
        .order_by(Participant.joined_at, Participant.id)
    )
    return [Join(m.review_id, m.id, m.role) for m in rows]


async def next_digest_with_joins(
    svc: Services, session: AsyncSession, person: Person, clock: time
) -> date | None:
    """The day of the next digest, if someone has joined since the last one."""
    now = svc.now()
    today = now.astimezone(svc.settings.zone).date()
    day = next(d for d in (today, today + timedelta(days=1)) if digest_moment(svc, d, clock) > now)
    start, end = digest_window(svc, day, clock)
    return day if await joins_in(svc, session, person, start, end) else None
