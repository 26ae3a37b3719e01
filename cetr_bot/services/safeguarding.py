"""Safeguarding alerts and rights concerns.

A flag is stored (with its time) and audited in the same transaction that noticed
it; the alerts it needs are handed back for the Telegram layer to send at once.
Alerts are discreet: a review number and what kind of event, never the young
person's reference, a diagnosis, a place or anyone's words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import ReviewType, Role
from cetr_bot.services import consent, question_bank
from cetr_bot.services.context import Actor, Services, audit, staff_role
from cetr_bot.services.errors import Invalid, NotAllowed, NotFound
from cetr_bot.services.memberships import Membership, memberships
from cetr_bot.services.question_bank import library
from cetr_bot.storage.coordinators import coordinator_chats
from cetr_bot.storage.models import Participant, PendingInput, Person, Review
from cetr_bot.storage.models_preparation import PrepAnswer, PrepFlag
from cetr_bot.text_safety import clean_text

SAFEGUARDING, RIGHTS = "safeguarding", "rights"
RESTRAINT = "restraint"  # the concerns.toml category of a restrictive practice
CONCERN_INPUT = "concern"  # PendingInput.kind while we wait for a concern in words
MAX_CONCERN = 3000


@dataclass(frozen=True)
class Alert:
    """A message for someone other than the person who acted."""

    chat_id: int
    template: str
    params: dict[str, Any]
    flag_id: int | None = None  # coordinators get a button to read the details
    counts_for: int | None = None  # the flag whose delivery this counts towards


@dataclass(frozen=True)
class Raised:
    flag_id: int
    alerts: list[Alert]


@dataclass(frozen=True)
class FlagLine:
    """One line in /review N: a safeguarding event, a rights concern, or the consent state."""

    kind: str
    at: datetime | None = None
    source: str | None = None
    role: str | None = None
    question: str | None = None
    category: str | None = None
    text: str | None = None
    alerts_sent: int = 0
    alerts_failed: int = 0
    detail: dict[str, Any] = field(default_factory=dict)


async def raise_flag(
    svc: Services,
    session: AsyncSession,
    actor: Actor,
    participant: Participant,
    *,
    kind: str,
    source: str,
    question_id: str | None = None,
    category: str | None = None,
    text: str | None = None,
) -> Raised:
    flag = PrepFlag(
        review_id=participant.review_id,
        participant_id=participant.id,
        kind=kind,
        source=source,
        question_id=question_id,
        category=category,
        text=text,
        raised_by=actor.telegram_user_id,
        raised_at=svc.now(),
    )
    session.add(flag)
    await session.flush()
    audit(
        session,
        "safeguarding_alert" if kind == SAFEGUARDING else "rights_concern",
        actor=actor,
        review_id=participant.review_id,
        flag_id=flag.id,
        source=source,
        role=participant.role,
    )
    alerts = await _alerts(svc, session, flag, Role(participant.role))
    return Raised(flag.id, alerts)


async def raise_for_answer(
    svc: Services,
    session: AsyncSession,
    actor: Actor,
    participant: Participant,
    *,
    source: str,
    question_id: str,
    restrictive: bool = False,
) -> Raised:
    """An answer that says the young person may not be safe: a safeguarding flag, and
    for a restrictive practice (restraint, seclusion) a rights concern as well."""
    raised = await raise_flag(
        svc, session, actor, participant, kind=SAFEGUARDING, source=source, question_id=question_id
    )
    if not restrictive:
        return raised
    rights = await raise_flag(
        svc,
        session,
        actor,
        participant,
        kind=RIGHTS,
        source=source,
        question_id=question_id,
        category=RESTRAINT,
    )
    return Raised(raised.flag_id, raised.alerts + rights.alerts)


async def who_to_talk_to(session: AsyncSession, review_id: int) -> dict[str, Any]:
    """What the "talk to someone now" reply may name: only the people this review has
    (ward staff only when the young person is in hospital, the clinician only if told)."""
    review = await session.get_one(Review, review_id)
    roles = await session.scalars(
        select(Participant.role).where(
            Participant.review_id == review_id, Participant.removed_at.is_(None)
        )
    )
    return {
        "in_hospital": review.type != ReviewType.COMMUNITY,
        "roles": sorted(set(roles)),
        "clinician_told": bool(await _clinician_chats(session, review_id)),
    }


async def _alerts(svc: Services, session: AsyncSession, flag: PrepFlag, role: Role) -> list[Alert]:
    params = {"review_id": flag.review_id, "source": flag.source, "role": role}
    coordinators = await coordinator_chats(svc.settings, session, review_id=flag.review_id)
    alerts = [
        Alert(
            chat_id,
            f"preparation/alert_{flag.kind}_coordinator",
            params,
            flag_id=flag.id,
            counts_for=flag.id,
        )
        for chat_id in coordinators
    ]
    if flag.kind == SAFEGUARDING:
        seen = set(coordinators)
        for chat_id in await _clinician_chats(session, flag.review_id):
            if chat_id not in seen:
                seen.add(chat_id)
                template = "preparation/alert_safeguarding_clinician"
                alerts.append(Alert(chat_id, template, params, counts_for=flag.id))
    return alerts


async def _clinician_chats(session: AsyncSession, review_id: int) -> list[int]:
    rows = await session.scalars(
        select(Person.chat_id)
        .join(Participant, Participant.person_id == Person.id)
        .where(
            Participant.review_id == review_id,
            Participant.role == Role.CLINICIAN,
            Participant.removed_at.is_(None),
        )
    )
    return list(rows)


async def record_delivery(svc: Services, flag_id: int, *, sent: int, failed: int) -> None:
    """After the alerts went out: when, and how many reached their chat."""
    async with svc.db.transaction() as session:
        flag = await session.get(PrepFlag, flag_id)
        if flag is None:
            return
        flag.alerted_at = svc.now()
        flag.alerts_sent += sent
        flag.alerts_failed += failed


async def flag_lines(session: AsyncSession, review_id: int, limit: int = 5) -> list[FlagLine]:
    """The most recent flags of a review, newest first, for the coordinator."""
    review_type = await session.scalar(select(Review.type).where(Review.id == review_id))
    rows = await session.execute(
        select(PrepFlag, Participant.role)
        .outerjoin(Participant, Participant.id == PrepFlag.participant_id)
        .where(PrepFlag.review_id == review_id)
        .order_by(PrepFlag.raised_at.desc(), PrepFlag.id.desc())
        .limit(limit)
    )
    return [_line(flag, role, review_type) for flag, role in rows]


async def flags_for_review(svc: Services, session: AsyncSession, review_id: int) -> list[Any]:
    """For /review N: the consent state first, then recent safeguarding and rights flags."""
    state = await consent.consent_state(session, review_id)
    consent_line = FlagLine(kind="consent", detail={"state": state})
    return [consent_line, *await flag_lines(session, review_id)]


def _line(flag: PrepFlag, role: str | None, review_type: str | None) -> FlagLine:
    category = library().concern(flag.category) if flag.category else None
    return FlagLine(
        kind=flag.kind,
        at=flag.raised_at,
        source=flag.source,
        role=role,
        question=_question_words(flag.question_id, role, review_type),
        category=category.label if category else None,
        text=flag.text,
        alerts_sent=flag.alerts_sent,
        alerts_failed=flag.alerts_failed,
    )


def _question_words(question_id: str | None, role: str | None, kind: str | None) -> str | None:
    """The question's words from its bank (never its internal id)."""
    bank = library().bank_for(role, kind) if question_id and role and kind else None
    question = bank.get(question_id) if bank and question_id else None
    return question.words if question else None


