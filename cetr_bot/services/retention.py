"""Retention: `RETENTION_MONTHS` after a review closed, its free text goes (answers typed
or spoken, the young person's feedback and their questions about it with the answers,
action texts and updates, flags' words, consent
notes, pack fingerprints, reminder payloads, the venue), and so do the names and Telegram
ids of the people with no other review that keeps its data. Counts stay (review_counts)
for reporting. What is due is decided by `cetr_bot.retention_rules`; the removal runs in
one transaction per review. A legal hold (`hold_data`) keeps everything. Every run, hold
and release is audited, with counts, never content.

The same run clears a Dynamic Support Register entry's free text (reasons, key worker,
change reasons, outcomes of meetings recorded from elsewhere, who made each change)
`RETENTION_MONTHS` after the young person left the register, unless a review of theirs is
on legal hold; colours, dates and admissions stay (the 90% standard is reported from
them). And it deletes the web companion's sign-in links and sessions a day after they
were used up or ended.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import ReminderKind, ReminderStatus, ReviewStatus
from cetr_bot.retention_rules import (
    EntryFacts,
    EntryVerdict,
    Keep,
    RetentionPolicy,
    ReviewFacts,
    Verdict,
    decide,
    decide_entry,
    people_to_anonymise,
    web_cutoffs,
)
from cetr_bot.services import feedback
from cetr_bot.services.context import Actor, Services, audit
from cetr_bot.services.errors import Invalid, NotFound
from cetr_bot.storage.models import Participant, PendingInput, Person, Review, StartAttempt
from cetr_bot.storage.models_actions import Action, ActionUpdate, DigestPreference, ReviewFollowUp
from cetr_bot.storage.models_dsr import DsrChange, DsrEntry, RecordedReview
from cetr_bot.storage.models_feedback import FeedbackAnswer, ReviewFeedback
from cetr_bot.storage.models_needs import CommunicationNeed, FeedbackQuestion
from cetr_bot.storage.models_pack import PackVersion
from cetr_bot.storage.models_preparation import ConsentRecord, PrepAnswer, PrepFlag
from cetr_bot.storage.models_reminders import Reminder
from cetr_bot.storage.models_retention import DataHold, ReviewCount
from cetr_bot.storage.models_web import SignInLink, WebSession
from cetr_bot.text_safety import clean_text

FREE_TEXT_KINDS = ("text", "voice")
REMOVED = "removed"
MAX_REASON = 500
DSR_ENTRY_KINDS = (
    ReminderKind.DSR_CETR_DUE,
    ReminderKind.DSR_RATING_REVIEW,
    ReminderKind.DSR_VISIT,
    ReminderKind.DSR_ADULT_SOON,
)


@dataclass(frozen=True)
class ReviewRemoval:
    review_id: int
    removes: dict[str, int]  # what goes, by kind (only kinds with something to remove)


@dataclass(frozen=True)
class EntryRemoval:
    entry_id: int
    removes: dict[str, int]


@dataclass(frozen=True)
class RetentionPlan:
    at: datetime
    months: int
    reviews: tuple[ReviewRemoval, ...]
    people: tuple[int, ...]  # whose names and Telegram ids go
    on_hold: tuple[int, ...]  # closed long enough, but kept by a legal hold
    dry_run: bool = True
    totals: dict[str, int] = field(default_factory=dict)
    # Register entries whose free text goes (left the register long enough ago)...
    register: tuple[EntryRemoval, ...] = ()
    register_on_hold: tuple[int, ...] = ()  # ...and those a legal hold keeps
    register_totals: dict[str, int] = field(default_factory=dict)
    # The web companion's finished sign-in links and sessions deleted (by table).
    web: dict[str, int] = field(default_factory=dict)

    @property
    def anything(self) -> bool:
        return bool(self.reviews or self.register or self.web)


def policy_of(svc: Services) -> RetentionPolicy:
    return RetentionPolicy(months=svc.settings.retention_months)


async def _verdicts(svc: Services, session: AsyncSession) -> list[Verdict]:
    held = select(DataHold.review_id).where(DataHold.released_at.is_(None))
    rows = await session.execute(
        select(Review, ReviewFollowUp.report_sent_at, Review.id.in_(held))
        .outerjoin(ReviewFollowUp, ReviewFollowUp.review_id == Review.id)
        .where(Review.status != ReviewStatus.SCHEDULED)
        .order_by(Review.id)
    )
    now, policy = svc.now(), policy_of(svc)
    return [
        decide(
            ReviewFacts(
                review_id=review.id,
                status=ReviewStatus(review.status),
                report_sent_at=report_sent_at,
                cancelled_at=review.closed_at,
                on_hold=bool(on_hold),
                data_removed_at=review.data_removed_at,
            ),
            now,
            policy,
        )
        for review, report_sent_at, on_hold in rows
    ]


def _participants(review_id: int) -> Select[Any]:
    return select(Participant.id).where(Participant.review_id == review_id)


async def _count(session: AsyncSession, query: Select[Any]) -> int:
    return int(await session.scalar(query) or 0)


def _free_text_feedback() -> tuple[str, ...]:
    return tuple(q.id for q in feedback.questions() if not q.options)


async def removable(session: AsyncSession, review_id: int) -> dict[str, int]:
    """What a removal would take from this review, by kind (counts, no content)."""
    mine = _participants(review_id)
    actions = select(Action.id).where(Action.review_id == review_id)
    n = func.count()
    counts = {
        "answers_text": select(n).where(
            PrepAnswer.participant_id.in_(mine), PrepAnswer.kind == "text"
        ),
        "voice_notes": select(n).where(
            PrepAnswer.participant_id.in_(mine), PrepAnswer.kind == "voice"
        ),
        "feedback_text": select(n).where(
            FeedbackAnswer.participant_id.in_(mine),
            FeedbackAnswer.question_id.in_(_free_text_feedback()),
            FeedbackAnswer.value != "",
        ),
        "feedback_written": select(n).where(
            ReviewFeedback.review_id == review_id, ReviewFeedback.written_by.is_not(None)
        ),
        "question_texts": select(n).where(
            FeedbackQuestion.review_id == review_id, FeedbackQuestion.body != ""
        ),
        "action_texts": select(n).where(Action.review_id == review_id, Action.what != ""),
        "action_updates": select(n).where(
            ActionUpdate.action_id.in_(actions), ActionUpdate.text.is_not(None)
        ),
        "flag_texts": select(n).where(PrepFlag.review_id == review_id, PrepFlag.text.is_not(None)),
        "consent_notes": select(n).where(
            ConsentRecord.review_id == review_id, ConsentRecord.note.is_not(None)
        ),
        "pack_copies": select(n).where(
            PackVersion.review_id == review_id, PackVersion.fingerprint != ""
        ),
        "reminder_payloads": select(n).where(
            Reminder.review_id == review_id, Reminder.chat_id != 0
        ),
        "venue": select(n).where(Review.id == review_id, Review.location.is_not(None)),
    }
    found = {kind: await _count(session, query) for kind, query in counts.items()}
    return {kind: count for kind, count in found.items() if count}


async def _kept_counts(session: AsyncSession, review_id: int) -> dict[str, int]:
    """The anonymised counts kept for reporting."""
    mine = _participants(review_id)
    actions = select(Action.id).where(Action.review_id == review_id)
    n = func.count()
    queries = {
        "participants": select(n).where(
            Participant.review_id == review_id, Participant.person_id.is_not(None)
        ),
        "answers": select(n).where(PrepAnswer.participant_id.in_(mine)),
        "answers_text": select(n).where(
            PrepAnswer.participant_id.in_(mine), PrepAnswer.kind.in_(FREE_TEXT_KINDS)
        ),
        "feedback_answers": select(n).where(FeedbackAnswer.participant_id.in_(mine)),
        "actions": select(n).where(Action.review_id == review_id),
        "actions_done": select(n).where(Action.review_id == review_id, Action.status == "done"),
        "action_updates": select(n).where(ActionUpdate.action_id.in_(actions)),
        "flags_safeguarding": select(n).where(
            PrepFlag.review_id == review_id, PrepFlag.kind == "safeguarding"
        ),
        "flags_rights": select(n).where(PrepFlag.review_id == review_id, PrepFlag.kind == "rights"),
        "pack_versions": select(n).where(PackVersion.review_id == review_id),
    }
    return {kind: await _count(session, query) for kind, query in queries.items()}


async def _reviews_of_people(
    session: AsyncSession, review_ids: list[int]
) -> tuple[dict[int, set[int]], set[int]]:
    """Every review of each person in `review_ids` (not yet anonymised), and which of all
    those reviews had their content removed before."""
    people = (
        select(Participant.person_id)
        .join(Person, Person.id == Participant.person_id)
        .where(Participant.review_id.in_(review_ids), Person.telegram_user_id > 0)
    )
    rows = await session.execute(
        select(Participant.person_id, Participant.review_id, Review.data_removed_at)
        .join(Review, Review.id == Participant.review_id)
        .where(Participant.person_id.in_(people))
    )
    theirs: dict[int, set[int]] = defaultdict(set)
    removed: set[int] = set()
    for person_id, review_id, data_removed_at in rows:
        if person_id is None:
            continue
        theirs[person_id].add(review_id)
        if data_removed_at is not None:
            removed.add(review_id)
    return dict(theirs), removed


async def plan(svc: Services, actor: Actor, *, record: bool = True) -> RetentionPlan:
    """What the next run would remove (changes nothing but the audit of the dry run)."""
    async with svc.db.transaction() as session:
        verdicts = await _verdicts(svc, session)
        due = [v.review_id for v in verdicts if v.due]
        on_hold = tuple(
            v.review_id
            for v in verdicts
            if v.keep is Keep.ON_HOLD and v.remove_after and v.remove_after <= svc.now()
        )
        reviews = tuple([ReviewRemoval(r, await removable(session, r)) for r in due])
        theirs, removed = await _reviews_of_people(session, due)
        people = people_to_anonymise(theirs, due, removed)
        entries = await _entry_verdicts(svc, session)
        register = tuple(
            [EntryRemoval(v.entry_id, await entry_removable(session, v.entry_id))
             for v in entries if v.due]
        )  # fmt: skip
        result = RetentionPlan(
            at=svc.now(),
            months=svc.settings.retention_months,
            reviews=reviews,
            people=people,
            on_hold=on_hold,
            totals=_totals(reviews, people),
            register=register,
            register_on_hold=_held_entries(svc, entries),
            register_totals=_register_totals(register),
            web=await _web_counts(svc, session),
        )
        if record:
            audit(
                session,
                "retention_dry_run",
                actor=actor,
                reviews=len(reviews),
                people=len(people),
                on_hold=len(on_hold),
                counts=result.totals,
                register=len(register),
                register_on_hold=len(result.register_on_hold),
                web=result.web,
            )
    return result


def _totals(reviews: tuple[ReviewRemoval, ...], people: tuple[int, ...]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for removal in reviews:
        for kind, count in removal.removes.items():
            totals[kind] += count
    if people:
        totals["people"] = len(people)
    return dict(sorted(totals.items()))


async def run(svc: Services, actor: Actor | None = None) -> RetentionPlan:
    """Remove what is due: one transaction per review (its people with it), one per
    register entry, and one for the web companion's finished sign-ins."""
    async with svc.db.transaction() as session:
        due = [v.review_id for v in await _verdicts(svc, session) if v.due]
        entries_due = [v.entry_id for v in await _entry_verdicts(svc, session) if v.due]
    done: list[ReviewRemoval] = []
    people: list[int] = []
    for review_id in due:
        async with svc.db.transaction() as session:
            removal, gone = await _remove_review(svc, session, actor, review_id)
        if removal is not None:
            done.append(removal)
            people.extend(gone)
    register: list[EntryRemoval] = []
    for entry_id in entries_due:
        async with svc.db.transaction() as session:
            cleared = await _remove_entry(svc, session, actor, entry_id)
        if cleared is not None:
            register.append(cleared)
    async with svc.db.transaction() as session:
        web = await _prune_web(svc, session)
    result = RetentionPlan(
        at=svc.now(),
        months=svc.settings.retention_months,
        reviews=tuple(done),
        people=tuple(sorted(people)),
        on_hold=(),
        dry_run=False,
        totals=_totals(tuple(done), tuple(people)),
        register=tuple(register),
        register_totals=_register_totals(tuple(register)),
        web=web,
    )
    async with svc.db.transaction() as session:
        audit(
            session,
            "retention_run",
            actor=actor,
            reviews=len(done),
            people=len(people),
            counts=result.totals,
            register=len(register),
            web=web,
        )
    return result


