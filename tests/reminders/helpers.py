"""Helpers for the reminder tests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from cetr_bot.runner import BotRunner
from cetr_bot.sandbox import SentMessage
from cetr_bot.scheduling.dispatcher import TickReport, dispatch_due
from cetr_bot.services import notices
from cetr_bot.services.context import Services
from cetr_bot.storage.models_reminders import Reminder


async def rows(svc: Services, **where: object) -> list[Reminder]:
    """Reminder rows, optionally filtered by column values, in due order."""
    async with svc.db.transaction() as session:
        query = select(Reminder).order_by(Reminder.due_at, Reminder.id)
        for name, value in where.items():
            query = query.where(getattr(Reminder, name) == value)
        return list(await session.scalars(query))


async def pending(svc: Services, **where: object) -> list[Reminder]:
    return await rows(svc, status="pending", **where)


async def tick(svc: Services, bot: BotRunner, *, at: datetime | None = None) -> TickReport:
    """Move the clock to `at` (if given) and run one dispatcher tick."""
    if at is not None:
        svc.clock.current = at  # type: ignore[attr-defined]
    return await dispatch_due(svc, bot.app.bot)


async def notices_done(svc: Services) -> None:
    """Take the coordinators' pending notices (someone joined...) as sent: for tests
    that count what one tick sends."""
    async with svc.db.transaction() as session:
        await session.execute(
            update(Reminder)
            .where(Reminder.kind.in_(notices.KINDS), Reminder.status == "pending")
            .values(status="sent")
        )


def without_join_notices(messages: list[SentMessage]) -> list[SentMessage]:
    """What a coordinator got besides the notices that someone joined."""
    return [m for m in messages if "Someone joined" not in m.plain]


def local(svc: Services, moment: datetime) -> str:
    return moment.astimezone(svc.settings.zone).strftime("%Y-%m-%d %H:%M")


async def seed_due(
    svc: Services, chats: list[int], *, due: datetime, review_at: datetime, per_chat: int = 1
) -> int:
    """A review with one joined participant per chat and `per_chat` due reminders each,
    written directly (fast); returns the review id."""
    from cetr_bot.storage.models import Participant, Person, Review, YoungPerson

    async with svc.db.transaction() as session:
        young = YoungPerson(ref=f"YP-LOAD-{chats[0]}", setting="inpatient")
        review = Review(
            young_person=young, type="inpatient", scheduled_at=review_at, status="scheduled"
        )
        session.add(review)
        members = []
        for chat in chats:
            person = Person(telegram_user_id=chat, chat_id=chat, preferred_name=f"P{chat}")
            members.append(Participant(review=review, role="other", person=person, joined_at=due))
        session.add_all(members)
        await session.flush()
        for member in members:
            for n in range(per_chat):
                session.add(
                    Reminder(
                        key=f"load:{member.id}:{n}",
                        kind="review_reminder",
                        review_id=review.id,
                        participant_id=member.id,
                        person_id=member.person_id,
                        chat_id=member.person.chat_id if member.person else 0,
                        due_at=due,
                        send_after=due,
                        status="pending",
                        attempts=0,
                        payload={"days": 2},
                    )
                )
        return review.id
