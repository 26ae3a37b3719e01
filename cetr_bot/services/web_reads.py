"""What the web companion's pages read, each through the same permission checks the
chat uses: coordinators (require_coordinator + require_review: another team's review
is "not found"), the panel (pack.access), a participant (their own rows only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from cetr_bot.domain import ActionStatus, Role
from cetr_bot.services import (
    actions,
    deputies,
    pack,
    preparation_reads,
    reviews,
    safeguarding,
    subject_access,
    yp_questions,
)
from cetr_bot.services.context import Actor, Services, audit, staff_role
from cetr_bot.services.errors import NotAllowed, NotFound
from cetr_bot.services.memberships import Membership, memberships
from cetr_bot.services.review_feedback import feedback_text
from cetr_bot.storage.models import AuditEvent, Participant, Person
from cetr_bot.storage.models_preparation import PrepFlag

# --- the coordinator's dashboard ----------------------------------------------------------


@dataclass(frozen=True)
class DashboardRow:
    detail: reviews.ReviewDetail
    coming: int  # confirmed in person or by video
    answered: int  # joined people who answered whether they come
    prepared: int  # preparation sent
    preparing: int  # people with questions to answer
    overdue_actions: int
    open_actions: int
    safeguarding: int
    rights: int
    required_unconfirmed: list[Role] = field(default_factory=list)
    consent_given: bool = False


WEB, ON_DASHBOARD = "web", "dashboard"  # `via` in the audit events of what a page read


async def dashboard(svc: Services, actor: Actor) -> list[DashboardRow]:
    """The coordinator's team's upcoming reviews, each as /review N sees it. Audited as
    one dashboard_read, and each review's details and actions as shown on it."""
    rows = []
    upcoming = await reviews.list_upcoming(svc, actor)
    async with svc.db.transaction() as session:
        audit(
            session,
            "dashboard_read",
            actor=actor,
            role=staff_role(actor),
            via=WEB,
            reviews=[s.id for s in upcoming],
        )
    for summary in upcoming:
        detail = await reviews.review_detail(svc, actor, summary.id, via=ON_DASHBOARD)
        listed = await actions.list_actions(svc, actor, review_id=summary.id, via=ON_DASHBOARD)
        coming = detail.attendance
        flags = [f for f in detail.flags if f.kind != "consent"]
        consent_line = next((f for f in detail.flags if f.kind == "consent"), None)
        rows.append(
            DashboardRow(
                detail=detail,
                coming=sum(1 for v in coming.values() if v in ("in_person", "video")),
                answered=len(coming),
                prepared=sum(1 for v in detail.preparation.values() if v == "submitted"),
                preparing=len(detail.preparation),
                overdue_actions=sum(1 for a in listed if a.overdue),
                open_actions=sum(1 for a in listed if a.status is ActionStatus.OPEN),
                safeguarding=sum(1 for f in flags if f.kind == "safeguarding"),
                rights=sum(1 for f in flags if f.kind != "safeguarding"),
                required_unconfirmed=list(getattr(coming, "required_unconfirmed", []) or []),
                consent_given=bool(
                    consent_line is not None and consent_line.detail["state"].share_allowed
                ),
            )
        )
    return rows


@dataclass(frozen=True)
class MyReview:
    membership: Membership
    pack: str  # pack.READ / HELD / AWAITING_APPROVAL / REFUSED


async def my_reviews(svc: Services, actor: Actor) -> list[MyReview]:
    """A participant's own reviews, and whether the pack is theirs to read (audited: the
    dashboard page's view for someone who is not a coordinator)."""
    async with svc.db.transaction() as session:
        mine = await memberships(session, actor)
        audit(
            session,
            "dashboard_read",
            actor=actor,
            via=WEB,
            reviews=[m.review_id for m in mine],
        )
        return [MyReview(m, await pack.access_of(svc, session, actor, m.review_id)) for m in mine]


# --- a review's audit trail ----------------------------------------------------------------


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    kind: str
    telegram_user_id: int | None
    detail: dict[str, Any]


