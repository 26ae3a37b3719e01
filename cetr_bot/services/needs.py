"""Communication needs (the NHS Accessible Information Standard: ask, record, flag,
share, act).

Ask and record: anyone who has joined a review says what they need with /needs (the
young person, and anyone who asked for easy-read, in easy words); a coordinator records
them for someone in their review (/needs N, /needs P12) and the operator with
`cetr-bot needs set`. One row per person and need (domain.Need), with the language or
the times where the need has words of its own.

Flag and share: the coordinator's review view (/review N and its web page), the
invitation planning (/invite) and the panel pack show them by role.

Act: `wants_easy_read` (per-person message selection asks it), a large-print pack
(`wants_large_print`, `large_print_for_user`), and a reminder to book an interpreter
(`interpreters_for_review`, planned by scheduling/planner.py like every reminder).
Every change re-plans the person's scheduled reviews, in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import INTERPRETER_NEEDS, NEEDS_WITH_DETAIL, Need, ReviewStatus, Role
from cetr_bot.services import deputies, events, flows
from cetr_bot.services.context import Actor, Services, audit, staff_role
from cetr_bot.services.errors import Invalid, NotFound
from cetr_bot.storage.models import Participant, Person, Review
from cetr_bot.storage.models_needs import CommunicationNeed
from cetr_bot.text_safety import clean_text

DETAIL = "needs_detail"  # the flow: the language or the times, typed next
MAX_DETAIL = 200
ORDER = {need: i for i, need in enumerate(Need)}


@dataclass(frozen=True)
class NeedLine:
    need: Need
    detail: str | None = None

    @property
    def interpreter(self) -> bool:
        return self.need in INTERPRETER_NEEDS


@dataclass(frozen=True)
class NeedsView:
    """One person's needs, as the /needs screen shows them."""

    person_id: int
    participant_id: int  # 0: the person's own screen; else the participant recorded for
    needs: list[NeedLine]
    easy: bool  # in easy words (the young person, or someone who asked for easy-read)
    role: Role | None = None  # recorded for someone: their role and name
    name: str | None = None

    @property
    def for_someone(self) -> bool:
        return self.participant_id != 0

    def has(self, need: Need) -> bool:
        return any(line.need is need for line in self.needs)


@dataclass(frozen=True)
class Pressed:
    view: NeedsView
    ask: Need | None = None  # the need whose words are asked next (the language, the times)


@dataclass(frozen=True)
class Someone:
    participant_id: int
    role: Role
    name: str | None
    needs: list[NeedLine] = field(default_factory=list)


# --- reading ------------------------------------------------------------------------------


def _lines(rows: list[CommunicationNeed]) -> list[NeedLine]:
    known = {n.value for n in Need}
    lines = [NeedLine(Need(r.need), r.detail) for r in rows if r.need in known]
    return sorted(lines, key=lambda line: ORDER[line.need])


async def needs_of(session: AsyncSession, person_id: int) -> list[NeedLine]:
    rows = await session.scalars(
        select(CommunicationNeed).where(CommunicationNeed.person_id == person_id)
    )
    return _lines(list(rows))


async def _has(session: AsyncSession, person_id: int, need: Need) -> bool:
    found = await session.scalar(
        select(CommunicationNeed.id).where(
            CommunicationNeed.person_id == person_id, CommunicationNeed.need == need
        )
    )
    return found is not None


async def wants_easy_read(session: AsyncSession, person_id: int) -> bool:
    """They asked for easy-read (any adult may): their messages use the easy-read
    variants. The young person gets those anyway, asked or not."""
    return await _has(session, person_id, Need.EASY_READ)


async def wants_large_print(session: AsyncSession, person_id: int) -> bool:
    return await _has(session, person_id, Need.LARGE_PRINT)


async def large_print_for_user(session: AsyncSession, telegram_user_id: int | None) -> bool:
    """The pack for this Telegram user (a coordinator or a panel member) in large print."""
    if telegram_user_id is None or telegram_user_id <= 0:
        return False
    found = await session.scalar(
        select(CommunicationNeed.id)
        .join(Person, Person.id == CommunicationNeed.person_id)
        .where(
            Person.telegram_user_id == telegram_user_id,
            CommunicationNeed.need == Need.LARGE_PRINT,
        )
    )
    return found is not None


async def large_print_wanted(svc: Services, actor: Actor) -> bool:
    """For /pack N and the pack's page: does the asker read the pack in large print?"""
    async with svc.db.transaction() as session:
        return await large_print_for_user(session, actor.telegram_user_id)


async def needs_for_review(session: AsyncSession, review_id: int) -> dict[int, list[NeedLine]]:
    """Participant id → needs, for everyone in the review who has joined and has any."""
    rows = await session.execute(
        select(Participant.id, CommunicationNeed)
        .join(CommunicationNeed, CommunicationNeed.person_id == Participant.person_id)
        .where(Participant.review_id == review_id, Participant.removed_at.is_(None))
        .order_by(Participant.id, CommunicationNeed.id)
    )
    found: dict[int, list[CommunicationNeed]] = {}
    for participant_id, need in rows:
        found.setdefault(participant_id, []).append(need)
    return {pid: _lines(needs) for pid, needs in found.items()}


