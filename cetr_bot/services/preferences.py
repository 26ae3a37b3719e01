"""A person's own preferences (for now: one daily digest of action reminders and, for a
coordinator, of who joined their reviews)."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.services.context import Actor, Services, audit
from cetr_bot.services.errors import NotAllowed
from cetr_bot.services.events import person_changed
from cetr_bot.storage.models import Person
from cetr_bot.storage.models_actions import DigestPreference


async def set_digest(svc: Services, actor: Actor, *, at: time | None) -> None:
    """One message a day at `at` (local time), or None for one message per reminder."""
    async with svc.db.transaction() as session:
        person = await session.scalar(
            select(Person).where(Person.telegram_user_id == actor.telegram_user_id)
        )
        if person is None and at is not None and await _coordinates(svc, session, actor):
            # A coordinator who takes part in no review: their digest needs a person row.
            person = Person(telegram_user_id=actor.telegram_user_id, chat_id=actor.chat_id)
            session.add(person)
            await session.flush()
        if person is None:
            raise NotAllowed("not_a_participant")
        row = await session.get(DigestPreference, person.id)
        if at is None:
            if row is not None:
                await session.delete(row)
        elif row is None:
            session.add(DigestPreference(person_id=person.id, local_time=at))
        else:
            row.local_time = at
        audit(session, "digest_set", actor=actor, person_id=person.id, daily=at is not None)
        await person_changed(svc, session, person.id, reason="digest")


async def _coordinates(svc: Services, session: AsyncSession, actor: Actor) -> bool:
    scope = await svc.team_scope(session, actor)
    return scope is not None and scope.any


async def digest_time(svc: Services, person_id: int) -> time | None:
    async with svc.db.transaction() as session:
        row = await session.get(DigestPreference, person_id)
        return row.local_time if row else None