async def _remove_review(
    svc: Services, session: AsyncSession, actor: Actor | None, review_id: int
) -> tuple[ReviewRemoval | None, tuple[int, ...]]:
    # Decided again inside this transaction: a hold put on since the plan wins.
    verdict = next((v for v in await _verdicts(svc, session) if v.review_id == review_id), None)
    if verdict is None or not verdict.due:
        return None, ()
    now = svc.now()
    removes = await removable(session, review_id)
    for kind, count in (await _kept_counts(session, review_id)).items():
        session.add(ReviewCount(review_id=review_id, kind=kind, count=count))
    mine = _participants(review_id)
    actions = select(Action.id).where(Action.review_id == review_id)
    statements = [
        update(PrepAnswer)
        .where(PrepAnswer.participant_id.in_(mine), PrepAnswer.kind.in_(FREE_TEXT_KINDS))
        .values(value="", kind=REMOVED),
        update(FeedbackAnswer)
        .where(
            FeedbackAnswer.participant_id.in_(mine),
            FeedbackAnswer.question_id.in_(_free_text_feedback()),
        )
        .values(value=""),
        update(ReviewFeedback)
        .where(ReviewFeedback.review_id == review_id)
        .values(answers={}, written_by=None),
        update(FeedbackQuestion)
        .where(FeedbackQuestion.review_id == review_id)
        .values(body="", written_by=None),
        update(Action).where(Action.review_id == review_id).values(what="", created_by=None),
        update(ActionUpdate)
        .where(ActionUpdate.action_id.in_(actions))
        .values(text=None, by_telegram_user_id=None),
        update(PrepFlag).where(PrepFlag.review_id == review_id).values(text=None, raised_by=None),
        update(ConsentRecord)
        .where(ConsentRecord.review_id == review_id)
        .values(note=None, recorded_by=None),
        update(PackVersion).where(PackVersion.review_id == review_id).values(fingerprint=""),
        update(Reminder)
        .where(Reminder.review_id == review_id, Reminder.status == ReminderStatus.PENDING)
        .values(status=ReminderStatus.CANCELLED),
        update(Reminder).where(Reminder.review_id == review_id).values(payload={}, chat_id=0),
        update(Participant).where(Participant.review_id == review_id).values(approved_by=None),
        update(ReviewFollowUp)
        .where(ReviewFollowUp.review_id == review_id)
        .values(report_marked_by=None),
        update(Review)
        .where(Review.id == review_id)
        .values(location=None, created_by=None, data_removed_at=now),
    ]
    for statement in statements:
        await session.execute(statement.execution_options(synchronize_session=False))
    audit(session, "retention_removed", actor=actor, review_id=review_id, counts=removes)
    theirs, removed = await _reviews_of_people(session, [review_id])
    gone = people_to_anonymise(theirs, [review_id], removed)
    for person_id in gone:
        await _anonymise(session, actor, person_id)
    return ReviewRemoval(review_id, removes), gone


