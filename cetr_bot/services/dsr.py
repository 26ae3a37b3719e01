"""The Dynamic Support Register: who is at risk of admission, so the community CETR
happens in time.

Every call checks the actor on the server (a coordinator of the entry's team, or the
operator) and does its work in one transaction; every change keeps who, when and why
(dsr_changes) and an audit event (ids only). What the register sets in motion is in
cetr_bot.dsr_rules; the reminders are rows planned by scheduling/dsr_planner.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot import dsr_rules as dr
from cetr_bot.domain import (
    CetrSettled,
    DsrBasis,
    DsrLeft,
    Rag,
    RecordedType,
    ReviewStatus,
    ReviewType,
    Setting,
)
from cetr_bot.rules import RuleWarning
from cetr_bot.services import reviews, teams
from cetr_bot.services.context import Actor, Services, audit, shown_via, staff_role
from cetr_bot.services.errors import Invalid, NotFound
from cetr_bot.services.events import dsr_changed
from cetr_bot.storage.coordinators import TeamScope, default_team_id
from cetr_bot.storage.models import Review, YoungPerson
from cetr_bot.storage.models_dsr import DsrAdmission, DsrChange, DsrEntry, RecordedReview
from cetr_bot.storage.models_teams import Team
from cetr_bot.text_safety import clean_text

MAX_REASON = 500
MAX_KEY_WORKER = 80
COLOUR_ORDER = (Rag.RED, Rag.AMBER, Rag.GREEN, Rag.BLUE)
COMMUNITY_RAGS = (Rag.RED, Rag.AMBER, Rag.GREEN)


@dataclass(frozen=True)
class EntryView:
    id: int
    young_person_id: int
    ref: str
    rag: Rag
    basis: DsrBasis
    rated_on: date
    rating_review_on: date | None
    reason: str | None
    key_worker: str | None
    date_of_birth: date | None
    in_hospital: bool
    admitted_on: date | None
    out_of_area: bool
    cetr_due_on: date | None
    cetr_status: str | None  # None: none due; "open", or how it was settled (CetrSettled)
    due: list[dr.DueItem]
    warnings: list[RuleWarning]
    version: int
    team_id: int | None
    admitted_without_cetr: bool = False  # this stay had no community CETR before it
    left_on: date | None = None  # off the register since (then left_why says why)
    left_why: DsrLeft | None = None

    @property
    def next_due(self) -> dr.DueItem | None:
        return min(self.due, key=lambda d: d.on) if self.due else None


@dataclass(frozen=True)
class ChangeLine:
    at: datetime
    by: int | None
    what: str
    old: str | None
    new: str | None
    reason: str | None


@dataclass(frozen=True)
class Register:
    by_colour: list[tuple[Rag, list[EntryView]]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(entries for _, entries in self.by_colour)

    @property
    def first_id(self) -> int | None:
        return next((entries[0].id for _, entries in self.by_colour if entries), None)


# --- input ------------------------------------------------------------------------------


def validate_reason(reason: str | None, *, required: bool) -> str | None:
    text = clean_text(reason or "").strip()
    if not text:
        if required:
            raise Invalid("dsr_reason_needed")
        return None
    if len(text) > MAX_REASON:
        raise Invalid("dsr_reason_too_long", limit=MAX_REASON)
    return text


def validate_key_worker(key_worker: str | None) -> str | None:
    text = clean_text(key_worker or "", multiline=False).strip()
    if len(text) > MAX_KEY_WORKER:
        raise Invalid("dsr_reason_too_long", limit=MAX_KEY_WORKER)
    return text or None


def today(svc: Services) -> date:
    return svc.now().astimezone(svc.settings.zone).date()


def _not_future(svc: Services, day: date, key: str = "date_in_future") -> date:
    if day > today(svc):
        raise Invalid(key)
    return day


# --- reading the state of one entry -------------------------------------------------------


async def checks_for(svc: Services, session: AsyncSession, young_person_id: int) -> list[dr.Check]:
    """Reviews in the bot (not cancelled, on or before today) and those recorded."""
    zone, now = svc.settings.zone, today(svc)
    found: list[dr.Check] = []
    for r in await session.scalars(select(Review).where(Review.young_person_id == young_person_id)):
        on = r.scheduled_at.astimezone(zone).date()
        if r.status != ReviewStatus.CANCELLED and on <= now:
            found.append(dr.Check(RecordedType(r.type), on))
    for row in await session.scalars(
        select(RecordedReview).where(RecordedReview.young_person_id == young_person_id)
    ):
        found.append(dr.Check(RecordedType(row.type), row.held_on))
    return found


async def _booked_since(
    svc: Services, session: AsyncSession, young_person_id: int, flagged_on: date
) -> bool:
    """A community CETR set up in the bot for a date on or after the flag."""
    rows = await session.scalars(
        select(Review.scheduled_at).where(
            Review.young_person_id == young_person_id,
            Review.type == ReviewType.COMMUNITY,
            Review.status != ReviewStatus.CANCELLED,
        )
    )
    zone = svc.settings.zone
    return any(at.astimezone(zone).date() >= flagged_on for at in rows)


async def cetr_status(
    svc: Services, session: AsyncSession, entry: DsrEntry, checks: list[dr.Check]
) -> str | None:
    if entry.cetr_due_on is None or entry.cetr_flagged_on is None:
        return None
    if entry.cetr_settled:
        return entry.cetr_settled
    held = dr.settled_by(checks, entry.cetr_flagged_on)
    if held is not None:
        return CetrSettled.LAEP if held.type is RecordedType.LAEP else CetrSettled.HELD
    if await _booked_since(svc, session, entry.young_person_id, entry.cetr_flagged_on):
        return CetrSettled.BOOKED
    return "open"


async def view_of(svc: Services, session: AsyncSession, entry: DsrEntry) -> EntryView:
    person = await session.get_one(YoungPerson, entry.young_person_id)
    checks = await checks_for(svc, session, person.id)
    status = await cetr_status(svc, session, entry, checks)
    rag = Rag(entry.rag)
    in_hospital = person.setting == Setting.INPATIENT and person.admitted_on is not None
    due: list[dr.DueItem] = []
    policy, day = svc.dsr_policy, today(svc)
    if status == "open" and entry.cetr_due_on is not None:
        due.append(dr.DueItem("community_cetr", entry.cetr_due_on))
    if in_hospital and person.admitted_on is not None:
        kind, on = dr.next_inpatient_cetr(person.admitted_on, checks, policy, svc.policy)
        due.append(dr.DueItem(f"{kind}_cetr", on))
        if entry.out_of_area:
            due.append(dr.DueItem("visit", dr.next_visit(person.admitted_on, day, policy)))
    if entry.rating_review_on is not None:
        due.append(dr.DueItem("rating_review", entry.rating_review_on))
    if person.date_of_birth is not None:
        warn_on = dr.adult_warning_on(person.date_of_birth, policy, svc.policy)
        if warn_on >= day:
            due.append(dr.DueItem("adult_warning", warn_on))
    return EntryView(
        id=entry.id,
        young_person_id=person.id,
        ref=person.ref,
        rag=rag,
        basis=DsrBasis(entry.basis),
        rated_on=entry.rated_on,
        rating_review_on=entry.rating_review_on,
        reason=entry.rag_reason,
        key_worker=entry.key_worker,
        date_of_birth=person.date_of_birth,
        in_hospital=in_hospital,
        admitted_on=person.admitted_on if in_hospital else None,
        out_of_area=entry.out_of_area,
        cetr_due_on=entry.cetr_due_on,
        cetr_status=status,
        due=sorted(due, key=lambda d: d.on),
        warnings=dr.age_warnings(person.date_of_birth, day, policy, svc.policy),
        version=entry.version,
        team_id=entry.team_id,
        admitted_without_cetr=in_hospital and await _stay_without(session, entry.id),
        left_on=entry.left_on,
        left_why=DsrLeft(entry.left_why) if entry.left_why else None,
    )


async def _stay_without(session: AsyncSession, entry_id: int) -> bool:
    stay = await session.scalar(
        select(DsrAdmission.with_community_cetr)
        .where(DsrAdmission.entry_id == entry_id, DsrAdmission.discharged_on.is_(None))
        .order_by(DsrAdmission.id.desc())
        .limit(1)
    )
    return stay is False


async def entry_for_young_person(session: AsyncSession, young_person_id: int) -> DsrEntry | None:
    return await session.scalar(select(DsrEntry).where(DsrEntry.young_person_id == young_person_id))


# --- who may see what ------------------------------------------------------------------


def _scope_clause(scope: TeamScope | None, default_id: int | None) -> ColumnElement[bool]:
    if scope is None:
        return true()
    ids = set(scope.team_ids)
    parts: list[ColumnElement[bool]] = [DsrEntry.team_id.in_(sorted(ids))] if ids else []
    if scope.default:
        parts.append(DsrEntry.team_id.is_(None))
        if default_id is not None:
            parts.append(DsrEntry.team_id == default_id)
    return or_(*parts) if parts else false()


async def _entry(
    svc: Services,
    session: AsyncSession,
    actor: Actor,
    entry_id: int,
    *,
    lock: bool = False,
    on_register: bool | None = None,
) -> DsrEntry:
    """Another team's entry gets the same answer as no such entry: nothing leaks. A
    change (`lock`) needs the young person on the register still (`on_register`)."""
    query = select(DsrEntry).where(DsrEntry.id == entry_id)
    entry = await session.scalar(query.with_for_update() if lock else query)
    scope = await svc.team_scope(session, actor)
    if entry is None or (scope is not None and not scope.allows(entry.team_id)):
        raise NotFound("dsr_not_found", entry_id=entry_id)
    if (lock if on_register is None else on_register) and entry.left_on is not None:
        raise Invalid("dsr_left", entry_id=entry_id)
    return entry


def _change(
    session: AsyncSession,
    entry: DsrEntry,
    actor: Actor,
    what: str,
    old: str | None,
    new: str | None,
    reason: str | None = None,
) -> None:
    entry.version += 1
    session.add(
        DsrChange(
            entry_id=entry.id,
            by=actor.telegram_user_id,
            what=what,
            old=old,
            new=new,
            reason=reason,
        )
    )
    audit(session, f"dsr_{what}", actor=actor, entry_id=entry.id)


async def _flag(svc: Services, entry: DsrEntry, old: Rag | None, new: Rag, on: date) -> None:
    """A red or amber rating makes a community CETR due (amber → red brings it forward)."""
    open_before = entry.cetr_due_on is not None and entry.cetr_settled is None
    due = dr.flag_for_change(
        old if open_before else None,
        new,
        on,
        entry.cetr_due_on if open_before else None,
        svc.dsr_policy,
    )
    if due is None:
        entry.cetr_flagged_on = entry.cetr_due_on = None
    else:
        if not open_before or entry.cetr_flagged_on is None:
            entry.cetr_flagged_on = on
        entry.cetr_due_on = due
    entry.cetr_settled = entry.cetr_settled_reason = None


# --- what coordinators do ----------------------------------------------------------------


async def add_entry(
    svc: Services,
    actor: Actor,
    *,
    ref: str,
    date_of_birth: date,
    rag: Rag,
    reason: str | None = None,
    basis: DsrBasis = DsrBasis.CONSENT,
    key_worker: str | None = None,
    team: str | None = None,
) -> EntryView:
    await svc.require_coordinator(actor)
    ref = reviews.validate_ref(ref)
    if rag not in COMMUNITY_RAGS:
        raise Invalid("dsr_add_blue")
    reason = validate_reason(reason, required=False)
    key_worker = validate_key_worker(key_worker)
    _not_future(svc, date_of_birth, "birth_in_future")
    await reviews.refuse_known_name(svc, ref)
    day = today(svc)
    async with svc.db.transaction() as session:
        team_id = await teams.team_for_new_review(svc, session, actor, team)
        person = await session.scalar(select(YoungPerson).where(YoungPerson.ref == ref))
        before: DsrEntry | None = None
        if person is None:
            person = YoungPerson(ref=ref, setting=Setting.COMMUNITY, date_of_birth=date_of_birth)
            session.add(person)
            await session.flush()
        else:
            await _same_team(session, person.id, team_id)
            before = await entry_for_young_person(session, person.id)
            if before is not None and before.left_on is None:
                raise Invalid("dsr_exists", ref=ref)
            person.date_of_birth = date_of_birth
        in_hospital = person.setting == Setting.INPATIENT and person.admitted_on is not None
        entry = before if before is not None else DsrEntry(version=0)
        old = entry.rag if entry.id else None
        entry.young_person_id, entry.team_id, entry.basis = person.id, team_id, basis
        entry.rag = Rag.BLUE if in_hospital else rag
        entry.rag_reason, entry.rated_on, entry.key_worker = reason, day, key_worker
        entry.out_of_area = False
        # Back on the register: a fresh start (what retention removed stays removed).
        entry.left_on = entry.left_why = entry.data_removed_at = None
        entry.cetr_flagged_on = entry.cetr_due_on = None
        entry.cetr_settled = entry.cetr_settled_reason = None
        session.add(entry)
        await session.flush()
        if not in_hospital:
            await _flag(svc, entry, None, rag, day)
        entry.rating_review_on = await _rating_review(svc, session, entry, day)
        _change(session, entry, actor, "rejoined" if old else "added", old, entry.rag, reason)
        await dsr_changed(svc, session, person.id, reason="added")
        return await view_of(svc, session, entry)


async def _same_team(session: AsyncSession, young_person_id: int, team_id: int) -> None:
    """A reference another team uses is refused (as for reviews)."""
    used = set(
        await session.scalars(
            select(Review.team_id).where(Review.young_person_id == young_person_id)
        )
    )
    default_id = await default_team_id(session)
    if {default_id if t is None else t for t in used} - {team_id}:
        raise Invalid("ref_taken")


async def _rating_review(
    svc: Services, session: AsyncSession, entry: DsrEntry, on: date
) -> date | None:
    rag = Rag(entry.rag)
    if rag is not Rag.BLUE:
        return dr.next_rating_review(rag, on, svc.dsr_policy)
    person = await session.get_one(YoungPerson, entry.young_person_id)
    if person.admitted_on is None:
        return None
    checks = await checks_for(svc, session, person.id)
    _, due = dr.next_inpatient_cetr(person.admitted_on, checks, svc.dsr_policy, svc.policy)
    return dr.next_rating_review(rag, on, svc.dsr_policy, next_inpatient_cetr=due)


async def rate(
    svc: Services, actor: Actor, *, entry_id: int, rag: Rag, reason: str | None
) -> EntryView:
    await svc.require_coordinator(actor)
    reason = validate_reason(reason, required=True)
    if rag not in COMMUNITY_RAGS:
        raise Invalid("dsr_rate_blue")
    day = today(svc)
    async with svc.db.transaction() as session:
        entry = await _entry(svc, session, actor, entry_id, lock=True)
        old = Rag(entry.rag)
        if old is Rag.BLUE:
            raise Invalid("dsr_in_hospital", entry_id=entry_id)
        await _flag(svc, entry, old, rag, day)
        entry.rag, entry.rag_reason, entry.rated_on = rag, reason, day
        entry.rating_review_on = dr.next_rating_review(rag, day, svc.dsr_policy)
        _change(session, entry, actor, "rated", old, rag, reason)
        await dsr_changed(svc, session, entry.young_person_id, reason="rated")
        return await view_of(svc, session, entry)


async def admit(
    svc: Services, actor: Actor, *, entry_id: int, on: date, out_of_area: bool = False
) -> EntryView:
    await svc.require_coordinator(actor)
    _not_future(svc, on, "admission_in_future")
    async with svc.db.transaction() as session:
        entry = await _entry(svc, session, actor, entry_id, lock=True)
        person = await session.get_one(YoungPerson, entry.young_person_id)
        if person.setting == Setting.INPATIENT and person.admitted_on is not None:
            raise Invalid("dsr_already_admitted", entry_id=entry_id)
        if person.date_of_birth and on < person.date_of_birth:
            raise Invalid("admission_before_birth")
        checks = await checks_for(svc, session, person.id)
        outcome = dr.on_admission(on, checks, svc.dsr_policy, svc.policy)
        old = entry.rag
        person.setting, person.admitted_on = Setting.INPATIENT, on
        entry.rag, entry.rated_on, entry.out_of_area = outcome.rag, today(svc), out_of_area
        entry.cetr_flagged_on = entry.cetr_due_on = None
        entry.cetr_settled = entry.cetr_settled_reason = None
        session.add(
            DsrAdmission(
                entry_id=entry.id,
                admitted_on=on,
                out_of_area=out_of_area,
                with_community_cetr=not outcome.without_community_cetr,
            )
        )
        await session.flush()
        entry.rating_review_on = await _rating_review(svc, session, entry, today(svc))
        note = "without_community_cetr" if outcome.without_community_cetr else None
        _change(session, entry, actor, "admitted", old, entry.rag, note)
        await dsr_changed(svc, session, person.id, reason="admitted")
        return await view_of(svc, session, entry)


async def discharge(svc: Services, actor: Actor, *, entry_id: int, on: date, rag: Rag) -> EntryView:
    await svc.require_coordinator(actor)
    _not_future(svc, on)
    if rag not in COMMUNITY_RAGS:
        raise Invalid("dsr_rate_blue")
    async with svc.db.transaction() as session:
        entry = await _entry(svc, session, actor, entry_id, lock=True)
        person = await session.get_one(YoungPerson, entry.young_person_id)
        if person.setting != Setting.INPATIENT or person.admitted_on is None:
            raise Invalid("dsr_not_admitted", entry_id=entry_id)
        if on < person.admitted_on:
            raise Invalid("dsr_discharge_before_admission")
        stay = await session.scalar(
            select(DsrAdmission)
            .where(DsrAdmission.entry_id == entry.id, DsrAdmission.discharged_on.is_(None))
            .order_by(DsrAdmission.id.desc())
        )
        if stay is not None:
            stay.discharged_on = on
        new_rag, review_on = dr.on_discharge(rag, on, svc.dsr_policy)
        old = entry.rag
        person.setting, person.admitted_on = Setting.COMMUNITY, None
        entry.rag, entry.rated_on, entry.out_of_area = new_rag, on, False
        entry.rating_review_on = review_on
        await _flag(svc, entry, None, new_rag, today(svc))
        _change(session, entry, actor, "discharged", old, new_rag)
        await dsr_changed(svc, session, person.id, reason="discharged")
        return await view_of(svc, session, entry)


async def decline_cetr(svc: Services, actor: Actor, *, entry_id: int, reason: str) -> EntryView:
    """The community CETR that fell due will not happen: why (the chasing stops)."""
    await svc.require_coordinator(actor)
    text = validate_reason(reason, required=True)
    async with svc.db.transaction() as session:
        entry = await _entry(svc, session, actor, entry_id, lock=True)
        if entry.cetr_due_on is None or entry.cetr_settled is not None:
            raise Invalid("dsr_no_cetr_due", entry_id=entry_id)
        entry.cetr_settled, entry.cetr_settled_reason = CetrSettled.DECLINED, text
        _change(session, entry, actor, "cetr_declined", None, CetrSettled.DECLINED, text)
        await dsr_changed(svc, session, entry.young_person_id, reason="cetr_declined")
        return await view_of(svc, session, entry)


async def leave(svc: Services, actor: Actor, *, entry_id: int, why: DsrLeft) -> EntryView:
    """The young person comes off the register (why: a code, never free text). Their
    reminders stop; retention clears the entry's free text RETENTION_MONTHS later."""
    await svc.require_coordinator(actor)
    why = DsrLeft(why)
    async with svc.db.transaction() as session:
        entry = await _entry(svc, session, actor, entry_id, lock=True)
        entry.left_on, entry.left_why = today(svc), why
        entry.rating_review_on = None
        _change(session, entry, actor, "left", entry.rag, why)
        await dsr_changed(svc, session, entry.young_person_id, reason="left")
        return await view_of(svc, session, entry)


