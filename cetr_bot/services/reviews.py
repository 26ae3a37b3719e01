"""Setting reviews up, listing them, moving and cancelling them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from cetr_bot.domain import RecordedType, ReviewStatus, ReviewType, Role, Setting
from cetr_bot.rules import (
    PastReview,
    RuleWarning,
    YoungPersonFacts,
    check_review,
    commissioner_body,
    required_roles,
)
from cetr_bot.services import (
    deputies,
    needs,
    preparation_reads,
    reminders,
    safeguarding,
    teams,
    yp_questions,
)
from cetr_bot.services.context import Actor, Services, audit, shown_via, staff_role
from cetr_bot.services.errors import Invalid, NotFound
from cetr_bot.services.events import review_changed
from cetr_bot.storage.coordinators import default_team_id
from cetr_bot.storage.models import Participant, Person, Review, YoungPerson
from cetr_bot.storage.models_dsr import RecordedReview
from cetr_bot.storage.queries import attendance
from cetr_bot.text_safety import clean_text

REF_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,39}$")
MAX_LOCATION = 500
REF_WORDS = re.compile(r"[ _.\-]+")


@dataclass(frozen=True)
class ParticipantLine:
    id: int
    role: Role
    joined: bool
    name: str | None
    invited_at: datetime
    deputy_for: int | None = None  # the participant they stand in for
    awaiting_approval: bool = False  # a panel deputy: no pack until /approve


@dataclass(frozen=True)
class ReviewSummary:
    id: int
    ref: str
    type: ReviewType
    status: ReviewStatus
    at: datetime
    location: str | None
    invited: int
    joined: int
    missing_roles: list[Role]


@dataclass(frozen=True)
class ReviewDetail:
    summary: ReviewSummary
    commissioner: str
    participants: list[ParticipantLine]
    warnings: list[RuleWarning] = field(default_factory=list)
    # Filled by the preparation, attendance and reminder services (participant id → status).
    preparation: dict[int, str] = field(default_factory=dict)
    attendance: dict[int, str] = field(default_factory=dict)
    flags: list[Any] = field(default_factory=list)
    delivery_problems: list[Any] = field(default_factory=list)
    # Communication needs by participant id; the young person's questions and answers.
    needs: dict[int, list[Any]] = field(default_factory=dict)
    questions: Any = None


@dataclass(frozen=True)
class ReviewChanged:
    review_id: int
    warnings: list[RuleWarning]


def validate_ref(ref: str) -> str:
    ref = ref.strip()
    if not REF_PATTERN.match(ref):
        raise Invalid("bad_ref")
    if looks_like_a_name(ref):
        raise Invalid("ref_is_a_name")
    return ref


def looks_like_a_name(ref: str) -> bool:
    """Two or more words of letters, not all capitals: "Alex Smith", "mary-jane jones"
    (initials and case numbers such as "AS", "YP-0042" are fine)."""
    parts = [p for p in REF_WORDS.split(ref) if p]
    return len(parts) >= 2 and all(p.isalpha() and not p.isupper() for p in parts)


async def refuse_known_name(svc: Services, ref: str) -> None:
    """A reference that is someone's first name here ("Sam") is refused too."""
    async with svc.db.transaction() as session:
        await _refuse_known_name(session, ref)


async def _refuse_known_name(session: AsyncSession, ref: str) -> None:
    # Names are encrypted at rest, so they are compared here, after decryption, not in SQL.
    wanted = ref.casefold()
    names = await session.scalars(
        select(Person.preferred_name).where(Person.preferred_name.is_not(None))
    )
    if any(name.casefold() == wanted for name in names if name):
        raise Invalid("ref_is_a_name")


def validate_location(location: str | None) -> str | None:
    location = None if location is None else clean_text(location, multiline=False)
    if location is None or not location.strip():
        return None
    if len(location) > MAX_LOCATION:
        raise Invalid("location_too_long", limit=MAX_LOCATION)
    return location.strip()


def validate_future(svc: Services, at: datetime) -> datetime:
    if at <= svc.now():
        raise Invalid("date_in_past")
    return at


def validate_past_date(svc: Services, day: date | None, key: str) -> date | None:
    if day is not None and day > svc.now().date():
        raise Invalid(key)
    return day


async def create_review(
    svc: Services,
    actor: Actor,
    *,
    ref: str,
    review_type: ReviewType,
    at: datetime,
    location: str | None = None,
    date_of_birth: date | None = None,
    admitted_on: date | None = None,
    team: str | None = None,
) -> ReviewChanged:
    await svc.require_coordinator(actor)
    ref = validate_ref(ref)
    location = validate_location(location)
    validate_future(svc, at)
    validate_past_date(svc, date_of_birth, "birth_in_future")
    validate_past_date(svc, admitted_on, "admission_in_future")
    if date_of_birth and admitted_on and admitted_on < date_of_birth:
        raise Invalid("admission_before_birth")
    async with svc.db.transaction() as session:
        await _refuse_known_name(session, ref)
        team_id = await teams.team_for_new_review(svc, session, actor, team)
        await _ref_free_for(session, ref, team_id)
        person = await _young_person(session, ref, date_of_birth, admitted_on, review_type)
        review = Review(
            young_person=person,
            team_id=team_id,
            type=review_type,
            scheduled_at=at,
            location=location,
            status=ReviewStatus.SCHEDULED,
            created_by=actor.telegram_user_id,
        )
        session.add(review)
        await session.flush()
        audit(session, "review_created", actor=actor, review_id=review.id)
        await review_changed(svc, session, review.id, reason="created")
        warnings = await _warnings(svc, session, review)
        return ReviewChanged(review.id, warnings)