async def audit_trail(svc: Services, actor: Actor, review_id: int) -> list[AuditLine]:
    """The review's audit events, newest first (coordinators of that review only). One
    function, so a fuller audit reader can take its place."""
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        await svc.require_review(session, actor, review_id)
        rows = await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.review_id == review_id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(500)
        )
        lines = [AuditLine(e.at, e.kind, e.telegram_user_id, dict(e.detail or {})) for e in rows]
        audit(session, "audit_read", actor=actor, review_id=review_id)
        return lines


# --- flags, answers, feedback ----------------------------------------------------------------


async def flag_details(
    svc: Services, actor: Actor, review_id: int
) -> list[safeguarding.FlagDetail]:
    """Every safeguarding and rights flag of the review in full: coordinators only, each
    read audited (safeguarding.read_flag, as the chat's button)."""
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        await svc.require_review(session, actor, review_id)
        ids = list(
            await session.scalars(
                select(PrepFlag.id)
                .where(PrepFlag.review_id == review_id)
                .order_by(PrepFlag.raised_at.desc(), PrepFlag.id.desc())
            )
        )
    return [await safeguarding.read_flag(svc, actor, flag_id) for flag_id in ids]


async def _own_places(session: Any, actor: Actor, review_id: int) -> list[Participant]:
    return list(
        await session.scalars(
            select(Participant)
            .join(Person, Person.id == Participant.person_id)
            .where(
                Participant.review_id == review_id,
                Participant.removed_at.is_(None),
                Person.telegram_user_id == actor.telegram_user_id,
            )
        )
    )


async def own_answers(
    svc: Services, actor: Actor, review_id: int
) -> list[preparation_reads.ParticipantAnswers]:
    """The asker's own preparation answers in this review, and nobody else's."""
    async with svc.db.transaction() as session:
        places = await _own_places(session, actor, review_id)
        if not places:
            raise NotAllowed("not_a_participant")
        audit(session, "own_answers_read", actor=actor, review_id=review_id)
        return await preparation_reads.answers_of(svc, session, review_id, {p.id for p in places})


@dataclass(frozen=True)
class FeedbackPage:
    answers: dict[str, str]
    thread: yp_questions.Thread
    coordinator: bool  # a coordinator reading it (else the young person)


async def feedback_page(svc: Services, actor: Actor, review_id: int) -> FeedbackPage:
    """The feedback (as `young_person_feedback`) and the young person's questions about
    it, with the answers: for the same two readers."""
    answers = await young_person_feedback(svc, actor, review_id)
    async with svc.db.transaction() as session:
        coordinator = await svc.coordinates_review(session, actor, review_id)
        thread = await yp_questions.thread_of(session, review_id)
    return FeedbackPage(answers, thread, coordinator)


async def young_person_feedback(svc: Services, actor: Actor, review_id: int) -> dict[str, str]:
    """The review's easy-read feedback to the young person: for the young person (not a
    deputy) and the review's coordinators; nothing until it is sent."""
    async with svc.db.transaction() as session:
        places = await _own_places(session, actor, review_id)
        theirs = any(
            Role(p.role) is Role.YOUNG_PERSON
            and not deputies.awaiting_approval(p)
            and p.deputy_for_id is None
            for p in places
        )
        if not theirs and not await svc.coordinates_review(session, actor, review_id):
            raise NotFound("review_not_found", review_id=review_id)
        answers = await feedback_text(session, review_id)
        if answers is None:
            raise NotFound("feedback_not_ready")
        audit(session, "feedback_read_web", actor=actor, review_id=review_id)
        return answers


# --- a person's copy of their data --------------------------------------------------------


@dataclass(frozen=True)
class MyData:
    request_id: int
    export: subject_access.Export
    young_person: bool  # easy-read wording


async def my_data(svc: Services, actor: Actor, request_id: int, fmt: str = "html") -> MyData:
    """The approved copy of the signed-in person's own data (nobody else's: the same
    "not found" for another's request and for none); each view and download audited."""
    found = await subject_access.copy_for_viewer(svc, actor, request_id, fmt)
    async with svc.db.transaction() as session:
        young = await subject_access.is_young_person(session, found.person_id)
    return MyData(request_id, found, young)