async def record_review(
    svc: Services,
    actor: Actor,
    *,
    ref: str,
    review_type: RecordedType,
    on: date,
    outcome: str | None = None,
) -> int:
    """A CETR or LAEP meeting held elsewhere, so the rules know of it. Returns its id."""
    await svc.require_coordinator(actor)
    ref = reviews.validate_ref(ref)
    _not_future(svc, on)
    outcome = validate_reason(outcome, required=False)
    async with svc.db.transaction() as session:
        person = await session.scalar(select(YoungPerson).where(YoungPerson.ref == ref))
        if person is None or not await _sees_young_person(svc, session, actor, person.id):
            raise NotFound("dsr_ref_not_found", ref=ref)
        row = RecordedReview(
            young_person_id=person.id,
            type=review_type,
            held_on=on,
            outcome=outcome,
            recorded_by=actor.telegram_user_id,
        )
        session.add(row)
        await session.flush()
        audit(session, "review_recorded", actor=actor, recorded_id=row.id)
        entry = await entry_for_young_person(session, person.id)
        if entry is not None:
            session.add(
                DsrChange(
                    entry_id=entry.id,
                    by=actor.telegram_user_id,
                    what="recorded",
                    new=review_type,
                    reason=on.isoformat(),
                )
            )
            entry.version += 1
            if Rag(entry.rag) is Rag.BLUE:
                entry.rating_review_on = await _rating_review(svc, session, entry, today(svc))
        await dsr_changed(svc, session, person.id, reason="recorded")
        return row.id


