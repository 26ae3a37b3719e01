"""The young person's consent: may the panel see their answers, do they want family there.

Every decision is a new row (who, in which role, when, how), so the history stays
and withdrawal is just a later "no". The coordinator may record a best-interests
decision instead of the young person's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import ReviewStatus, Role
from cetr_bot.services import deputies
from cetr_bot.services.context import Actor, Services, audit, staff_role
from cetr_bot.services.errors import Invalid
from cetr_bot.services.events import review_changed
from cetr_bot.services.memberships import memberships
from cetr_bot.storage.models import Participant, Review
from cetr_bot.storage.models_preparation import ConsentRecord
from cetr_bot.text_safety import clean_text

SHARE, FAMILY = "share", "family"
SUBJECTS = (SHARE, FAMILY)
YES, NO, NOT_SURE = "yes", "no", "not_sure"
DECISIONS = (YES, NO, NOT_SURE)
YOUNG_PERSON, BEST_INTERESTS = "young_person", "best_interests"
MAX_REASON = 1000


@dataclass(frozen=True)
class Decision:
    subject: str
    decision: str
    basis: str
    method: str
    recorded_by_role: str
    at: datetime
    note: str | None


@dataclass(frozen=True)
class ConsentState:
    review_id: int
    share: Decision | None
    family: Decision | None
    version: int  # how many decisions so far: a button made before a later one is stale

    @property
    def share_allowed(self) -> bool:
        """The panel may see the young person's answers."""
        return self.share is not None and self.share.decision == YES

    def undecided(self) -> list[str]:
        return [s for s in SUBJECTS if getattr(self, s) is None]

    def get(self, subject: str) -> Decision | None:
        return self.share if subject == SHARE else self.family


async def consent_state(session: AsyncSession, review_id: int) -> ConsentState:
    """The latest decisions. Only the young person's own, or a best-interests decision,
    count: anything recorded by a deputy (someone who joined through an old "in my
    place" link) is ignored."""
    rows = (
        await session.scalars(
            select(ConsentRecord)
            .outerjoin(Participant, Participant.id == ConsentRecord.participant_id)
            .where(
                ConsentRecord.review_id == review_id,
                or_(
                    ConsentRecord.basis == BEST_INTERESTS,
                    ConsentRecord.participant_id.is_(None),
                    Participant.deputy_for_id.is_(None),
                ),
            )
            .order_by(ConsentRecord.at, ConsentRecord.id)
        )
    ).all()
    latest = {row.subject: row for row in rows}
    return ConsentState(
        review_id=review_id,
        share=_decision(latest.get(SHARE)),
        family=_decision(latest.get(FAMILY)),
        version=len(rows),
    )


def _decision(row: ConsentRecord | None) -> Decision | None:
    if row is None:
        return None
    return Decision(
        row.subject, row.decision, row.basis, row.method, row.recorded_by_role, row.at, row.note
    )


async def record(
    svc: Services,
    session: AsyncSession,
    actor: Actor,
    *,
    review_id: int,
    participant_id: int | None,
    subject: str,
    decision: str,
    basis: str,
    method: str,
    role: str,
    note: str | None = None,
) -> None:
    if subject not in SUBJECTS or decision not in DECISIONS:
        raise Invalid("stale_button")
    session.add(
        ConsentRecord(
            review_id=review_id,
            participant_id=participant_id,
            subject=subject,
            decision=decision,
            basis=basis,
            method=method,
            recorded_by=actor.telegram_user_id,
            recorded_by_role=role,
            note=note,
            at=svc.now(),
        )
    )
    audit(
        session,
        "consent_recorded",
        actor=actor,
        review_id=review_id,
        subject=subject,
        decision=decision,
        basis=basis,
    )
    await session.flush()
    await review_changed(svc, session, review_id, reason="consent")


async def record_best_interests(
    svc: Services, actor: Actor, *, review_id: int, reason: str
) -> ConsentState:
    """The coordinator decides, in the young person's best interests, that the panel may see
    their answers. The reason is kept with the decision."""
    await svc.require_coordinator(actor)
    reason = " ".join(clean_text(reason).split())
    if not reason:
        raise Invalid("best_interests_reason")
    if len(reason) > MAX_REASON:
        raise Invalid("text_too_long", limit=MAX_REASON)
    async with svc.db.transaction() as session:
        await svc.require_review(session, actor, review_id)
        review = await session.get_one(Review, review_id)
        if review.status != ReviewStatus.SCHEDULED:
            raise Invalid("review_not_scheduled", status=review.status)
        young = await session.scalar(
            select(Participant.id).where(
                Participant.review_id == review_id,
                deputies.THE_YOUNG_PERSON,
                Participant.removed_at.is_(None),
            )
        )
        await record(
            svc,
            session,
            actor,
            review_id=review_id,
            participant_id=young,
            subject=SHARE,
            decision=YES,
            basis=BEST_INTERESTS,
            method="coordinator_command",
            role=staff_role(actor),
            note=reason,
        )
        return await consent_state(session, review_id)


@dataclass(frozen=True)
class ConsentView:
    participant_id: int
    state: ConsentState


async def consent_view(svc: Services, actor: Actor) -> ConsentView:
    """/consent: the young person's decisions now, to keep or change."""
    async with svc.db.transaction() as session:
        places = [m for m in await memberships(session, actor) if m.role is Role.YOUNG_PERSON]
        own = await deputies.own_places(session, [m.participant_id for m in places])
        mine = [m for m in places if m.participant_id in own]
        if not mine:
            raise Invalid("consent_young_person_only")
        # The next review if one is booked, else the one just held.
        ahead = [m for m in mine if m.status is ReviewStatus.SCHEDULED]
        latest = ahead[0] if ahead else mine[-1]
        audit(
            session,
            "consent_viewed",
            actor=actor,
            review_id=latest.review_id,
            role="young_person",
            participant_id=latest.participant_id,
        )
        return ConsentView(latest.participant_id, await consent_state(session, latest.review_id))