async def _anonymise(session: AsyncSession, actor: Actor | None, person_id: int) -> None:
    """The name and Telegram ids go; the row stays (a negative id marks it), so the
    counts and the audit trail still add up."""
    person = await session.get_one(Person, person_id)
    old = person.telegram_user_id
    await session.execute(delete(PendingInput).where(PendingInput.telegram_user_id == old))
    await session.execute(delete(StartAttempt).where(StartAttempt.telegram_user_id == old))
    await session.execute(delete(DigestPreference).where(DigestPreference.person_id == person_id))
    await session.execute(delete(CommunicationNeed).where(CommunicationNeed.person_id == person_id))
    await session.execute(
        update(Reminder)
        .where(Reminder.person_id == person_id)
        .values(chat_id=0, payload={})
        .execution_options(synchronize_session=False)
    )
    # Their web companion sign-ins go with their Telegram id (signing them out).
    await session.execute(delete(SignInLink).where(SignInLink.telegram_user_id == old))
    await session.execute(delete(WebSession).where(WebSession.telegram_user_id == old))
    person.preferred_name = None
    person.telegram_user_id = -person_id
    person.chat_id = -person_id
    audit(session, "person_anonymised", actor=actor, person_id=person_id)


# --- the Dynamic Support Register ------------------------------------------------------