async def _sees_young_person(
    svc: Services, session: AsyncSession, actor: Actor, young_person_id: int
) -> bool:
    scope = await svc.team_scope(session, actor)
    if scope is None:
        return True
    entry = await entry_for_young_person(session, young_person_id)
    if entry is not None:
        return scope.allows(entry.team_id)
    review_teams = list(
        await session.scalars(
            select(Review.team_id).where(Review.young_person_id == young_person_id)
        )
    )
    return bool(review_teams) and all(scope.allows(t) for t in review_teams)


# --- what coordinators read --------------------------------------------------------------


async def show_entry(
    svc: Services, actor: Actor, entry_id: int, *, via: str | None = None
) -> EntryView:
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        entry = await _entry(svc, session, actor, entry_id)
        audit(
            session,
            "dsr_viewed",
            actor=actor,
            role=staff_role(actor),
            entry_id=entry.id,
            **shown_via(via),
        )
        return await view_of(svc, session, entry)


async def history(svc: Services, actor: Actor, entry_id: int) -> tuple[EntryView, list[ChangeLine]]:
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        entry = await _entry(svc, session, actor, entry_id)
        rows = await session.scalars(
            select(DsrChange).where(DsrChange.entry_id == entry.id).order_by(DsrChange.id)
        )
        lines = [ChangeLine(r.at, r.by, r.what, r.old, r.new, r.reason) for r in rows]
        audit(session, "dsr_history_viewed", actor=actor, entry_id=entry.id)
        return await view_of(svc, session, entry), lines


