"""Helpers for the trust tests: RSVP cards, the state a refusal must leave alone, and the
coordinator's notices."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cetr_bot.sandbox import SandboxUser, SentMessage
from cetr_bot.services.context import Services
from cetr_bot.storage.models import Invitation, Participant
from cetr_bot.storage.models_preparation import ConsentRecord
from cetr_bot.storage.models_reminders import Attendance
from tests.preparation.helpers import START, YES

CANNOT = "✖️ Can't attend"
DEPUTY = "👤 Send someone in my place"
WRITTEN = "📝 Send written information"
SUPPORTER = "🤝 A supporter goes for me"


def rsvp_card(messages: list[SentMessage]) -> SentMessage:
    [card] = [m for m in messages if m.document]  # the RSVP question with the .ics
    return card


async def young_person_consents(user: SandboxUser) -> None:
    """In the walk-through: the panel may see my answers, and my family may come."""
    await user.tap(START)
    await user.tap(YES)
    await user.tap(YES)


async def snapshot(svc: Services) -> dict[str, Any]:
    """Everything a refused deputy or consent press could have changed."""
    async with svc.db.transaction() as session:
        participants = await session.execute(
            select(
                Participant.id,
                Participant.role,
                Participant.person_id,
                Participant.deputy_for_id,
                Participant.removed_at,
            ).order_by(Participant.id)
        )
        attendance = await session.execute(
            select(
                Attendance.participant_id,
                Attendance.status,
                Attendance.alternative,
                Attendance.deputy_participant_id,
            ).order_by(Attendance.participant_id)
        )
        invitations = await session.execute(
            select(Invitation.id, Invitation.used_at, Invitation.revoked_at).order_by(Invitation.id)
        )
        consents = await session.scalars(select(ConsentRecord.id))
        return {
            "participants": list(participants),
            "attendance": list(attendance),
            "invitations": list(invitations),
            "consents": list(consents),
        }


async def participant(svc: Services, participant_id: int) -> Participant:
    async with svc.db.transaction() as session:
        return await session.get_one(Participant, participant_id)


def texts_of(messages: list[SentMessage]) -> str:
    return "\n".join(m.plain for m in messages)
