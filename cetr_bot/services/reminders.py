"""Reminder rows as the coordinator sees them, and people who cannot be reached."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import ReminderKind, ReminderStatus, Role
from cetr_bot.services.context import Services, audit
from cetr_bot.storage.coordinators import coordinator_chats_for_person
from cetr_bot.storage.models import Participant, Person
from cetr_bot.storage.models_reminders import Reminder


@dataclass(frozen=True)
class DeliveryProblem:
    """`what` is 'unreachable' (blocked the bot), 'failed' or 'expired' (too late to send)."""

    what: str
    role: Role | None
    name: str | None
    kind: str | None = None
    attempts: int = 0
    error: str | None = None
    since: datetime | None = None


async def delivery_problems_for_review(
    svc: Services, session: AsyncSession, review_id: int
) -> list[DeliveryProblem]:
    """Unreachable people first, then reminders that failed or came too late."""
    participants = (
        await session.execute(
            select(Participant, Person)
            .join(Person, Person.id == Participant.person_id)
            .where(Participant.review_id == review_id, Participant.removed_at.is_(None))
        )
    ).all()
    problems = [
        DeliveryProblem(
            "unreachable", Role(p.role), person.preferred_name, since=person.unreachable_since
        )
        for p, person in participants
        if person.unreachable_since is not None
    ]
    roles = {p.id: (Role(p.role), person.preferred_name) for p, person in participants}
    rows = await session.scalars(
        select(Reminder)
        .where(
            Reminder.review_id == review_id,
            Reminder.status.in_([ReminderStatus.FAILED, ReminderStatus.EXPIRED]),
        )
        .order_by(Reminder.due_at, Reminder.id)
    )
    for row in rows:
        if row.last_error == "blocked":
            continue  # already shown as unreachable
        role, name = roles.get(row.participant_id or 0, (None, None))
        problems.append(
            DeliveryProblem(row.status, role, name, row.kind, row.attempts, row.last_error)
        )
    return problems


async def mark_unreachable(svc: Services, person_id: int) -> bool:
    """The person blocked the bot: stop writing to them (their answers are kept) and
    queue a note to each coordinator. False if they were already marked."""
    async with svc.db.transaction() as session:
        person = await session.get(Person, person_id, with_for_update=True)
        if person is None or person.unreachable_since is not None:
            return False
        now = svc.now()
        person.unreachable_since = now
        await session.execute(
            update(Reminder)
            .where(
                Reminder.person_id == person_id,
                # Claimed by a batch but not yet in flight: withdrawn as well.
                (Reminder.status == ReminderStatus.PENDING)
                | ((Reminder.status == ReminderStatus.SENDING) & Reminder.in_flight_at.is_(None)),
            )
            .values(status=ReminderStatus.CANCELLED, last_error="unreachable")
            .execution_options(synchronize_session=False)
        )
        stamp = now.strftime("%Y%m%d%H%M%S")
        if await _note_queued(session, person_id, stamp):
            audit(session, "unreachable", person_id=person_id)
            return True
        # No review here: the coordinators of every team with a review they are in.
        for chat in await coordinator_chats_for_person(svc.settings, session, person_id):
            session.add(
                Reminder.due_now(
                    now,
                    key=f"{ReminderKind.COORD_UNREACHABLE}:n{person_id}:{stamp}:c{chat}",
                    kind=ReminderKind.COORD_UNREACHABLE,
                    chat_id=chat,
                    payload={"person_id": person_id},
                )
            )
        audit(session, "unreachable", person_id=person_id)
        return True


async def _note_queued(session: AsyncSession, person_id: int, stamp: str) -> bool:
    """A note about this person still waits to go out (or went out this very second,
    when they wrote and blocked again at once): the coordinators need no second one."""
    prefix = f"{ReminderKind.COORD_UNREACHABLE}:n{person_id}:"
    found = await session.scalar(
        select(Reminder.id)
        .where(
            Reminder.key.startswith(prefix, autoescape=True),
            (Reminder.status == ReminderStatus.PENDING)
            | Reminder.key.startswith(f"{prefix}{stamp}:", autoescape=True),
        )
        .limit(1)
    )
    return found is not None
