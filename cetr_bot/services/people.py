"""People as Telegram users: how each one reads (language, easy-read), and hearing
from someone proves their chat works again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import Need, Role
from cetr_bot.services import reminders
from cetr_bot.services.context import Actor, Services, audit
from cetr_bot.services.errors import ServiceError
from cetr_bot.services.events import review_changed
from cetr_bot.storage.models import Participant, Person
from cetr_bot.storage.models_needs import CommunicationNeed
from cetr_bot.text import language_for, languages


@dataclass(frozen=True)
class Reader:
    """How someone reads what the bot sends: their language, and easy-read when they
    take part as the young person or asked for it as a communication need (/needs)."""

    person_id: int | None
    language: str
    easy_read: bool
    unreachable: bool = False


# Easy-read for whoever takes part as the young person in a review still running for
# them (not a deputy standing in for them).
_YOUNG = exists().where(
    and_(
        Participant.person_id == Person.id,
        Participant.role == Role.YOUNG_PERSON.value,
        Participant.deputy_for_id.is_(None),
        Participant.removed_at.is_(None),
    )
)
# ...and for anyone who asked for easy-read as a communication need (services/needs.py).
_ASKED_EASY = exists().where(
    and_(
        CommunicationNeed.person_id == Person.id,
        CommunicationNeed.need == Need.EASY_READ.value,
    )
)
_READER = select(
    Person.id, Person.language, _YOUNG | _ASKED_EASY, Person.unreachable_since.is_not(None)
)


async def reader(svc: Services, telegram_user_id: int, *, language_code: str | None) -> Reader:
    """How this Telegram user reads; someone not known yet reads in their Telegram
    language (if shipped). One bare read: this runs on every update."""
    async with svc.db.engine.connect() as conn:
        row = (
            await conn.execute(_READER.where(Person.telegram_user_id == telegram_user_id))
        ).first()
    if row is None:
        return Reader(None, language_for(language_code), easy_read=False)
    person_id, language, young, unreachable = row
    return Reader(person_id, language, bool(young), bool(unreachable))


async def readers(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, Reader]:
    """Person id → how they read, for a batch of messages to them."""
    wanted = set(person_ids)
    if not wanted:
        return {}
    rows = await session.execute(_READER.where(Person.id.in_(wanted)))
    return {pid: Reader(pid, lang, bool(young), bool(off)) for pid, lang, young, off in rows}


async def set_language(svc: Services, actor: Actor, *, language: str) -> str:
    """/language: the person's language from now on (in chat and on the web pages)."""
    if language not in languages():
        raise ServiceError("unknown_language", language=language[:16])
    async with svc.db.transaction() as session:
        person = await session.scalar(
            select(Person).where(Person.telegram_user_id == actor.telegram_user_id)
        )
        if person is None:
            raise ServiceError("language_not_joined")
        person.language = language
        audit(session, "language_set", actor=actor, person_id=person.id, language=language)
    return language


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
