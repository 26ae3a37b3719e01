"""Invitations by deep link: random, hashed, single-use, expiring, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import ReminderKind, ReviewStatus, ReviewType, Role
from cetr_bot.services import deputies, notices, throttle
from cetr_bot.services.context import Actor, Services, audit
from cetr_bot.services.errors import Invalid, NotFound, ServiceError
from cetr_bot.services.events import review_changed
from cetr_bot.services.reviews import load_review
from cetr_bot.storage.models import Invitation, Participant, Person, Review, StartAttempt
from cetr_bot.text import language_for
from cetr_bot.text_safety import clean_name

TOKEN_BYTES = 24  # 192 bits → 32 URL-safe characters, inside Telegram's 64.
# Outcomes that are not guesses, so they do not count towards throttling.
NOT_COUNTED = frozenset({"too_many_tries", "already_joined", "invite_not_for_deputy"})
TOKEN_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


@dataclass(frozen=True)
class InviteCreated:
    review_id: int
    participant_id: int
    role: Role
    token: str
    link: str
    expires_at: datetime


@dataclass(frozen=True)
class Joined:
    review_id: int
    participant_id: int
    role: Role
    review_type: ReviewType
    at: datetime
    location: str | None
    name: str | None
    held: bool = False
    deputy_for: Role | None = None  # standing in for someone in this role
    awaiting_approval: bool = False  # a panel deputy: no pack until a coordinator approves


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(token: str) -> bool:
    return 16 <= len(token) <= 64 and set(token) <= TOKEN_ALPHABET


async def create_invitation(
    svc: Services, actor: Actor, *, review_id: int, role: Role, allow_held: bool = False
) -> InviteCreated:
    """A new participant for `role` and its link. After the review is held, only
    with `allow_held` (a new action owner)."""
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        await svc.require_review(session, actor, review_id)
        review = await load_review(session, review_id)
        allowed = {ReviewStatus.SCHEDULED} | ({ReviewStatus.HELD} if allow_held else set())
        if review.status not in allowed:
            raise Invalid("review_not_scheduled", status=review.status)
        participant = Participant(review_id=review.id, role=role)
        session.add(participant)
        await session.flush()
        token, invitation = new_invitation(svc, participant.id)
        session.add(invitation)
        audit(session, "invitation_created", actor=actor, review_id=review.id, role=str(role))
        await review_changed(svc, session, review.id, reason="invited")
        return InviteCreated(
            review.id, participant.id, role, token, svc.invite_link(token), invitation.expires_at
        )


def new_invitation(svc: Services, participant_id: int) -> tuple[str, Invitation]:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires = svc.now() + timedelta(days=svc.settings.invitation_expiry_days)
    return token, Invitation(
        participant_id=participant_id, token_hash=hash_token(token), expires_at=expires
    )


async def revoke_invitation(svc: Services, actor: Actor, *, participant_id: int) -> int:
    """Withdraw the open invitation(s) of a participant who has not joined yet."""
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        participant = await session.get(Participant, participant_id)
        missing = NotFound("participant_not_found", participant_id=participant_id)
        if participant is None or participant.removed_at is not None:
            raise missing
        await svc.require_review(session, actor, participant.review_id, missing)
        if participant.person_id is not None:
            raise Invalid("already_joined_cannot_revoke")
        now = svc.now()
        participant.removed_at = now
        result = await session.execute(
            update(Invitation)
            .where(
                Invitation.participant_id == participant_id,
                Invitation.used_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        audit(session, "invitation_revoked", actor=actor, review_id=participant.review_id)
        await review_changed(svc, session, participant.review_id, reason="left")
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def redeem(svc: Services, actor: Actor, *, token: str) -> Joined:
    """Bind the Telegram user to the invited participant, or say kindly why not."""
    assert actor.telegram_user_id is not None and actor.chat_id is not None
    async with svc.db.transaction() as session:
        outcome = await _redeem(svc, session, actor, token)
        if isinstance(outcome, ServiceError) and outcome.key not in NOT_COUNTED:
            session.add(StartAttempt(telegram_user_id=actor.telegram_user_id, at=svc.now()))
            audit(session, "bad_invite_token", actor=actor, reason=outcome.key)
    if isinstance(outcome, ServiceError):
        raise outcome
    return outcome


async def _redeem(
    svc: Services, session: AsyncSession, actor: Actor, token: str
) -> Joined | ServiceError:
    if await throttle.failures(svc, session, actor) >= svc.settings.bad_token_limit:
        return Invalid("too_many_tries")
    if await throttle.links_paused(svc, session):
        return Invalid("too_many_tries")
    if not looks_like_token(token):
        return Invalid("invite_unknown")
    invitation = await session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(token))
    )
    if invitation is None:
        return Invalid("invite_unknown")
    participant = await session.get_one(Participant, invitation.participant_id)
    review = await session.get_one(Review, participant.review_id)
    known = await session.scalar(
        select(Person).where(Person.telegram_user_id == actor.telegram_user_id)
    )
    problem = _why_not(svc, invitation, participant, review, known)
    if problem is not None:
        return problem
    if not await _claim(session, invitation.id, svc.now()):
        return Invalid("invite_used")
    person = known or await _new_person(session, actor)
    participant.person_id = person.id
    participant.joined_at = svc.now()
    audit(session, "joined", actor=actor, review_id=review.id, participant_id=participant.id)
    await session.flush()
    await notices.tell_coordinators(
        svc,
        session,
        ReminderKind.COORD_JOINED,
        review_id=review.id,
        key=f"p{participant.id}",
        payload={"participant_id": participant.id},
        digest_ok=participant.deputy_for_id is None,  # a deputy's join is told at once
    )
    await review_changed(svc, session, review.id, reason="joined")
    return await _joined(session, review.id, participant, person)


def _why_not(
    svc: Services,
    invitation: Invitation,
    participant: Participant,
    review: Review,
    person: Person | None,
) -> ServiceError | None:
    if invitation.used_at is not None:
        if person is not None and participant.person_id == person.id:
            return Invalid("already_joined")
        return Invalid("invite_used")
    if participant.role == Role.YOUNG_PERSON and participant.deputy_for_id is not None:
        return Invalid("invite_not_for_deputy")  # an old "in my place" link of the young person
    if review.status == ReviewStatus.CANCELLED:
        return Invalid("invite_review_closed")
    if invitation.revoked_at is not None or participant.removed_at is not None:
        return Invalid("invite_revoked")
    if invitation.expires_at <= svc.now():
        return Invalid("invite_expired")
    return None


async def _claim(session: AsyncSession, invitation_id: int, now: datetime) -> bool:
    """Mark used only if still unused: two people racing for one link, one wins."""
    result = await session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def _new_person(session: AsyncSession, actor: Actor) -> Person:
    person = Person(
        telegram_user_id=actor.telegram_user_id,
        chat_id=actor.chat_id,
        preferred_name=clean_name(actor.first_name),
        language=language_for(actor.language_code),  # /language changes it
    )
    session.add(person)
    await session.flush()
    return person


async def _joined(
    session: AsyncSession, review_id: int, participant: Participant, person: Person
) -> Joined:
    review = await load_review(session, review_id)
    stands_for = (
        await session.get(Participant, participant.deputy_for_id)
        if participant.deputy_for_id is not None
        else None
    )
    return Joined(
        review_id=review.id,
        participant_id=participant.id,
        role=Role(participant.role),
        review_type=ReviewType(review.type),
        at=review.scheduled_at,
        location=review.location,
        name=person.preferred_name,
        deputy_for=Role(stands_for.role) if stands_for is not None else None,
        awaiting_approval=deputies.awaiting_approval(participant),
    )


async def memberships(svc: Services, actor: Actor) -> list[Joined]:
    """The reviews this Telegram user has joined that are still ahead or were held
    (after the meeting they keep their place in it)."""
    async with svc.db.transaction() as session:
        rows = await session.execute(
            select(Participant, Review, Person)
            .join(Review, Review.id == Participant.review_id)
            .join(Person, Person.id == Participant.person_id)
            .where(
                Person.telegram_user_id == actor.telegram_user_id,
                Participant.removed_at.is_(None),
                Review.status.in_([ReviewStatus.SCHEDULED, ReviewStatus.HELD]),
            )
            .order_by(Review.scheduled_at)
        )
        return [
            Joined(
                r.id,
                p.id,
                Role(p.role),
                ReviewType(r.type),
                r.scheduled_at,
                r.location,
                person.preferred_name,
                r.status == ReviewStatus.HELD,
            )
            for p, r, person in rows
        ]
