"""The panel pack: one self-contained HTML file with everything the panel should read
before the review, organised by the four key lines of enquiry.

Only the coordinator and the panel (chair, clinical adviser, expert by experience)
of that review may get it, and the panel only with the young person's consent or a
recorded best-interests decision (`access`: the one rule, however it is asked for).
The young person's own answers are in it only with that consent too (the gate is in
preparation_reads.answers_for_panel), so a coordinator's copy without it leaves them out.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import PANEL_ROLES, PrepStatus, ReminderKind, ReviewType, Role
from cetr_bot.rules import required_roles
from cetr_bot.services import (
    actions,
    consent,
    deputies,
    needs,
    notices,
    pack_pdf,
    preparation,
    preparation_reads,
    safeguarding,
)
from cetr_bot.services.context import Actor, Services, audit, staff_role
from cetr_bot.services.errors import Invalid, NotAllowed, NotFound, ServiceError
from cetr_bot.services.question_bank import has_questions, library
from cetr_bot.services.reviews import load_review
from cetr_bot.services.safeguarding import FlagLine
from cetr_bot.storage.models import Participant, Person, Review
from cetr_bot.storage.models_actions import ActionUpdate
from cetr_bot.storage.models_pack import PackVersion
from cetr_bot.storage.queries import attendance
from cetr_bot.text import Texts

# Young person first, then family, then everyone else in invitation order.
ROLE_ORDER = {Role.YOUNG_PERSON: 0, Role.FAMILY: 1}


@dataclass(frozen=True)
class Attendee:
    participant_id: int
    role: Role
    name: str | None
    joined: bool
    attendance: str | None  # in_person | video | cannot | None
    written: bool  # can't attend, sends written information
    preparation: str  # not_started | in_progress | submitted


@dataclass(frozen=True)
class Entry:
    role: Role
    question: str
    answer: str
    changed: bool


@dataclass(frozen=True)
class Section:
    area: str
    title: str
    entries: list[Entry]


@dataclass(frozen=True)
class PastAction:
    what: str
    due_on: date
    progress: str
    owner_role: Role
    updates: list[tuple[datetime, str]]


@dataclass
class Pack:
    review_id: int
    ref: str
    type: ReviewType
    at: datetime
    location: str | None
    version: int
    generated_at: datetime
    consent: consent.ConsentState
    young_person_withheld: bool
    attendees: list[Attendee]
    sections: list[Section]
    flags: list[FlagLine]
    last_actions: list[PastAction]
    missing_preparation: list[Role]
    missing_roles: list[Role]
    previous_sent_at: datetime | None = None
    fingerprint: str = field(default="")
    # Communication needs of the people taking part (role, needs), in attendee order.
    needs: list[tuple[Role, list[Any]]] = field(default_factory=list)


# Who may read a review's pack: the one rule, for /pack, the scheduled send and any view.
READ, HELD, AWAITING_APPROVAL, REFUSED = "read", "held", "awaiting_approval", "refused"


def access(*, coordinator: bool, places: Sequence[Participant], consent_given: bool) -> str:
    """The coordinator always (they chase consent with it). A panel member of this very
    review (`places`: the asker's live participations in it) only once the young person
    has consented or a best-interests decision is recorded; a deputy for the panel only
    once a coordinator has approved them too. Anyone else: refused."""
    if coordinator:
        return READ
    panel = [p for p in places if Role(p.role) in PANEL_ROLES]
    if not panel:
        return REFUSED
    if not any(deputies.trusted(p) for p in panel):
        return AWAITING_APPROVAL
    return READ if consent_given else HELD


async def access_of(svc: Services, session: AsyncSession, actor: Actor, review_id: int) -> str:
    places = await session.scalars(
        select(Participant)
        .join(Person, Person.id == Participant.person_id)
        .where(
            Participant.review_id == review_id,
            Participant.removed_at.is_(None),
            Person.telegram_user_id == actor.telegram_user_id,
        )
    )
    given = (await consent.consent_state(session, review_id)).share_allowed
    coordinator = await svc.coordinates_review(session, actor, review_id)
    return access(coordinator=coordinator, places=list(places), consent_given=given)


async def may_get_pack(svc: Services, session: AsyncSession, actor: Actor, review_id: int) -> bool:
    return await access_of(svc, session, actor, review_id) == READ


async def pack_for(
    svc: Services, actor: Actor, *, review_id: int, for_participant: int | None = None
) -> Pack:
    """The pack as it is now, for someone allowed to read it (on demand). Held back from
    the panel without consent: the coordinators hear who asked. A coordinator (or the
    operator) may ask on behalf of a participant: the same rule, applied to them."""
    async with svc.db.transaction() as session:
        if for_participant is not None:
            outcome = await _on_behalf(svc, session, actor, review_id, for_participant)
        else:
            outcome = await _pack_or_refusal(svc, session, actor, review_id)
    if isinstance(outcome, ServiceError):
        raise outcome  # after the commit: the audit and the coordinators' notice are kept
    return outcome


async def _pack_or_refusal(
    svc: Services, session: AsyncSession, actor: Actor, review_id: int
) -> Pack | ServiceError:
    review = await session.get(Review, review_id)
    decision = REFUSED if review is None else await access_of(svc, session, actor, review_id)
    if decision == REFUSED:
        # The same answer for "no such review" and "not yours": nothing leaks. A
        # coordinator (of another team, or of none here) hears "no such review".
        audit(session, "pack_refused", actor=actor, review_id=review_id)
        if await svc.is_coordinator(actor):
            return NotFound("review_not_found", review_id=review_id)
        return NotAllowed("pack_not_allowed")
    if decision != READ:
        audit(session, "pack_held_back", actor=actor, review_id=review_id, why=decision)
        await _tell_who_asked(svc, session, actor, review_id, decision)
        key = "pack_held_back" if decision == HELD else "pack_awaiting_approval"
        return Invalid(key, review_id=review_id)
    staff = await svc.coordinates_review(session, actor, review_id)
    role = staff_role(actor) if staff else "panel"
    audit(session, "pack_read", actor=actor, review_id=review_id, role=role)
    return await build(svc, session, review_id)


async def _on_behalf(
    svc: Services, session: AsyncSession, actor: Actor, review_id: int, participant_id: int
) -> Pack | ServiceError:
    await svc.require_review(session, actor, review_id)
    member = await session.get(Participant, participant_id)
    if member is None or member.review_id != review_id or member.removed_at is not None:
        return NotFound("participant_not_found", participant_id=participant_id)
    given = (await consent.consent_state(session, review_id)).share_allowed
    decision = access(coordinator=False, places=[member], consent_given=given)
    if decision == REFUSED:
        return NotAllowed("pack_not_allowed")
    if decision != READ:
        key = "pack_held_back" if decision == HELD else "pack_awaiting_approval"
        return Invalid(key, review_id=review_id)
    audit(
        session,
        "pack_read",
        actor=actor,
        review_id=review_id,
        role=staff_role(actor),
        for_participant=member.id,
    )
    return await build(svc, session, review_id)


async def _tell_who_asked(
    svc: Services, session: AsyncSession, actor: Actor, review_id: int, why: str
) -> None:
    """Role and review number only; once a day per person who asked."""
    asker = await session.scalar(
        select(Participant)
        .join(Person, Person.id == Participant.person_id)
        .where(
            Participant.review_id == review_id,
            Participant.removed_at.is_(None),
            Participant.role.in_([str(r) for r in PANEL_ROLES]),
            Person.telegram_user_id == actor.telegram_user_id,
        )
        .order_by(Participant.id)
        .limit(1)
    )
    assert asker is not None
    day = svc.now().astimezone(svc.settings.zone).date().isoformat()
    await notices.tell_coordinators(
        svc,
        session,
        ReminderKind.COORD_PACK_ASKED,
        review_id=review_id,
        key=f"p{asker.id}:{day}:{why}",
        payload={"participant_id": asker.id, "why": why},
    )


async def build(svc: Services, session: AsyncSession, review_id: int) -> Pack:
    review = await load_review(session, review_id)
    history = await _history(session, review_id)
    answers = await preparation_reads.answers_for_panel(svc, session, review_id)
    coming = await attendance.attendance_for_review(session, review_id)
    progress = await preparation_reads.progress_for_review(svc, session, review_id)
    live = [p for p in review.participants if p.removed_at is None]
    attendees = [
        Attendee(
            p.id,
            Role(p.role),
            p.person.preferred_name if p.person else None,
            p.person_id is not None,
            coming.get(p.id),
            getattr(coming, "alternatives", {}).get(p.id) == "written",
            progress.get(p.id, PrepStatus.NOT_STARTED),
        )
        for p in sorted(live, key=lambda p: (ROLE_ORDER.get(Role(p.role), 2), p.id))
    ]
    pack = Pack(
        review_id=review.id,
        ref=review.young_person.ref,
        type=ReviewType(review.type),
        at=review.scheduled_at,
        location=review.location,
        version=history.last_version + 1,
        generated_at=svc.now(),
        consent=answers.consent,
        young_person_withheld=answers.young_person_withheld,
        attendees=attendees,
        sections=_sections(answers),
        flags=await safeguarding.flags_for_review(svc, session, review_id),
        last_actions=await _last_actions(svc, session, review),
        missing_preparation=[
            a.role
            for a in attendees
            if a.joined
            and a.preparation != PrepStatus.SUBMITTED
            and has_questions(a.role, ReviewType(review.type))
        ],
        missing_roles=_missing_roles(review, attendees),
    )
    found = await needs.needs_for_review(session, review_id)
    pack.needs = [(a.role, found[a.participant_id]) for a in attendees if a.participant_id in found]
    pack.fingerprint = fingerprint(pack)
    pack.previous_sent_at = history.last_sent_at
    if pack.fingerprint == history.last_fingerprint:
        pack.version -= 1  # the same as the version already sent
    return pack


def _sections(answers: preparation_reads.PanelAnswers) -> list[Section]:
    areas = library().adult_areas  # the panel's headings, not the young person's
    people = sorted(
        answers.participants, key=lambda p: (ROLE_ORDER.get(p.role, 2), p.participant_id)
    )
    sections = []
    for area, title in areas.items():
        entries = [
            Entry(person.role, line.question.short, _shown(line), line.changed)
            for person in people
            for line in person.lines
            if line.question.area == area and line.kind not in (None, "skip") and line.shown
        ]
        sections.append(Section(area, title, entries))
    return sections


def _shown(line: preparation_reads.AnswerLine) -> str:
    """A skipped question is left out; "not sure" and voice notes get words, not codes."""
    if line.kind in ("not_sure", "voice"):
        return str(_labels()["pack"][line.kind])
    return line.shown or ""


@functools.cache
def _labels() -> dict[str, Any]:
    return Texts(ZoneInfo("UTC")).labels


def _missing_roles(review: Review, attendees: list[Attendee]) -> list[Role]:
    coming = {a.role for a in attendees if a.joined and a.attendance in ("in_person", "video")}
    return [r for r in required_roles(ReviewType(review.type)) if r not in coming]


async def _last_actions(svc: Services, session: AsyncSession, review: Review) -> list[PastAction]:
    """The actions of the young person's previous held review, with owners' updates."""
    rows = await actions.last_review_actions(session, review)
    result = []
    for action in rows:
        view = await actions.view_of(svc, session, action)
        updates = await session.execute(
            select(ActionUpdate.at, ActionUpdate.text)
            .where(ActionUpdate.action_id == action.id, ActionUpdate.text.is_not(None))
            .order_by(ActionUpdate.at, ActionUpdate.id)
        )
        result.append(
            PastAction(
                view.what,
                view.due_on,
                view.progress,
                view.owner_role,
                [(at, text or "") for at, text in updates],
            )
        )
    return result


@dataclass(frozen=True)
class _History:
    last_version: int
    last_fingerprint: str | None
    last_sent_at: datetime | None


async def _history(session: AsyncSession, review_id: int) -> _History:
    """The versions sent so far, in one query: the latest's number and fingerprint,
    and when one last went out."""
    sent = (
        select(func.max(PackVersion.sent_at))
        .where(PackVersion.review_id == review_id)
        .scalar_subquery()
    )
    row = (
        await session.execute(
            select(PackVersion.version, PackVersion.fingerprint, sent)
            .where(PackVersion.review_id == review_id)
            .order_by(PackVersion.version.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return _History(0, None, None)
    return _History(int(row[0]), row[1], row[2])


async def last_fingerprint(session: AsyncSession, review_id: int) -> str | None:
    return await session.scalar(
        select(PackVersion.fingerprint)
        .where(PackVersion.review_id == review_id)
        .order_by(PackVersion.version.desc())
        .limit(1)
    )


async def record_sent(
    svc: Services,
    session: AsyncSession,
    current: Pack,
    *,
    participant_id: int | None = None,
    person_id: int | None = None,
) -> Pack:
    """Note this version as sent (once), and close the answers: the papers are out.
    Each copy going out is an audit event (to whom: the participant, or a coordinator)."""
    last = await session.scalar(
        select(PackVersion)
        .where(PackVersion.review_id == current.review_id)
        .order_by(PackVersion.version.desc())
        .limit(1)
    )
    if last is not None and last.fingerprint == current.fingerprint:
        current.version = last.version
    else:
        try:
            # Copies to several people are composed at once, each in its own transaction:
            # on PostgreSQL another may record this same version first (the unique key).
            async with session.begin_nested():
                session.add(
                    PackVersion(
                        review_id=current.review_id,
                        version=current.version,
                        fingerprint=current.fingerprint,
                        sent_at=svc.now(),
                    )
                )
        except IntegrityError:
            recorded = await session.scalar(
                select(PackVersion).where(
                    PackVersion.review_id == current.review_id,
                    PackVersion.fingerprint == current.fingerprint,
                )
            )
            if recorded is None:
                raise
            current.version = recorded.version
    audit(
        session,
        "pack_sent",
        review_id=current.review_id,
        person_id=person_id,
        version=current.version,
        to_participant=participant_id,
    )
    await preparation.mark_papers_sent(svc, session, current.review_id)
    return current


def fingerprint(pack: Pack) -> str:
    """What the pack says, without when it was made: a change means a new version."""
    parts = [
        repr(pack.at),
        repr(pack.location),
        repr(pack.consent.share_allowed),
        repr(pack.young_person_withheld),
        repr(pack.attendees),
        repr(pack.sections),
        repr([(f.kind, f.at, f.text) for f in pack.flags]),
        repr(pack.last_actions),
        *([repr(pack.needs)] if pack.needs else []),  # none: the fingerprint as before
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def render(texts: Texts, pack: Pack, *, large_print: bool = False) -> str:
    """The pack as one self-contained HTML document (autoescaped); `large_print` for a
    reader who asked for it (bigger type on screen, in print and in the PDF)."""
    return texts.env.get_template("pack/pack.html").render(pack=pack, large_print=large_print)


def filename(pack: Pack, suffix: str = "html") -> str:
    return f"cetr-review-{pack.review_id}-pack-v{pack.version}.{suffix}"


def to_pdf(html: str) -> bytes:
    """The same pack as a PDF, in embedded Unicode fonts (services/pack_pdf.py). Slow
    (seconds) and blocking: call it in a thread."""
    return pack_pdf.to_pdf(html)