async def _entries_in_scope(
    svc: Services,
    session: AsyncSession,
    actor: Actor,
    team_id: int | None = None,
    *,
    on_register: bool = False,
) -> list[DsrEntry]:
    scope = await svc.team_scope(session, actor)
    query = select(DsrEntry).where(_scope_clause(scope, await default_team_id(session)))
    if on_register:
        query = query.where(DsrEntry.left_on.is_(None))
    if team_id is not None:
        query = query.where(DsrEntry.team_id == team_id)
    return list(await session.scalars(query.order_by(DsrEntry.id)))


async def register(svc: Services, actor: Actor, *, via: str | None = None) -> Register:
    """The actor's teams' register, by colour (red first), soonest due first."""
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        views = [
            await view_of(svc, session, e)
            for e in await _entries_in_scope(svc, session, actor, on_register=True)
        ]
        audit(
            session,
            "dsr_listed",
            actor=actor,
            role=staff_role(actor),
            count=len(views),
            **shown_via(via),
        )
    far = date.max

    def soonest(v: EntryView) -> date:
        return v.next_due.on if v.next_due else far

    return Register(
        [(rag, sorted([v for v in views if v.rag is rag], key=soonest)) for rag in COLOUR_ORDER]
    )


async def entry_of_young_person(
    svc: Services, actor: Actor, entry_id: int
) -> tuple[str, date | None, date | None, str | None]:
    """For a review set up from the register: reference, date of birth, admission and
    the entry's team name."""
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        entry = await _entry(svc, session, actor, entry_id)
        person = await session.get_one(YoungPerson, entry.young_person_id)
        team = await session.get(Team, entry.team_id) if entry.team_id is not None else None
        admitted = person.admitted_on if person.setting == Setting.INPATIENT else None
        return person.ref, person.date_of_birth, admitted, team.name if team else None


