"""A person's rights over their own data: a copy of everything held about them (subject
access and portability, `collect`/`export_person`), and erasure (`erase_person`).

Both read or change the database in one transaction and are audited with ids and counts,
never content. From the bot, a person asks (`request`: /mydata, /forgetme); the
coordinators of their reviews' teams are told once (a reminder row each) and one of them
decides (`decide`): an approved copy goes to the person as protected documents (a
DATA_EXPORT row, composed at sending time), an approved erasure is carried out at once.

Erasure keeps the rows and their ids (so counts and the audit trail still add up) and
removes what identifies or was said: names, Telegram ids (the person's become negative,
as retention does), answers, words, notes and reminder payloads. It is refused while a
legal hold applies to any review they take part in. The audit trail itself is
append-only (a trigger refuses changes), so the events a person caused keep the Telegram
id they acted under: the accountability record the law lets a controller keep
(UK GDPR Art. 17(3)(b), (e)); the erasure adds a tombstone saying when, why and by whom.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, delete, false, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import ReminderKind, ReminderStatus, Role
from cetr_bot.services.context import Actor, Services, audit, staff_role
from cetr_bot.services.errors import Invalid, NotAllowed, NotFound
from cetr_bot.storage.coordinators import coordinator_chats_for_person
from cetr_bot.storage.models import AuditEvent, Base, Participant, Person
from cetr_bot.storage.models_actions import Action
from cetr_bot.storage.models_reminders import Reminder
from cetr_bot.storage.models_requests import DataRequest
from cetr_bot.storage.models_retention import DataHold
from cetr_bot.storage.queries.audit import AuditFilter, audit_rows
from cetr_bot.text_safety import clean_text

EXPORT = "export"
ERASE = "erase"
KINDS = (EXPORT, ERASE)
REMOVED = "removed"  # an answer's kind once its value is gone (as retention writes it)
MAX_REASON = 500

# Columns that hold a Telegram user or chat id, and why. The export shows the person's
# rows in each; erasure clears them (or deletes the row, or tombstones the person).
TELEGRAM_ID_COLUMNS: dict[tuple[str, str], str] = {
    ("people", "telegram_user_id"): "the person's own Telegram account",
    ("people", "chat_id"): "the chat the bot writes to them in",
    ("pending_inputs", "telegram_user_id"): "what the bot is waiting for them to type",
    ("start_attempts", "telegram_user_id"): "their failed invitation attempts (throttling)",
    ("audit_events", "telegram_user_id"): "who acted (append-only: kept, see above)",
    ("team_members", "telegram_user_id"): "they coordinate for a team",
    ("team_members", "added_by"): "they added a coordinator",
    ("admins", "telegram_user_id"): "they are an administrator",
    ("admins", "added_by"): "they added an administrator",
    ("reminders", "chat_id"): "messages the bot sent or means to send them",
    ("reviews", "created_by"): "they set up a review",
    ("participants", "approved_by"): "they approved a deputy",
    ("actions", "created_by"): "they recorded an action",
    ("action_updates", "by_telegram_user_id"): "they updated an action",
    ("consent_records", "recorded_by"): "they recorded a consent decision",
    ("prep_flags", "raised_by"): "they raised a concern",
    ("review_feedback", "written_by"): "they wrote the feedback for a young person",
    ("feedback_questions", "written_by"): "they asked about their feedback, or answered",
    ("communication_needs", "recorded_by"): "they recorded someone's communication needs",
    ("review_follow_ups", "report_marked_by"): "they marked a report sent",
    ("data_holds", "held_by"): "they placed a legal hold",
    ("data_holds", "released_by"): "they released a legal hold",
    ("dsr_changes", "by"): "they changed a register entry",
    ("recorded_reviews", "recorded_by"): "they recorded a meeting held elsewhere",
    ("data_requests", "decided_by"): "they decided a data request",
    ("sign_in_links", "telegram_user_id"): "a web companion sign-in link made for them",
    ("web_sessions", "telegram_user_id"): "their web companion sessions",
}
# Integer columns of that width that are not people.
NOT_TELEGRAM_IDS: dict[tuple[str, str], str] = {
    ("processed_updates", "update_id"): "Telegram's update counter, not a person",
}
# Rows removed outright on erasure (nothing in them is worth keeping without the person).
DELETE_ON_ERASE = (
    "pending_inputs",
    "start_attempts",
    "team_members",
    "admins",
    "sign_in_links",  # and the web companion signs them out
    "web_sessions",
)
# Never shown in a copy: secrets of the system, not data about the person.
NOT_EXPORTED = {("invitations", "token_hash"), ("reminders", "claim_token")}


def _t(name: str) -> Table:
    return Base.metadata.tables[name]


@dataclass(frozen=True)
class Export:
    person_id: int
    generated_at: datetime
    tables: dict[str, list[dict[str, Any]]]
    audit: list[dict[str, Any]]

    def counts(self) -> dict[str, int]:
        found = {name: len(rows) for name, rows in self.tables.items() if rows}
        return {**found, "audit_events": len(self.audit)}

    def as_json(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "generated_at": self.generated_at.isoformat(),
            "tables": self.tables,
            "audit_events": self.audit,
        }

    def to_json(self) -> str:
        return json.dumps(self.as_json(), indent=2, ensure_ascii=False, sort_keys=True)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _row(table: str, mapping: Any) -> dict[str, Any]:
    return {
        key: _plain(value)
        for key, value in dict(mapping).items()
        if (table, key) not in NOT_EXPORTED
    }


async def _rows(session: AsyncSession, table: Table, where: ColumnElement[bool]) -> list[Any]:
    pk = list(table.primary_key.columns)
    result = await session.execute(select(table).where(where).order_by(*pk))
    return [_row(table.name, m) for m in result.mappings()]


async def _ids(session: AsyncSession, person_id: int) -> tuple[list[int], list[int]]:
    participants = list(
        await session.scalars(select(Participant.id).where(Participant.person_id == person_id))
    )
    actions = list(
        await session.scalars(
            select(Action.id).where(Action.owner_participant_id.in_(participants))
        )
    )
    return participants, actions


def _same(table: Table, column: str, value: int | None) -> ColumnElement[bool]:
    if value is None or value <= 0:
        return false()
    return table.c[column] == value


# The tables whose rows are the person's own (whole rows), in the order `collect` reads
# them; what they did in other tables follows (TELEGRAM_ID_COLUMNS).
OWN_TABLES = (
    "people",
    "participants",
    "invitations",
    "prep_progress",
    "prep_answers",
    "consent_records",
    "prep_flags",
    "attendance",
    "feedback_answers",
    "feedback_questions",
    "communication_needs",
    "actions",
    "action_updates",
    "digest_preferences",
    "reminders",
    "data_requests",
    "pending_inputs",
    "start_attempts",
)


async def collect(session: AsyncSession, person_id: int, now: datetime) -> Export:
    """Everything held about the person, table by table (read only)."""
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound("person_not_found", person_id=person_id)
    uid, chat = person.telegram_user_id, person.chat_id
    mine, actions = await _ids(session, person_id)
    t = _t
    theirs: dict[str, ColumnElement[bool]] = {
        "people": t("people").c.id == person_id,
        "participants": or_(
            t("participants").c.person_id == person_id,
            t("participants").c.deputy_for_id.in_(mine),
            _same(t("participants"), "approved_by", uid),
        ),
        "invitations": t("invitations").c.participant_id.in_(mine),
        "prep_progress": t("prep_progress").c.participant_id.in_(mine),
        "prep_answers": t("prep_answers").c.participant_id.in_(mine),
        "consent_records": or_(
            t("consent_records").c.participant_id.in_(mine),
            _same(t("consent_records"), "recorded_by", uid),
        ),
        "prep_flags": or_(
            t("prep_flags").c.participant_id.in_(mine), _same(t("prep_flags"), "raised_by", uid)
        ),
        "attendance": t("attendance").c.participant_id.in_(mine),
        "feedback_answers": t("feedback_answers").c.participant_id.in_(mine),
        # Their thread (as the young person), and the answers they wrote (as a coordinator).
        "feedback_questions": or_(
            t("feedback_questions").c.participant_id.in_(mine),
            _same(t("feedback_questions"), "written_by", uid),
        ),
        "communication_needs": or_(
            t("communication_needs").c.person_id == person_id,
            _same(t("communication_needs"), "recorded_by", uid),
        ),
        "actions": or_(
            t("actions").c.owner_participant_id.in_(mine), _same(t("actions"), "created_by", uid)
        ),
        "action_updates": or_(
            t("action_updates").c.action_id.in_(actions),
            t("action_updates").c.by_participant_id.in_(mine),
            _same(t("action_updates"), "by_telegram_user_id", uid),
        ),
        "digest_preferences": t("digest_preferences").c.person_id == person_id,
        "reminders": or_(
            t("reminders").c.person_id == person_id, _same(t("reminders"), "chat_id", chat)
        ),
        "data_requests": or_(
            t("data_requests").c.person_id == person_id,
            _same(t("data_requests"), "decided_by", uid),
        ),
        "pending_inputs": _same(t("pending_inputs"), "telegram_user_id", uid),
        "start_attempts": _same(t("start_attempts"), "telegram_user_id", uid),
    }
    if tuple(theirs) != OWN_TABLES:
        raise RuntimeError("subject_access.OWN_TABLES is out of step with collect()")
    tables: dict[str, list[dict[str, Any]]] = {}
    for name, where in theirs.items():
        tables[name] = await _rows(session, t(name), where)
    # What they did in other tables: which rows carry their Telegram id (the row's key
    # and that column only: the rest of such a row is about someone else).
    for (name, column), _why in TELEGRAM_ID_COLUMNS.items():
        if name in theirs or name == "audit_events":
            continue
        table = t(name)
        pk = list(table.primary_key.columns)
        result = await session.execute(
            select(*pk, table.c[column]).where(_same(table, column, uid)).order_by(*pk)
        )
        tables.setdefault(name, []).extend(_row(name, m) for m in result.mappings())
    trail = await audit_rows(session, AuditFilter(person_id=person_id))
    return Export(
        person_id=person_id,
        generated_at=now,
        tables=tables,
        audit=[r.as_json() for r in trail],
    )


async def export_person(svc: Services, actor: Actor, person_id: int) -> Export:
    """The copy, read in one transaction; the operator only (the bot goes through
    `request` and `decide`). Audited as an export with ids and counts."""
    if not actor.is_cli:
        raise NotAllowed("operator_only")
    async with svc.db.transaction() as session:
        found = await collect(session, person_id, svc.now())
        audit(
            session,
            "data_exported",
            actor=actor,
            person_id=person_id,
            role=staff_role(actor),
            counts=found.counts(),
        )
    return found


# --- erasure ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    person_id: int
    already: bool  # erased before: nothing more to do
    counts: dict[str, int] = field(default_factory=dict)
    # The chat they were in, for one last message from the bot (not kept anywhere).
    former_chat_id: int | None = None


def _reason(reason: str) -> str:
    reason = " ".join(clean_text(reason).split())
    if not reason:
        raise Invalid("erase_reason")
    if len(reason) > MAX_REASON:
        raise Invalid("text_too_long", limit=MAX_REASON)
    return reason


async def holds_on(session: AsyncSession, person_id: int) -> list[int]:
    """The reviews of this person under a legal hold now."""
    reviews = select(Participant.review_id).where(Participant.person_id == person_id)
    return sorted(
        set(
            await session.scalars(
                select(DataHold.review_id).where(
                    DataHold.review_id.in_(reviews), DataHold.released_at.is_(None)
                )
            )
        )
    )


async def erased_before(session: AsyncSession, person_id: int) -> bool:
    found = await session.scalar(
        select(AuditEvent.id)
        .where(AuditEvent.kind == "person_erased", AuditEvent.person_id == person_id)
        .limit(1)
    )
    return found is not None


async def erase_person(svc: Services, actor: Actor, person_id: int, *, reason: str) -> Erasure:
    """Erase at the command line (the bot's approval goes through `decide`)."""
    reason = _reason(reason)
    if not actor.is_cli:
        raise NotAllowed("operator_only")
    async with svc.db.transaction() as session:
        held = await holds_on(session, person_id)
        if held:  # recorded, then refused (the refusal's own transaction commits)
            audit(session, "erasure_refused", actor=actor, person_id=person_id, on_hold=held)
    if held:
        raise Invalid("erase_on_hold", person_id=person_id, review_ids=held)
    async with svc.db.transaction() as session:
        return await _erase(svc, session, actor, person_id, reason)


async def _erase(
    svc: Services, session: AsyncSession, actor: Actor, person_id: int, reason: str
) -> Erasure:
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound("person_not_found", person_id=person_id)
    held = await holds_on(session, person_id)
    if held:  # a hold placed since the caller looked
        raise Invalid("erase_on_hold", person_id=person_id, review_ids=held)
    if await erased_before(session, person_id):
        return Erasure(person_id, already=True)
    uid, chat = person.telegram_user_id, person.chat_id
    mine, actions = await _ids(session, person_id)
    counts = await _scrub(svc, session, person_id, uid, chat, mine, actions)
    person.preferred_name = None
    person.telegram_user_id = -person_id
    person.chat_id = -person_id
    person.unreachable_since = None
    await session.flush()
    audit(
        session,
        "person_erased",
        actor=actor,
        person_id=person_id,
        role=staff_role(actor),
        reason=reason,
        counts=counts,
    )
    return Erasure(person_id, already=False, counts=counts, former_chat_id=chat)


async def _scrub(
    svc: Services,
    session: AsyncSession,
    person_id: int,
    uid: int,
    chat: int,
    mine: list[int],
    actions: list[int],
) -> dict[str, int]:
    t, now = _t, svc.now()
    young = list(
        await session.scalars(
            select(Participant.review_id).where(
                Participant.id.in_(mine),
                Participant.role == Role.YOUNG_PERSON,
                Participant.deputy_for_id.is_(None),
            )
        )
    )
    reminders = t("reminders")
    to_them = or_(
        reminders.c.person_id == person_id,
        _same(reminders, "chat_id", chat),
        reminders.c.participant_id.in_(mine),
        # The young person's questions to the coordinators carry their words.
        (reminders.c.kind == ReminderKind.YP_QUESTION) & reminders.c.review_id.in_(young),
    )
    changes: list[tuple[str, Any]] = [
        (
            "answers",
            update(t("prep_answers"))
            .where(t("prep_answers").c.participant_id.in_(mine))
            .values(value="", kind=REMOVED),
        ),
        (
            "feedback_answers",
            update(t("feedback_answers"))
            .where(t("feedback_answers").c.participant_id.in_(mine))
            .values(value=""),
        ),
        (
            "feedback_questions",  # the young person's thread: their words and the answers
            update(t("feedback_questions"))
            .where(t("feedback_questions").c.participant_id.in_(mine))
            .values(body=""),
        ),
        (
            "communication_needs",
            delete(t("communication_needs")).where(
                t("communication_needs").c.person_id == person_id
            ),
        ),
        (
            "flag_texts",
            update(t("prep_flags"))
            .where(t("prep_flags").c.participant_id.in_(mine))
            .values(text=None),
        ),
        (
            "consent_notes",
            update(t("consent_records"))
            .where(t("consent_records").c.participant_id.in_(mine))
            .values(note=None),
        ),
        (
            "action_updates",
            update(t("action_updates"))
            .where(
                or_(
                    t("action_updates").c.action_id.in_(actions),
                    t("action_updates").c.by_participant_id.in_(mine),
                    _same(t("action_updates"), "by_telegram_user_id", uid),
                )
            )
            .values(text=None),
        ),
        (
            "prep_progress",
            update(t("prep_progress"))
            .where(t("prep_progress").c.participant_id.in_(mine))
            .values(editing_question_id=None),
        ),
        (
            "invitations_revoked",
            update(t("invitations"))
            .where(
                t("invitations").c.participant_id.in_(mine),
                t("invitations").c.used_at.is_(None),
                t("invitations").c.revoked_at.is_(None),
            )
            .values(revoked_at=now),
        ),
        (
            "participations_ended",
            update(t("participants"))
            .where(t("participants").c.id.in_(mine), t("participants").c.removed_at.is_(None))
            .values(removed_at=now),
        ),
        (
            "reminders_cancelled",
            update(reminders)
            .where(to_them, reminders.c.status == ReminderStatus.PENDING)
            .values(status=ReminderStatus.CANCELLED),
        ),
        (
            "reminders",
            update(reminders).where(to_them).values(payload={}, chat_id=0, last_error=None),
        ),
        (
            "digest_preferences",
            delete(t("digest_preferences")).where(t("digest_preferences").c.person_id == person_id),
        ),
    ]
    for name in DELETE_ON_ERASE:
        changes.append((name, delete(t(name)).where(_same(t(name), "telegram_user_id", uid))))
    for (name, column), _why in TELEGRAM_ID_COLUMNS.items():
        if name in ("people", "audit_events", "reminders") or (
            name in DELETE_ON_ERASE and column == "telegram_user_id"
        ):
            continue
        changes.append(
            (
                f"{name}.{column}",
                update(t(name)).where(_same(t(name), column, uid)).values({column: None}),
            )
        )
    counts: dict[str, int] = {}
    for name, statement in changes:
        result = cast(
            CursorResult[Any],
            await session.execute(statement.execution_options(synchronize_session=False)),
        )
        if result.rowcount:
            counts[name] = counts.get(name, 0) + int(result.rowcount)
    return counts


# --- requests from the bot --------------------------------------------------------------


@dataclass(frozen=True)
class Requested:
    request_id: int
    kind: str
    coordinators: int  # how many were told (0: nobody can approve it in the bot)
    again: bool  # a request of this kind was already waiting
    young_person: bool  # they take part as the young person (easy-read replies)


async def _person_of(session: AsyncSession, actor: Actor) -> Person:
    person = await session.scalar(
        select(Person).where(Person.telegram_user_id == actor.telegram_user_id)
    )
    if person is None or actor.telegram_user_id is None or actor.telegram_user_id <= 0:
        raise NotFound("not_a_participant")
    return person


async def is_young_person(session: AsyncSession, person_id: int) -> bool:
    found = await session.scalar(
        select(Participant.id)
        .where(
            Participant.person_id == person_id,
            Participant.role == Role.YOUNG_PERSON,
            Participant.deputy_for_id.is_(None),
        )
        .limit(1)
    )
    return found is not None


async def request(svc: Services, actor: Actor, kind: str) -> Requested:
    """Record a person's request and tell their coordinators (once each)."""
    if kind not in KINDS:
        raise Invalid("bad_request_kind")
    async with svc.db.transaction() as session:
        person = await _person_of(session, actor)
        young = await is_young_person(session, person.id)
        waiting = await session.scalar(
            select(DataRequest).where(
                DataRequest.person_id == person.id,
                DataRequest.kind == kind,
                DataRequest.status == "pending",
            )
        )
        again = waiting is not None
        if waiting is None:
            waiting = DataRequest(
                person_id=person.id, kind=kind, requested_at=svc.now(), status="pending"
            )
            session.add(waiting)
            await session.flush()
            audit(
                session,
                "data_request_made",
                actor=actor,
                person_id=person.id,
                request_id=waiting.id,
                request_kind=kind,
            )
        told = await _tell_coordinators(svc, session, waiting)
        return Requested(waiting.id, kind, told, again, young)


async def _tell_coordinators(svc: Services, session: AsyncSession, req: DataRequest) -> int:
    now = svc.now()
    chats = await coordinator_chats_for_person(svc.settings, session, req.person_id)
    kind = ReminderKind.COORD_DATA_REQUEST
    keys = {chat: f"{kind}:q{req.id}:c{chat}" for chat in chats}
    known = (
        set(await session.scalars(select(Reminder.key).where(Reminder.key.in_(keys.values()))))
        if keys
        else set()
    )
    for chat, key in keys.items():
        if key in known:
            continue
        session.add(
            Reminder.due_now(
                now,
                key=key,
                kind=kind,
                chat_id=chat,
                payload={"request_id": req.id},
            )
        )
    await session.flush()
    return len(chats)


@dataclass(frozen=True)
class Decision:
    request_id: int
    kind: str
    person_id: int
    outcome: str  # sent (copy queued) | erased | already | declined | on_hold
    on_hold: tuple[int, ...] = ()
    former_chat_id: int | None = None
    young_person: bool = False


async def pending_request(session: AsyncSession, request_id: int) -> DataRequest | None:
    found = await session.get(DataRequest, request_id)
    return found if found is not None and found.status == "pending" else None


async def decide(svc: Services, actor: Actor, request_id: int, *, approve: bool) -> Decision:
    """A coordinator of one of the person's teams approves or declines a request."""
    async with svc.db.transaction() as session:
        req = await session.get(DataRequest, request_id)
        if req is None:
            raise NotFound("request_not_found", request_id=request_id)
        if not actor.is_cli:
            chats = await coordinator_chats_for_person(svc.settings, session, req.person_id)
            if actor.telegram_user_id not in chats:
                raise NotFound("request_not_found", request_id=request_id)
        if req.status != "pending":
            raise Invalid("request_decided", request_id=request_id, status=req.status)
        young = await is_young_person(session, req.person_id)
        base = Decision(req.id, req.kind, req.person_id, outcome="", young_person=young)
        req.decided_at, req.decided_by = svc.now(), actor.telegram_user_id
        if not approve:
            req.status = "declined"
            audit(session, "data_request_declined", actor=actor, person_id=req.person_id,
                  role=staff_role(actor), request_id=req.id)  # fmt: skip
            await _tell_person(svc, session, req, "declined")
            return replace(base, outcome="declined")
        if req.kind == EXPORT:
            req.status = "approved"
            await _queue_copy(svc, session, req)
            audit(session, "data_request_approved", actor=actor, person_id=req.person_id,
                  role=staff_role(actor), request_id=req.id)  # fmt: skip
            return replace(base, outcome="sent")
        held = await holds_on(session, req.person_id)
        if held:
            req.status = "refused"
            audit(session, "erasure_refused", actor=actor, person_id=req.person_id,
                  role=staff_role(actor), request_id=req.id, on_hold=held)  # fmt: skip
            await _tell_person(svc, session, req, "on_hold")
            return replace(base, outcome="on_hold", on_hold=tuple(held))
        req.status = "approved"
        req.done_at = svc.now()
        await session.flush()
        done = await _erase(svc, session, actor, req.person_id, f"request {req.id}")
        return replace(
            base,
            outcome="already" if done.already else "erased",
            former_chat_id=done.former_chat_id,
        )


EXPORT_FORMATS = ("html", "json")
# On the web companion, an approved copy can be opened for this long after approval;
# then the person asks again (/mydata) for a fresh one.
COPY_PAGE_DAYS = 30


async def _tell_person(svc: Services, session: AsyncSession, req: DataRequest, why: str) -> None:
    """The person hears that their request was not carried out, and what they can do
    (a reminder row, sent once; the words are composed at sending time)."""
    person = await session.get_one(Person, req.person_id)
    if person.chat_id <= 0:  # erased or anonymised: there is nobody to tell
        return
    now = svc.now()
    session.add(
        Reminder.due_now(
            now,
            key=f"{ReminderKind.DATA_DECLINED}:q{req.id}",
            kind=ReminderKind.DATA_DECLINED,
            person_id=person.id,
            chat_id=person.chat_id,
            payload={"request_id": req.id, "why": why},
        )
    )
    await session.flush()


async def declined_request(session: AsyncSession, request_id: int) -> DataRequest | None:
    """The request, while the person it was declined for can still be told."""
    req = await session.get(DataRequest, request_id)
    if req is None or req.status not in ("declined", "refused"):
        return None
    person = await session.get(Person, req.person_id)
    return req if person is not None and person.telegram_user_id > 0 else None


async def _queue_copy(svc: Services, session: AsyncSession, req: DataRequest) -> None:
    person = await session.get_one(Person, req.person_id)
    now = svc.now()
    for fmt in EXPORT_FORMATS:
        session.add(
            Reminder.due_now(
                now,
                key=f"{ReminderKind.DATA_EXPORT}:q{req.id}:{fmt}",
                kind=ReminderKind.DATA_EXPORT,
                person_id=person.id,
                chat_id=person.chat_id,
                payload={"request_id": req.id, "format": fmt},
            )
        )
    await session.flush()


async def _approved_copy(session: AsyncSession, request_id: int) -> DataRequest | None:
    req = await session.get(DataRequest, request_id)
    if req is None or req.status != "approved" or req.kind != EXPORT:
        return None
    person = await session.get(Person, req.person_id)
    return req if person is not None and person.telegram_user_id > 0 else None


async def offer_copy(svc: Services, session: AsyncSession, request_id: int) -> DataRequest | None:
    """An approved copy is offered on the web companion (the chat gets a link only): the
    request is done when offered; each view and download is audited (`copy_for_viewer`)."""
    req = await _approved_copy(session, request_id)
    if req is None:
        return None
    req.done_at = svc.now()
    audit(session, "data_copy_offered", person_id=req.person_id, request_id=req.id,
          role="system", via="web")  # fmt: skip
    return req


def copy_page_until(req: DataRequest) -> datetime:
    return (req.decided_at or req.requested_at) + timedelta(days=COPY_PAGE_DAYS)


async def copy_for_viewer(svc: Services, actor: Actor, request_id: int, fmt: str) -> Export:
    """The copy, for the person it is about and nobody else (anyone else, or no such
    request: the same "not found"); Invalid("copy_expired") after COPY_PAGE_DAYS.
    Read fresh, in one transaction, and audited as an export on the web."""
    if fmt not in EXPORT_FORMATS:
        raise Invalid("bad_request_kind")
    found: Export | None = None
    refused = ""
    async with svc.db.transaction() as session:  # a refusal is audited, then raised
        req = await _approved_copy(session, request_id)
        person = await session.get(Person, req.person_id) if req is not None else None
        uid = actor.telegram_user_id
        if req is None or person is None or uid is None or person.telegram_user_id != uid:
            refused = "request_not_found"
            audit(session, "data_copy_refused", actor=actor, request_id=request_id)
        elif svc.now() >= copy_page_until(req):
            refused = "copy_expired"
            audit(session, "data_copy_refused", actor=actor, person_id=person.id,
                  request_id=req.id, why="expired")  # fmt: skip
        else:
            found = await collect(session, person.id, svc.now())
            audit(session, "data_exported", actor=actor, person_id=person.id, role="self",
                  request_id=req.id, via="web", format=fmt, counts=found.counts())  # fmt: skip
    if refused == "copy_expired":
        raise Invalid("copy_expired", request_id=request_id)
    if found is None:
        raise NotFound("request_not_found", request_id=request_id)
    return found


async def copy_for_sending(
    svc: Services, session: AsyncSession, request_id: int, now: datetime
) -> Export | None:
    """The copy for an approved request, read at sending time (None: no longer due —
    the person was erased or the request is gone); audited as an export."""
    req = await session.get(DataRequest, request_id)
    if req is None or req.status != "approved" or req.kind != EXPORT:
        return None
    person = await session.get(Person, req.person_id)
    if person is None or person.telegram_user_id <= 0:
        return None
    found = await collect(session, req.person_id, now)
    audit(session, "data_exported", person_id=req.person_id, request_id=req.id,
          role="system", counts=found.counts())  # fmt: skip
    req.done_at = now
    return found
