"""People as Telegram users: hearing from someone proves their chat works again."""

from __future__ import annotations

from sqlalchemy import bindparam, select, update

from cetr_bot.services import reminders
from cetr_bot.services.context import Services
from cetr_bot.services.events import review_changed
from cetr_bot.storage.models import Participant, Person


async def blocked(svc: Services, telegram_user_id: int) -> bool:
    """A reply to this Telegram user was refused (they blocked the bot): mark them
    unreachable, as a failed reminder would. False if unknown or already marked."""
    async with svc.db.transaction() as session:
        person_id = await session.scalar(
            select(Person.id).where(Person.telegram_user_id == telegram_user_id)
        )
    if person_id is None:
        return False
    return await reminders.mark_unreachable(svc, person_id)


_MARKED = select(Person.id).where(
    Person.telegram_user_id == bindparam("user_id"), Person.unreachable_since.is_not(None)
)


async def seen(svc: Services, telegram_user_id: int) -> bool:
    """Someone marked unreachable (they had blocked the bot) wrote to us again: their
    reminders resume. Everyone else costs one read, never a write: this runs on every
    update. The read is of the database, not a cache, so a mark made by another
    process (the dispatcher, the CLI) is seen at once."""
    async with svc.db.engine.connect() as conn:  # a bare read: no ORM session, no commit
        marked = await conn.scalar(_MARKED, {"user_id": telegram_user_id})
    if marked is None:
        return False
    async with svc.db.transaction() as session:
        result = await session.execute(
            update(Person)
            .where(
                Person.telegram_user_id == telegram_user_id, Person.unreachable_since.is_not(None)
            )
            .values(unreachable_since=None)
            .returning(Person.id)
        )
        person_id = result.scalar_one_or_none()
        if person_id is None:
            return False
        reviews = await session.scalars(
            select(Participant.review_id).where(
                Participant.person_id == person_id, Participant.removed_at.is_(None)
            )
        )
        for review_id in set(reviews):
            await review_changed(svc, session, review_id, reason="reachable")
        return True