async def interpreters_for_review(
    session: AsyncSession, review_id: int
) -> list[tuple[Role, NeedLine]]:
    """Who needs an interpreter at this review (by role), and which."""
    roles = dict(
        (pid, Role(role))
        for pid, role in await session.execute(
            select(Participant.id, Participant.role).where(Participant.review_id == review_id)
        )
    )
    return [
        (roles[pid], line)
        for pid, lines in (await needs_for_review(session, review_id)).items()
        for line in lines
        if line.interpreter
    ]


async def known_for_young_person(
    session: AsyncSession, young_person_id: int
) -> list[tuple[Role, list[NeedLine]]]:
    """The needs of the people in any of this young person's reviews (each person once,
    by their role there): what planning the next review should know."""
    rows = await session.execute(
        select(Participant.person_id, Participant.role)
        .join(Review, Review.id == Participant.review_id)
        .where(
            Review.young_person_id == young_person_id,
            Participant.person_id.is_not(None),
            Participant.removed_at.is_(None),
        )
        .order_by(Participant.id)
    )
    seen: dict[int, Role] = {}
    for person_id, role in rows:
        if person_id is not None:
            seen.setdefault(person_id, Role(role))
    result = []
    for person_id, role in seen.items():
        lines = await needs_of(session, person_id)
        if lines:
            result.append((role, lines))
    return result


async def planning_for_review(
    svc: Services, actor: Actor, review_id: int
) -> list[tuple[Role, list[NeedLine]]]:
    """For the coordinator inviting people: the known needs around this young person."""
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        await svc.require_review(session, actor, review_id)
        review = await session.get_one(Review, review_id)
        return await known_for_young_person(session, review.young_person_id)


# --- the /needs screen -----------------------------------------------------------------------


async def _own_person(session: AsyncSession, actor: Actor) -> Person:
    person = await session.scalar(
        select(Person).where(Person.telegram_user_id == actor.telegram_user_id)
    )
    if person is None or actor.telegram_user_id is None or actor.telegram_user_id <= 0:
        raise NotFound("not_a_participant")
    return person


async def _is_young_person(session: AsyncSession, person_id: int) -> bool:
    found = await session.scalar(
        select(Participant.id)
        .where(Participant.person_id == person_id, deputies.THE_YOUNG_PERSON)
        .limit(1)
    )
    return found is not None


async def _someone(
    svc: Services, session: AsyncSession, actor: Actor, participant_id: int
) -> tuple[Person, Participant]:
    """A participant of one of the coordinator's teams' reviews, who has joined."""
    place = await session.get(Participant, participant_id)
    if place is None or place.removed_at is not None:
        raise NotFound("participant_not_found", participant_id=participant_id)
    await svc.require_review(
        session,
        actor,
        place.review_id,
        NotFound("participant_not_found", participant_id=participant_id),
    )
    person = await session.get(Person, place.person_id) if place.person_id else None
    if person is None or person.telegram_user_id <= 0:
        raise Invalid("needs_not_joined", participant_id=participant_id)
    return person, place


async def _view(
    svc: Services, session: AsyncSession, actor: Actor, participant_id: int
) -> NeedsView:
    if participant_id == 0:
        person = await _own_person(session, actor)
        lines = await needs_of(session, person.id)
        easy = await _is_young_person(session, person.id) or any(
            line.need is Need.EASY_READ for line in lines
        )
        return NeedsView(person.id, 0, lines, easy)
    await svc.require_coordinator(actor)
    person, place = await _someone(svc, session, actor, participant_id)
    lines = await needs_of(session, person.id)
    return NeedsView(person.id, place.id, lines, False, Role(place.role), person.preferred_name)


async def show(svc: Services, actor: Actor, participant_id: int = 0) -> NeedsView:
    """Someone's own needs (participant 0), or a coordinator's view of a participant's."""
    async with svc.db.transaction() as session:
        view = await _view(svc, session, actor, participant_id)
        if view.for_someone:
            audit(session, "needs_read", actor=actor, person_id=view.person_id,
                  role=staff_role(actor))  # fmt: skip
        return view


async def people_of_review(svc: Services, actor: Actor, review_id: int) -> list[Someone]:
    """The review's participants, for the coordinator to pick whose needs to record."""
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        await svc.require_review(session, actor, review_id)
        needs = await needs_for_review(session, review_id)
        rows = await session.execute(
            select(Participant, Person)
            .join(Person, Person.id == Participant.person_id)
            .where(Participant.review_id == review_id, Participant.removed_at.is_(None))
            .order_by(Participant.id)
        )
        return [
            Someone(p.id, Role(p.role), person.preferred_name, needs.get(p.id, []))
            for p, person in rows
            if person.telegram_user_id > 0
        ]