@dataclass(frozen=True)
class FlagDetail:
    id: int
    review_id: int
    line: FlagLine
    answer: str | None  # the answer that raised a safeguarding flag, as typed


async def read_flag(svc: Services, actor: Actor, flag_id: int) -> FlagDetail:
    """The full flag, for a coordinator only (it may hold the young person's own words)."""
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        flag = await session.get(PrepFlag, flag_id)
        if flag is None:
            raise NotFound("not_found")
        await svc.require_review(session, actor, flag.review_id, NotFound("not_found"))
        participant = (
            await session.get(Participant, flag.participant_id) if flag.participant_id else None
        )
        answer = None
        if flag.source == "keyword" and participant is not None:
            answer = await session.scalar(
                select(PrepAnswer.value).where(
                    PrepAnswer.participant_id == participant.id,
                    PrepAnswer.question_id == flag.question_id,
                )
            )
        audit(
            session,
            "flag_read",
            actor=actor,
            review_id=flag.review_id,
            role=staff_role(actor),
            flag_id=flag.id,
        )
        review = await session.get_one(Review, flag.review_id)
        line = _line(flag, participant.role if participant else None, review.type)
        return FlagDetail(flag.id, flag.review_id, line, answer)


# --- /concern -------------------------------------------------------------------------


@dataclass
class ConcernStep:
    """What to show: none (not in a review), pick (which review), ask, or recorded."""

    kind: str
    memberships: list[Membership] = field(default_factory=list)
    participant_id: int | None = None
    alerts: list[Alert] = field(default_factory=list)
    flag_id: int | None = None
    harm: bool = False  # the words suggest someone is being harmed: help them now too
    safety_people: dict[str, Any] = field(default_factory=dict)  # whom that help may name
    role: Role | None = None
    error: Invalid | None = None