async def _ref_free_for(session: AsyncSession, ref: str, team_id: int) -> None:
    """A reference another team uses is refused: two teams' young people are never
    merged, and no team sees another's history."""
    used = set(
        await session.scalars(
            select(Review.team_id).join(YoungPerson).where(YoungPerson.ref == ref)
        )
    )
    default_id = await default_team_id(session)
    if {default_id if t is None else t for t in used} - {team_id}:
        raise Invalid("ref_taken")


async def check_ref(svc: Services, actor: Actor, ref: str) -> str:
    """For the guided flow: a valid reference no other team uses."""
    ref = validate_ref(ref)
    async with svc.db.transaction() as session:
        scope = await svc.team_scope(session, actor)
        used = set(
            await session.scalars(
                select(Review.team_id).join(YoungPerson).where(YoungPerson.ref == ref)
            )
        )
        if scope is not None and not all(scope.allows(t) for t in used):
            raise Invalid("ref_taken")
    return ref


async def _young_person(
    session: AsyncSession,
    ref: str,
    date_of_birth: date | None,
    admitted_on: date | None,
    review_type: ReviewType,
) -> YoungPerson:
    person = await session.scalar(select(YoungPerson).where(YoungPerson.ref == ref))
    in_hospital = admitted_on is not None or review_type is not ReviewType.COMMUNITY
    if person is None:
        person = YoungPerson(ref=ref)
        session.add(person)
    if date_of_birth is not None:
        person.date_of_birth = date_of_birth
    if admitted_on is not None:
        person.admitted_on = admitted_on
    person.setting = Setting.INPATIENT if in_hospital else Setting.COMMUNITY
    return person


async def _warnings(svc: Services, session: AsyncSession, review: Review) -> list[RuleWarning]:
    person = await session.get_one(YoungPerson, review.young_person_id)
    facts = YoungPersonFacts(person.date_of_birth, Setting(person.setting), person.admitted_on)
    return check_review(
        review_type=ReviewType(review.type),
        on=local_date(svc, review.scheduled_at),
        person=facts,
        history=await _history(svc, session, person.id),
        policy=svc.policy,
        review_id=review.id,
    )


async def _history(svc: Services, session: AsyncSession, person_id: int) -> list[PastReview]:
    rows = await session.scalars(select(Review).where(Review.young_person_id == person_id))
    found = [
        PastReview(
            r.id, ReviewType(r.type), local_date(svc, r.scheduled_at), ReviewStatus(r.status)
        )
        for r in rows
    ]
    # Reviews held elsewhere and recorded (negative ids: never one of ours); an emergency
    # (LAEP) meeting counts as the check before an admission, like a community CETR.
    recorded = await session.scalars(
        select(RecordedReview).where(RecordedReview.young_person_id == person_id)
    )
    found += [
        PastReview(-r.id, _as_review_type(r.type), r.held_on, ReviewStatus.HELD) for r in recorded
    ]
    return found


def _as_review_type(recorded: str) -> ReviewType:
    return ReviewType.COMMUNITY if recorded == RecordedType.LAEP else ReviewType(recorded)


async def preview_warnings(
    svc: Services,
    *,
    ref: str,
    review_type: ReviewType,
    at: datetime,
    date_of_birth: date | None,
    admitted_on: date | None,
) -> list[RuleWarning]:
    """The warnings a review would get, before it is created (nothing is written)."""
    async with svc.db.transaction() as session:
        known = await session.scalar(select(YoungPerson).where(YoungPerson.ref == ref))
        history = await _history(svc, session, known.id) if known else []
        in_hospital = (admitted_on or (known and known.admitted_on)) is not None
        in_hospital = in_hospital or review_type is not ReviewType.COMMUNITY
        facts = YoungPersonFacts(
            date_of_birth or (known.date_of_birth if known else None),
            Setting.INPATIENT if in_hospital else Setting.COMMUNITY,
            admitted_on or (known.admitted_on if known else None),
        )
    return check_review(
        review_type=review_type,
        on=local_date(svc, at),
        person=facts,
        history=history,
        policy=svc.policy,
    )


def local_date(svc: Services, moment: datetime) -> date:
    return moment.astimezone(svc.settings.zone).date()


async def load_review(session: AsyncSession, review_id: int) -> Review:
    review = await session.scalar(
        select(Review)
        .where(Review.id == review_id)
        .options(
            selectinload(Review.young_person),
            selectinload(Review.participants).selectinload(Participant.person),
            selectinload(Review.participants).selectinload(Participant.invitations),
        )
    )
    if review is None:
        raise NotFound("review_not_found", review_id=review_id)
    return review


