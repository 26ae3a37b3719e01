"""Who speaks for whom.

Consent and the young person's feedback belong to the young person alone: nobody
joins as them through a deputy link. A deputy ("send someone in my place") stands in
*for* a participant (participants.deputy_for_id): they have their own answers only,
never the other person's consent, feedback or answers. A deputy for a panel role
reads nothing from the pack until a coordinator approves them (/approve P).
Every rule that decides by role asks here first.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import PANEL_ROLES, Role
from cetr_bot.services.context import Actor, Services, audit
from cetr_bot.services.errors import Invalid, NotFound
from cetr_bot.services.events import review_changed
from cetr_bot.storage.models import Participant

# For queries: the young person's own place in a review (not a deputy's).
THE_YOUNG_PERSON = and_(
    Participant.role == str(Role.YOUNG_PERSON), Participant.deputy_for_id.is_(None)
)
# For queries: someone who may act in their role (not a deputy awaiting approval).
TRUSTED = or_(Participant.deputy_for_id.is_(None), Participant.approved_at.is_not(None))


def is_the_young_person(participant: Participant) -> bool:
    return participant.role == Role.YOUNG_PERSON and participant.deputy_for_id is None


def trusted(participant: Participant) -> bool:
    return participant.deputy_for_id is None or participant.approved_at is not None


def awaiting_approval(participant: Participant) -> bool:
    """A deputy for a panel role whom no coordinator has approved yet."""
    return Role(participant.role) in PANEL_ROLES and not trusted(participant)


@dataclass(frozen=True)
class Approved:
    participant_id: int
    review_id: int
    role: Role
    already: bool  # approved before: nothing changed


async def approve(svc: Services, actor: Actor, *, participant_id: int) -> Approved:
    """A coordinator lets a panel deputy read the pack (with consent, like the panel)."""
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        participant = await _panel_deputy(session, participant_id)
        # Another team's deputy: the same answer as no such participant.
        await svc.require_review(
            session,
            actor,
            participant.review_id,
            missing=NotFound("approve_not_found", participant_id=participant_id),
        )
        already = participant.approved_at is not None
        if not already:
            participant.approved_at = svc.now()
            participant.approved_by = actor.telegram_user_id
            audit(
                session,
                "deputy_approved",
                actor=actor,
                review_id=participant.review_id,
                participant_id=participant.id,
            )
            await session.flush()
            # The pack plan now includes them (at once if the papers are already out).
            await review_changed(svc, session, participant.review_id, reason="approved")
        return Approved(participant.id, participant.review_id, Role(participant.role), already)


async def _panel_deputy(session: AsyncSession, participant_id: int) -> Participant:
    participant = await session.get(Participant, participant_id)
    if participant is None or participant.removed_at is not None:
        raise NotFound("approve_not_found", participant_id=participant_id)
    if participant.deputy_for_id is None or Role(participant.role) not in PANEL_ROLES:
        raise Invalid("approve_panel_deputies_only", participant_id=participant_id)
    if participant.person_id is None:
        raise Invalid("approve_not_joined", participant_id=participant_id)
    return participant


async def own_places(session: AsyncSession, participant_ids: list[int]) -> set[int]:
    """Those of `participant_ids` that are nobody's deputy."""
    if not participant_ids:
        return set()
    rows = await session.scalars(
        select(Participant.id).where(
            Participant.id.in_(participant_ids), Participant.deputy_for_id.is_(None)
        )
    )
    return set(rows)