def _today(svc: Services) -> date:
    return svc.now().astimezone(svc.settings.zone).date()


async def _entry_verdicts(svc: Services, session: AsyncSession) -> list[EntryVerdict]:
    """Every entry whose young person has left the register, decided. A legal hold on
    any review of that young person keeps the entry (`review hold-data`)."""
    held = (
        select(Review.young_person_id)
        .join(DataHold, DataHold.review_id == Review.id)
        .where(DataHold.released_at.is_(None))
    )
    rows = await session.execute(
        select(
            DsrEntry.id,
            DsrEntry.left_on,
            DsrEntry.data_removed_at,
            DsrEntry.young_person_id.in_(held),
        )
        .where(DsrEntry.left_on.is_not(None))
        .order_by(DsrEntry.id)
    )
    day, policy = _today(svc), policy_of(svc)
    return [
        decide_entry(EntryFacts(entry_id, left_on, bool(on_hold), removed_at), day, policy)
        for entry_id, left_on, removed_at, on_hold in rows
    ]


def _held_entries(svc: Services, verdicts: list[EntryVerdict]) -> tuple[int, ...]:
    day = _today(svc)
    return tuple(
        v.entry_id
        for v in verdicts
        if v.keep is Keep.ON_HOLD and v.remove_after is not None and v.remove_after <= day
    )