def summarise(review: Review) -> ReviewSummary:
    live = [p for p in review.participants if p.removed_at is None]
    joined_roles = {Role(p.role) for p in live if p.person_id is not None}
    return ReviewSummary(
        id=review.id,
        ref=review.young_person.ref,
        type=ReviewType(review.type),
        status=ReviewStatus(review.status),
        at=review.scheduled_at,
        location=review.location,
        invited=len(live),
        joined=sum(1 for p in live if p.person_id is not None),
        missing_roles=[r for r in required_roles(ReviewType(review.type)) if r not in joined_roles],
    )


async def list_upcoming(svc: Services, actor: Actor) -> list[ReviewSummary]:
    """Scheduled reviews from today on, soonest first: the actor's teams' only."""
    await svc.require_coordinator(actor)
    start_of_today = (
        svc.now().astimezone(svc.settings.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    )
    async with svc.db.transaction() as session:
        scope = await svc.team_scope(session, actor)
        rows = await session.scalars(
            select(Review)
            .where(Review.status == ReviewStatus.SCHEDULED, Review.scheduled_at >= start_of_today)
            .where(scope.clause() if scope is not None else true())
            .order_by(Review.scheduled_at, Review.id)
            .options(
                selectinload(Review.young_person),
                selectinload(Review.participants),
            )
        )
        found = [summarise(r) for r in rows]
        audit(session, "reviews_listed", actor=actor, role=staff_role(actor), count=len(found))
        return found


async def review_detail(
    svc: Services, actor: Actor, review_id: int, *, via: str | None = None
) -> ReviewDetail:
    """`via` says where it was shown when not the chat or the CLI (the web companion's
    pages say "web", its dashboard "dashboard"): kept in the audit event."""
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        await svc.require_review(session, actor, review_id)
        review = await load_review(session, review_id)
        audit(
            session,
            "review_viewed",
            actor=actor,
            review_id=review_id,
            role=staff_role(actor),
            **shown_via(via),
        )
        participants = [
            ParticipantLine(
                id=p.id,
                role=Role(p.role),
                joined=p.person_id is not None,
                name=p.person.preferred_name if p.person else None,
                invited_at=p.created_at,
                deputy_for=p.deputy_for_id,
                awaiting_approval=deputies.awaiting_approval(p),
            )
            for p in review.participants
            if p.removed_at is None
        ]
        warnings = await _warnings(svc, session, review)
        if review.status == ReviewStatus.SCHEDULED:
            warnings = _drop_met_suggestions(warnings, participants)
        return ReviewDetail(
            summary=summarise(review),
            commissioner=commissioner_body(ReviewType(review.type)),
            participants=participants,
            warnings=warnings,
            preparation=await preparation_reads.progress_for_review(svc, session, review.id),
            attendance=await attendance.attendance_for_review(session, review.id),
            flags=await safeguarding.flags_for_review(svc, session, review.id),
            delivery_problems=await reminders.delivery_problems_for_review(svc, session, review.id),
            needs=await needs.needs_for_review(session, review.id),
            questions=await yp_questions.thread_of(session, review.id),
        )


def _drop_met_suggestions(
    warnings: list[RuleWarning], participants: list[ParticipantLine]
) -> list[RuleWarning]:
    has_transitions = any(p.role is Role.TRANSITIONS for p in participants)
    return [w for w in warnings if not (w.code == "suggest_transitions" and has_transitions)]


async def reschedule_review(
    svc: Services, actor: Actor, *, review_id: int, at: datetime
) -> ReviewChanged:
    await svc.require_coordinator(actor)
    validate_future(svc, at)
    async with svc.db.transaction() as session:
        await svc.require_review(session, actor, review_id)
        review = await load_review(session, review_id)
        if review.status != ReviewStatus.SCHEDULED:
            raise Invalid("review_not_scheduled", status=review.status)
        if review.scheduled_at == at:
            raise Invalid("same_time")
        review.scheduled_at = at
        review.sequence += 1
        audit(session, "review_rescheduled", actor=actor, review_id=review.id)
        await session.flush()
        await review_changed(svc, session, review.id, reason="rescheduled")
        return ReviewChanged(review.id, await _warnings(svc, session, review))


async def cancel_review(svc: Services, actor: Actor, *, review_id: int) -> ReviewSummary:
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        await svc.require_review(session, actor, review_id)
        review = await load_review(session, review_id)
        if review.status != ReviewStatus.SCHEDULED:
            raise Invalid("review_not_scheduled", status=review.status)
        review.status = ReviewStatus.CANCELLED
        review.sequence += 1
        now = svc.now()
        review.closed_at = now  # retention counts from here
        for participant in review.participants:
            for invitation in participant.invitations:
                if invitation.used_at is None and invitation.revoked_at is None:
                    invitation.revoked_at = now
        audit(session, "review_cancelled", actor=actor, review_id=review.id)
        await review_changed(svc, session, review.id, reason="cancelled")
        return summarise(review)
