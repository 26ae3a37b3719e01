"""The coordinators' notices (services/notices.py), rendered at sending time: role and
review number only. A panel deputy's join notice carries the Approve button until
someone approves them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import ReminderKind, ReminderStatus, Role
from cetr_bot.notifications import keyboards
from cetr_bot.scheduling.outgoing import Composed, Outgoing, Skip
from cetr_bot.services import deputies
from cetr_bot.storage.models import Participant
from cetr_bot.storage.models_reminders import Reminder
from cetr_bot.text import Texts

TEMPLATES = {
    ReminderKind.COORD_JOINED: "coordinator/notice_joined",
    ReminderKind.COORD_DEPUTY_LINK: "coordinator/notice_deputy_link",
    ReminderKind.COORD_PACK_ASKED: "coordinator/notice_pack_asked",
}


async def compose_row(texts: Texts, session: AsyncSession, row: Reminder) -> Composed:
    member = await session.get(Participant, int(row.payload.get("participant_id", 0)))
    if member is None or row.review_id is None:
        return Skip(ReminderStatus.SKIPPED, "participant gone")
    stands_for = (
        await session.get(Participant, member.deputy_for_id) if member.deputy_for_id else None
    )
    waiting = deputies.awaiting_approval(member) and member.person_id is not None
    text = texts.render(
        TEMPLATES[ReminderKind(row.kind)],
        review_id=row.review_id,
        participant_id=member.id,
        role=Role(member.role),
        deputy_for=Role(stands_for.role) if stands_for is not None else None,
        deputy_for_id=member.deputy_for_id,
        waiting=waiting,
        panel_deputy=deputies.awaiting_approval(member) or member.approved_at is not None,
        why=row.payload.get("why"),
    )
    keyboard = keyboards.approve_deputy(texts, member.id) if waiting else None
    return Outgoing(text, keyboard)