async def start_concern(svc: Services, actor: Actor, text: str | None) -> ConcernStep:
    """/concern, with or without words on the command line (held to the same limit)."""
    text = clean_text(text or "").strip() or None
    if text is not None and len(text) > MAX_CONCERN:
        raise Invalid("text_too_long", limit=MAX_CONCERN)
    async with svc.db.transaction() as session:
        mine = await memberships(session, actor)
        if not mine:
            return ConcernStep("none")
        if len(mine) > 1:
            await _wait_for(session, actor, {"text": text} if text else {})
            return ConcernStep("pick", memberships=mine)
        if text is None:
            await _wait_for(session, actor, {"participant_id": mine[0].participant_id})
            return ConcernStep("ask", participant_id=mine[0].participant_id)
        return await _record(svc, session, actor, mine[0].participant_id, text=text)


async def pick_for_concern(svc: Services, actor: Actor, participant_id: int) -> ConcernStep:
    async with svc.db.transaction() as session:
        await _own(session, actor, participant_id)
        pending = await session.get(PendingInput, actor.telegram_user_id)
        text = pending.data.get("text") if pending and pending.kind == CONCERN_INPUT else None
        if text:
            return await _record(svc, session, actor, participant_id, text=str(text))
        await _wait_for(session, actor, {"participant_id": participant_id})
        return ConcernStep("ask", participant_id=participant_id)


async def concern_in_words(svc: Services, actor: Actor, text: str) -> ConcernStep | None:
    """Typed text while /concern waits for it; None if it is not waiting."""
    async with svc.db.transaction() as session:
        return await concern_in_words_in(svc, session, actor, text)


async def concern_in_words_in(
    svc: Services, session: AsyncSession, actor: Actor, text: str
) -> ConcernStep | None:
    """The same, inside the caller's transaction."""
    pending = await session.get(PendingInput, actor.telegram_user_id)
    if pending is None or pending.kind != CONCERN_INPUT:
        return None
    participant_id = pending.data.get("participant_id")
    if participant_id is None:
        step = ConcernStep("pick", memberships=await memberships(session, actor))
        step.error = Invalid("use_buttons")
        return step
    text = clean_text(text).strip()
    if len(text) > MAX_CONCERN:
        step = ConcernStep("ask", participant_id=int(participant_id))
        step.error = Invalid("text_too_long", limit=MAX_CONCERN)
        return step
    return await _record(svc, session, actor, int(participant_id), text=text)


async def concern_category(
    svc: Services, actor: Actor, participant_id: int, category: str
) -> ConcernStep:
    if library().concern(category) is None:
        raise Invalid("stale_button")
    async with svc.db.transaction() as session:
        return await _record(svc, session, actor, participant_id, category=category)


async def _record(
    svc: Services,
    session: AsyncSession,
    actor: Actor,
    participant_id: int,
    *,
    text: str | None = None,
    category: str | None = None,
) -> ConcernStep:
    participant = await _own(session, actor, participant_id)
    await session.execute(
        delete(PendingInput).where(
            PendingInput.telegram_user_id == actor.telegram_user_id,
            PendingInput.kind == CONCERN_INPUT,
        )
    )
    raised = await raise_flag(
        svc,
        session,
        actor,
        participant,
        kind=RIGHTS,
        source="concern",
        category=category,
        text=text,
    )
    harm = bool(text) and question_bank.mentions_harm(text or "")
    return ConcernStep(
        "recorded",
        participant_id=participant_id,
        alerts=raised.alerts,
        flag_id=raised.flag_id,
        harm=harm,
        safety_people=await who_to_talk_to(session, participant.review_id) if harm else {},
        role=Role(participant.role),
    )


async def _own(session: AsyncSession, actor: Actor, participant_id: int) -> Participant:
    """The participant, if it is this Telegram user's own in a review they are part of now."""
    mine = {m.participant_id for m in await memberships(session, actor)}
    if participant_id not in mine:
        raise NotAllowed("not_allowed")
    return await session.get_one(Participant, participant_id)


async def _wait_for(session: AsyncSession, actor: Actor, data: dict[str, Any]) -> None:
    row = await session.get(PendingInput, actor.telegram_user_id)
    if row is None:
        session.add(
            PendingInput(telegram_user_id=actor.telegram_user_id, kind=CONCERN_INPUT, data=data)
        )
    else:
        row.kind, row.data = CONCERN_INPUT, dict(data)
