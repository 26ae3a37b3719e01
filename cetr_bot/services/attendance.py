"""Attendance (RSVP): in person, by video or can't attend, changeable at any time.

Every change is checked here: only the person who joined as that participant
may answer for them, and only while the review is still ahead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import PANEL_ROLES, Answer, ReminderKind, ReviewStatus, Role
from cetr_bot.services import deputies, invitations, notices
from cetr_bot.services.context import Actor, Services, audit
from cetr_bot.services.errors import Invalid, NotAllowed
from cetr_bot.services.events import review_changed
from cetr_bot.storage.models import Invitation, Participant, Person, Review
from cetr_bot.storage.models_reminders import Attendance

STATUSES = (Answer.IN_PERSON, Answer.VIDEO, Answer.CANNOT)
# When they can't attend. SUPPORTER: the young person's supporter or advocate goes for them
# (attendance.deputy_participant_id then holds the supporter's participant).


@dataclass(frozen=True)
class Rsvp:
    """One participant's answer and what a reply about it needs."""

    participant_id: int
    review_id: int
    role: Role
    status: str | None
    alternative: str | None
    at: datetime
    sequence: int
    location: str | None
    name: str | None = None

    @property
    def young(self) -> bool:
        return self.role is Role.YOUNG_PERSON


@dataclass(frozen=True)
class DeputyLink:
    rsvp: Rsvp
    link: str
    expires_at: datetime
    replaced: bool = False
    needs_approval: bool = False  # a deputy for the panel: no pack until approved


async def _own(
    svc: Services, session: AsyncSession, actor: Actor, participant_id: int
) -> tuple[Participant, Review, Person]:
    """The participant, if the actor is the person who joined as them; else refuse."""
    participant = await session.get(Participant, participant_id)
    person = (
        await session.get(Person, participant.person_id)
        if participant is not None and participant.person_id is not None
        else None
    )
    if (
        participant is None
        or person is None
        or participant.removed_at is not None
        or person.telegram_user_id != actor.telegram_user_id
    ):
        raise NotAllowed("not_allowed")
    review = await session.get_one(Review, participant.review_id)
    if review.status != ReviewStatus.SCHEDULED:
        raise Invalid("review_not_scheduled", status=review.status)
    if review.scheduled_at <= svc.now():
        raise Invalid("rsvp_closed")
    return participant, review, person


def _rsvp(participant: Participant, review: Review, row: Attendance | None) -> Rsvp:
    return Rsvp(
        participant_id=participant.id,
        review_id=review.id,
        role=Role(participant.role),
        status=row.status if row else None,
        alternative=row.alternative if row else None,
        at=review.scheduled_at,
        sequence=review.sequence,
        location=review.location,
    )


async def current(svc: Services, actor: Actor, *, participant_id: int) -> Rsvp:
    """The actor's own answer for one participation (e.g. right after joining)."""
    async with svc.db.transaction() as session:
        participant, review, _ = await _own(svc, session, actor, participant_id)
        return _rsvp(participant, review, await session.get(Attendance, participant_id))


async def record(svc: Services, actor: Actor, *, participant_id: int, status: str) -> Rsvp:
    """Set (or change) the answer; reminders are re-planned in the same transaction."""
    if status not in STATUSES:
        raise Invalid("stale_button")
    async with svc.db.transaction() as session:
        participant, review, person = await _own(svc, session, actor, participant_id)
        row = await session.get(Attendance, participant_id)
        if row is None:
            row = Attendance(participant_id=participant_id, review_id=review.id, status=status)
            session.add(row)
        elif status != Answer.CANNOT:
            # Coming after all: the alternative (and an unused deputy link) lapse.
            await _withdraw_unused_deputy(svc, session, row.deputy_participant_id)
            row.alternative, row.deputy_participant_id = None, None
        row.status, row.updated_at = status, svc.now()
        audit(session, "rsvp", actor=actor, review_id=review.id, status=status)
        await session.flush()
        await review_changed(svc, session, review.id, reason="rsvp", participant_id=participant_id)
        if person.unreachable_since is not None:
            await reachable_again(svc, session, person)
        return _rsvp(participant, review, row)


async def reachable_again(svc: Services, session: AsyncSession, person: Person) -> None:
    """The chat works again (they pressed a button): their reminders resume, for
    every review they are part of. Any handler that hears from them may call this."""
    person.unreachable_since = None
    await session.flush()
    review_ids = await session.scalars(
        select(Participant.review_id).where(
            Participant.person_id == person.id, Participant.removed_at.is_(None)
        )
    )
    for review_id in set(review_ids):
        await review_changed(svc, session, review_id, reason="reachable")