async def press(svc: Services, actor: Actor, participant_id: int, choice: str) -> Pressed:
    """A press on the /needs screen: show it, or turn one need on or off (a need with
    words of its own asks for them first)."""
    if choice == "show":
        return Pressed(await show(svc, actor, participant_id))
    need = Need(choice)
    async with svc.db.transaction() as session:
        view = await _view(svc, session, actor, participant_id)
        if view.has(need):
            await _remove(svc, session, actor, view, need)
            return Pressed(await _view(svc, session, actor, participant_id))
        if need not in NEEDS_WITH_DETAIL:
            await _put(svc, session, actor, view, need, None)
            return Pressed(await _view(svc, session, actor, participant_id))
    await flows.save(svc, actor, DETAIL, {"participant_id": participant_id, "need": str(need)})
    return Pressed(view, ask=need)


async def type_detail(svc: Services, actor: Actor, text: str) -> NeedsView:
    """The language or the times, typed after pressing that need."""
    pending = await flows.current(svc, actor)
    if pending is None or pending.kind != DETAIL:
        raise Invalid("nothing_pending")
    detail = " ".join(clean_text(text).split())
    if not detail:
        raise Invalid("update_empty")
    if len(detail) > MAX_DETAIL:
        raise Invalid("text_too_long", limit=MAX_DETAIL)
    participant_id, need = int(pending.data["participant_id"]), Need(pending.data["need"])
    async with svc.db.transaction() as session:
        view = await _view(svc, session, actor, participant_id)
        await _put(svc, session, actor, view, need, detail)
        view = await _view(svc, session, actor, participant_id)
    await flows.clear(svc, actor)
    return view


async def _put(
    svc: Services,
    session: AsyncSession,
    actor: Actor,
    view: NeedsView,
    need: Need,
    detail: str | None,
) -> None:
    row = await session.scalar(
        select(CommunicationNeed).where(
            CommunicationNeed.person_id == view.person_id, CommunicationNeed.need == need
        )
    )
    if row is None:
        row = CommunicationNeed(person_id=view.person_id, need=str(need))
        session.add(row)
    row.detail = detail
    row.recorded_by = actor.telegram_user_id
    row.recorded_by_role = staff_role(actor) if view.for_someone or actor.is_cli else "self"
    row.recorded_at = svc.now()
    await session.flush()
    audit(session, "need_recorded", actor=actor, person_id=view.person_id, need=str(need),
          role=row.recorded_by_role)  # fmt: skip
    await _replan(svc, session, view.person_id)


async def _remove(
    svc: Services, session: AsyncSession, actor: Actor, view: NeedsView, need: Need
) -> None:
    await session.execute(
        delete(CommunicationNeed).where(
            CommunicationNeed.person_id == view.person_id, CommunicationNeed.need == need
        )
    )
    role = staff_role(actor) if view.for_someone or actor.is_cli else "self"
    audit(session, "need_removed", actor=actor, person_id=view.person_id, need=str(need),
          role=role)  # fmt: skip
    await _replan(svc, session, view.person_id)


async def _replan(svc: Services, session: AsyncSession, person_id: int) -> None:
    """The interpreter reminders of their scheduled reviews follow the change."""
    reviews = await session.scalars(
        select(Participant.review_id)
        .join(Review, Review.id == Participant.review_id)
        .where(
            Participant.person_id == person_id,
            Participant.removed_at.is_(None),
            Review.status == ReviewStatus.SCHEDULED,
        )
        .distinct()
    )
    for review_id in list(reviews):
        await events.review_changed(svc, session, review_id, reason="needs")


# --- the command line ---------------------------------------------------------------------


async def set_for_person(
    svc: Services,
    actor: Actor,
    person_id: int,
    *,
    add: dict[Need, str | None],
    remove: set[Need] | None = None,
    clear: bool = False,
) -> list[NeedLine]:
    """`cetr-bot needs set`: the operator records needs for a person (by id)."""
    if not actor.is_cli:
        raise Invalid("operator_only")
    async with svc.db.transaction() as session:
        person = await session.get(Person, person_id)
        if person is None or person.telegram_user_id <= 0:
            raise NotFound("person_not_found", person_id=person_id)
        view = NeedsView(person.id, -1, await needs_of(session, person.id), False)
        gone = set(remove or ())
        if clear:
            gone |= {line.need for line in view.needs}
        for need in sorted(gone - set(add), key=ORDER.__getitem__):
            if view.has(need):
                await _remove(svc, session, actor, view, need)
        for need, detail in add.items():
            if need in NEEDS_WITH_DETAIL and not detail:
                raise Invalid("need_detail_missing", need=str(need))
            await _put(svc, session, actor, view, need, detail)
        return await needs_of(session, person.id)


async def for_person(svc: Services, actor: Actor, person_id: int) -> list[NeedLine]:
    """`cetr-bot needs show`: the operator reads a person's needs."""
    if not actor.is_cli:
        raise Invalid("operator_only")
    async with svc.db.transaction() as session:
        person = await session.get(Person, person_id)
        if person is None:
            raise NotFound("person_not_found", person_id=person_id)
        audit(session, "needs_read", actor=actor, person_id=person_id, role=staff_role(actor))
        return await needs_of(session, person_id)