def _register_totals(register: tuple[EntryRemoval, ...]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for removal in register:
        for kind, count in removal.removes.items():
            totals[kind] += count
    return dict(sorted(totals.items()))


async def entry_removable(session: AsyncSession, entry_id: int) -> dict[str, int]:
    """What clearing this register entry would take, by kind (counts, no content)."""
    entry = await session.get_one(DsrEntry, entry_id)
    n = func.count()
    counts = {
        "register_reasons": select(n).where(
            DsrEntry.id == entry_id,
            (DsrEntry.rag_reason.is_not(None)) | (DsrEntry.cetr_settled_reason.is_not(None)),
        ),
        "register_key_workers": select(n).where(
            DsrEntry.id == entry_id, DsrEntry.key_worker.is_not(None)
        ),
        "register_changes": select(n).where(
            DsrChange.entry_id == entry_id,
            (DsrChange.reason.is_not(None)) | (DsrChange.by.is_not(None)),
        ),
        "recorded_outcomes": select(n).where(
            RecordedReview.young_person_id == entry.young_person_id,
            (RecordedReview.outcome.is_not(None)) | (RecordedReview.recorded_by.is_not(None)),
        ),
        "register_reminders": select(n).where(
            Reminder.young_person_id == entry.young_person_id,
            Reminder.kind.in_(DSR_ENTRY_KINDS),
            Reminder.chat_id != 0,
        ),
    }
    found = {kind: await _count(session, query) for kind, query in counts.items()}
    return {kind: count for kind, count in found.items() if count}


async def _remove_entry(
    svc: Services, session: AsyncSession, actor: Actor | None, entry_id: int
) -> EntryRemoval | None:
    # Decided again inside this transaction: a hold, or a return to the register, wins.
    verdict = next((v for v in await _entry_verdicts(svc, session) if v.entry_id == entry_id), None)
    if verdict is None or not verdict.due:
        return None
    entry = await session.get_one(DsrEntry, entry_id, with_for_update=True)
    removes = await entry_removable(session, entry_id)
    young = entry.young_person_id
    statements = [
        update(DsrEntry)
        .where(DsrEntry.id == entry_id)
        .values(
            rag_reason=None, key_worker=None, cetr_settled_reason=None, data_removed_at=svc.now()
        ),
        update(DsrChange).where(DsrChange.entry_id == entry_id).values(reason=None, by=None),
        update(RecordedReview)
        .where(RecordedReview.young_person_id == young)
        .values(outcome=None, recorded_by=None),
        update(Reminder)
        .where(
            Reminder.young_person_id == young,
            Reminder.kind.in_(DSR_ENTRY_KINDS),
            Reminder.status == ReminderStatus.PENDING,
        )
        .values(status=ReminderStatus.CANCELLED),
        update(Reminder)
        .where(Reminder.young_person_id == young, Reminder.kind.in_(DSR_ENTRY_KINDS))
        .values(payload={}, chat_id=0),
    ]
    for statement in statements:
        await session.execute(statement.execution_options(synchronize_session=False))
    audit(session, "retention_register_removed", actor=actor, entry_id=entry_id, counts=removes)
    return EntryRemoval(entry_id, removes)


# --- the web companion's sign-in links and sessions -------------------------------------


def _web_finished(svc: Services) -> dict[str, Any]:
    cut = web_cutoffs(svc.now(), svc.settings.web_session_idle_minutes)
    return {
        "sign_in_links": (SignInLink, or_(
            SignInLink.used_at < cut.finished_before,
            SignInLink.expires_at < cut.finished_before,
        )),
        "web_sessions": (WebSession, or_(
            WebSession.ended_at < cut.finished_before,
            WebSession.expires_at < cut.finished_before,
            WebSession.last_seen_at < cut.idle_before,
        )),
        # Failed /start attempts only throttle guessing within BAD_TOKEN_WINDOW_MINUTES.
        "start_attempts": (StartAttempt, StartAttempt.at < cut.finished_before),
    }  # fmt: skip


async def _web_counts(svc: Services, session: AsyncSession) -> dict[str, int]:
    found = {
        name: await _count(session, select(func.count()).select_from(model).where(where))
        for name, (model, where) in _web_finished(svc).items()
    }
    return {name: count for name, count in found.items() if count}


async def _prune_web(svc: Services, session: AsyncSession) -> dict[str, int]:
    done: dict[str, int] = {}
    for name, (model, where) in _web_finished(svc).items():
        result = await session.execute(delete(model).where(where))
        if result.rowcount:  # type: ignore[attr-defined]
            done[name] = int(result.rowcount)  # type: ignore[attr-defined]
    return done


# --- legal hold --------------------------------------------------------------------------


def _reason(reason: str) -> str:
    reason = " ".join(clean_text(reason).split())
    if not reason:
        raise Invalid("hold_reason")
    if len(reason) > MAX_REASON:
        raise Invalid("text_too_long", limit=MAX_REASON)
    return reason


async def hold_data(svc: Services, actor: Actor, *, review_id: int, reason: str) -> int:
    """Put a legal hold on a review's data (retention keeps all of it); the hold's id."""
    reason = _reason(reason)
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        await svc.require_review(session, actor, review_id)
        if await _active_hold(session, review_id) is not None:
            raise Invalid("hold_exists", review_id=review_id)
        hold = DataHold(
            review_id=review_id, reason=reason, held_at=svc.now(), held_by=actor.telegram_user_id
        )
        session.add(hold)
        await session.flush()
        audit(session, "data_hold_placed", actor=actor, review_id=review_id, hold_id=hold.id)
        return hold.id


async def release_data(svc: Services, actor: Actor, *, review_id: int, reason: str) -> int:
    """Lift the legal hold; retention applies again from its next run."""
    reason = _reason(reason)
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        await svc.require_review(session, actor, review_id)
        hold = await _active_hold(session, review_id)
        if hold is None:
            raise NotFound("hold_not_found", review_id=review_id)
        hold.released_at = svc.now()
        hold.released_by = actor.telegram_user_id
        hold.release_reason = reason
        audit(session, "data_hold_released", actor=actor, review_id=review_id, hold_id=hold.id)
        return hold.id


async def _active_hold(session: AsyncSession, review_id: int) -> DataHold | None:
    return await session.scalar(
        select(DataHold).where(DataHold.review_id == review_id, DataHold.released_at.is_(None))
    )


async def on_hold(session: AsyncSession, review_id: int) -> bool:
    return await _active_hold(session, review_id) is not None