async def send_written(svc: Services, actor: Actor, *, participant_id: int) -> Rsvp:
    """Can't attend, but will send written information (through their preparation)."""
    async with svc.db.transaction() as session:
        participant, review, _ = await _own(svc, session, actor, participant_id)
        row = await _cannot_row(session, participant_id)
        row.alternative, row.updated_at = Answer.WRITTEN, svc.now()
        audit(session, "rsvp_written", actor=actor, review_id=review.id)
        await review_changed(svc, session, review.id, reason="rsvp", participant_id=participant_id)
        return _rsvp(participant, review, row)


async def send_deputy(svc: Services, actor: Actor, *, participant_id: int) -> DeputyLink:
    """Can't attend: a single-use invitation link for someone to come in their place,
    in the same role, as a deputy *for* them (their own answers, never the sender's
    consent or feedback). Never for the young person: nobody joins as them."""
    async with svc.db.transaction() as session:
        participant, review, _ = await _own(svc, session, actor, participant_id)
        if participant.role == Role.YOUNG_PERSON:
            raise Invalid("deputy_not_for_young_person")
        stands_for = participant.deputy_for_id or participant.id
        return await _new_link(
            svc, session, actor, participant, review, Answer.DEPUTY, participant.role, stands_for
        )


async def send_supporter(svc: Services, actor: Actor, *, participant_id: int) -> DeputyLink:
    """The young person can't attend: a link for a supporter or advocate to go for them
    (their own role: no consent powers, no view of the young person's answers)."""
    async with svc.db.transaction() as session:
        participant, review, _ = await _own(svc, session, actor, participant_id)
        if not deputies.is_the_young_person(participant):
            raise Invalid("stale_button")
        return await _new_link(
            svc, session, actor, participant, review, Answer.SUPPORTER, Role.SUPPORTER, None
        )


async def _new_link(
    svc: Services,
    session: AsyncSession,
    actor: Actor,
    participant: Participant,
    review: Review,
    alternative: str,
    role: str,
    deputy_for_id: int | None,
) -> DeputyLink:
    """A new invited participant in `role` and its link; a newer link replaces an unused
    older one. The coordinators hear that it was made."""
    row = await _cannot_row(session, participant.id)
    replaced = await _withdraw_unused_deputy(svc, session, row.deputy_participant_id)
    deputy = Participant(review_id=review.id, role=role, deputy_for_id=deputy_for_id)
    session.add(deputy)
    await session.flush()
    token, invitation = invitations.new_invitation(svc, deputy.id)
    session.add(invitation)
    row.alternative, row.deputy_participant_id, row.updated_at = alternative, deputy.id, svc.now()
    audit(
        session,
        "deputy_invited" if alternative == Answer.DEPUTY else "supporter_invited",
        actor=actor,
        review_id=review.id,
        participant_id=participant.id,
        deputy_participant_id=deputy.id,
    )
    await notices.tell_coordinators(
        svc,
        session,
        ReminderKind.COORD_DEPUTY_LINK,
        review_id=review.id,
        key=f"p{deputy.id}",
        payload={"participant_id": deputy.id},
    )
    await review_changed(svc, session, review.id, reason="invited")
    return DeputyLink(
        _rsvp(participant, review, row),
        svc.invite_link(token),
        invitation.expires_at,
        replaced=replaced,
        needs_approval=alternative == Answer.DEPUTY and Role(role) in PANEL_ROLES,
    )


async def _cannot_row(session: AsyncSession, participant_id: int) -> Attendance:
    """Alternatives only make sense after "can't attend"; otherwise the button is stale."""
    row = await session.get(Attendance, participant_id)
    if row is None or row.status != Answer.CANNOT:
        raise Invalid("stale_button")
    return row


async def _withdraw_unused_deputy(
    svc: Services, session: AsyncSession, deputy_id: int | None
) -> bool:
    if deputy_id is None:
        return False
    deputy = await session.get(Participant, deputy_id)
    if deputy is None or deputy.person_id is not None or deputy.removed_at is not None:
        return False
    deputy.removed_at = svc.now()
    await session.execute(
        update(Invitation)
        .where(
            Invitation.participant_id == deputy_id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=svc.now())
    )
    return True


async def my_reviews(svc: Services, actor: Actor) -> list[Rsvp]:
    """The actor's upcoming reviews with their current answer, soonest first."""
    async with svc.db.transaction() as session:
        rows = await session.execute(
            select(Participant, Review, Attendance)
            .join(Review, Review.id == Participant.review_id)
            .join(Person, Person.id == Participant.person_id)
            .outerjoin(Attendance, Attendance.participant_id == Participant.id)
            .where(
                Person.telegram_user_id == actor.telegram_user_id,
                Participant.removed_at.is_(None),
                Review.status == ReviewStatus.SCHEDULED,
                Review.scheduled_at > svc.now(),
            )
            .order_by(Review.scheduled_at, Participant.id)
        )
        return [_rsvp(p, r, a) for p, r, a in rows]