# --- the monthly summary ----------------------------------------------------------------


async def summary_for(
    svc: Services, session: AsyncSession, entries: list[DsrEntry], month: str
) -> dr.MonthSummary:
    facts: list[dr.EntryFacts] = []
    for entry in entries:
        if entry.left_on is not None:  # off the register: its past admissions still count
            continue
        view = await view_of(svc, session, entry)
        facts.append(dr.EntryFacts(view.rag, view.cetr_due_on, view.cetr_status == "open"))
    ids = [e.id for e in entries]
    stays = (
        list(await session.scalars(select(DsrAdmission).where(DsrAdmission.entry_id.in_(ids))))
        if ids
        else []
    )
    admissions = [dr.AdmissionFacts(s.admitted_on, s.with_community_cetr) for s in stays]
    return dr.month_summary(
        month, facts, admissions, today(svc), svc.settings.dsr_admissions_standard_percent
    )


def validate_month(month: str) -> str:
    try:
        dr.month_bounds(month)
    except ValueError:
        raise Invalid("bad_month") from None
    if len(month) != 7:
        raise Invalid("bad_month")
    return month


async def month_report(svc: Services, actor: Actor, month: str) -> dr.MonthSummary:
    await svc.require_coordinator(actor)
    month = validate_month(month)
    async with svc.db.transaction() as session:
        entries = await _entries_in_scope(svc, session, actor)
        audit(session, "dsr_report", actor=actor, month=month)
        return await summary_for(svc, session, entries, month)


async def team_summary(
    svc: Services, session: AsyncSession, team_id: int | None, month: str
) -> dr.MonthSummary:
    """One team's summary (for the monthly message; the composer checked the team)."""
    default_id = await default_team_id(session)
    clause: ColumnElement[bool]
    if team_id is None or team_id == default_id:
        clause = DsrEntry.team_id.is_(None) | (DsrEntry.team_id == default_id)
    else:
        clause = DsrEntry.team_id == team_id
    entries = list(await session.scalars(select(DsrEntry).where(clause)))
    return await summary_for(svc, session, entries, month)
