"""Actions agreed at a review: recorded by the coordinator, worked on by their owner.

Only the coordinator or the action's owner may change an action. Every change
bumps the action's version, so a button from an older message is recognised as
stale and changes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import FAMILY_ROLES, ActionStatus, ReviewStatus, Role
from cetr_bot.services import deputies, teams
from cetr_bot.services.context import Actor, Services, audit, shown_via, staff_role
from cetr_bot.services.errors import Invalid, NotAllowed, NotFound
from cetr_bot.services.events import action_changed, review_changed
from cetr_bot.storage.models import Participant, Person, Review
from cetr_bot.storage.models_actions import Action, ActionUpdate, ReviewFollowUp
from cetr_bot.text_safety import clean_text

MAX_WHAT = 1000
MAX_UPDATE = 3000


class Response(StrEnum):
    """What an owner can say about their action."""

    DONE = "done"
    UPDATE = "update"
    HELP = "help"
    NOT_MINE = "not_mine"


@dataclass(frozen=True)
class ActionView:
    id: int
    review_id: int
    what: str
    due_on: date
    status: ActionStatus
    needs_help: bool
    overdue: bool
    owner_participant_id: int
    owner_role: Role
    owner_name: str | None
    owner_joined: bool
    last_update: str | None
    version: int

    @property
    def progress(self) -> str:
        """done / overdue / in progress / not started, for summaries."""
        if self.status is ActionStatus.DONE:
            return "done"
        if self.overdue:
            return "overdue"
        return "in_progress" if self.last_update or self.needs_help else "not_started"


@dataclass(frozen=True)
class UpdateView:
    at: datetime
    kind: str
    text: str | None


# --- helpers -----------------------------------------------------------------------


def _today(svc: Services) -> date:
    return svc.now().astimezone(svc.settings.zone).date()


async def view_of(svc: Services, session: AsyncSession, action: Action) -> ActionView:
    owner = await session.get_one(Participant, action.owner_participant_id)
    person = await session.get(Person, owner.person_id) if owner.person_id else None
    last = await session.scalar(
        select(ActionUpdate.text)
        .where(ActionUpdate.action_id == action.id, ActionUpdate.text.is_not(None))
        .order_by(ActionUpdate.at.desc(), ActionUpdate.id.desc())
        .limit(1)
    )
    return ActionView(
        id=action.id,
        review_id=action.review_id,
        what=action.what,
        due_on=action.due_on,
        status=ActionStatus(action.status),
        needs_help=action.needs_help,
        overdue=action.status == ActionStatus.OPEN and action.due_on < _today(svc),
        owner_participant_id=owner.id,
        owner_role=Role(owner.role),
        owner_name=person.preferred_name if person else None,
        owner_joined=owner.person_id is not None,
        last_update=last,
        version=action.version,
    )


async def _action(session: AsyncSession, action_id: int) -> Action:
    action = await session.get(Action, action_id)
    if action is None:
        raise NotFound("action_not_found", action_id=action_id)
    return action


async def _person_id(session: AsyncSession, actor: Actor) -> int | None:
    if actor.telegram_user_id is None:
        return None
    return await session.scalar(
        select(Person.id).where(Person.telegram_user_id == actor.telegram_user_id)
    )


async def _is_owner(session: AsyncSession, actor: Actor, action: Action) -> bool:
    owner = await session.get_one(Participant, action.owner_participant_id)
    person_id = await _person_id(session, actor)
    return person_id is not None and owner.person_id == person_id and owner.removed_at is None


async def _may_change(svc: Services, session: AsyncSession, actor: Actor, action: Action) -> None:
    """This review's coordinators and the action's owner. A coordinator of another team
    hears what they would for no such action."""
    if await svc.coordinates_review(session, actor, action.review_id):
        return
    if await _is_owner(session, actor, action):
        return
    scope = await svc.team_scope(session, actor)
    if scope is not None and scope.any:
        raise NotFound("action_not_found", action_id=action.id)
    raise NotAllowed("not_your_action", review_id=action.review_id)


def validate_what(what: str) -> str:
    what = clean_text(what).strip()
    if not what:
        raise Invalid("action_what_empty")
    if len(what) > MAX_WHAT:
        raise Invalid("text_too_long", limit=MAX_WHAT)
    return what


def _record(
    session: AsyncSession,
    action: Action,
    kind: str,
    actor: Actor,
    *,
    text: str | None = None,
    participant_id: int | None = None,
) -> None:
    session.add(
        ActionUpdate(
            action_id=action.id,
            kind=kind,
            text=text,
            by_participant_id=participant_id,
            by_telegram_user_id=actor.telegram_user_id,
        )
    )


async def _touch(
    svc: Services,
    session: AsyncSession,
    action: Action,
    kind: str,
    actor: Actor,
    *,
    text: str | None = None,
    participant_id: int | None = None,
) -> ActionView:
    action.version += 1
    _record(session, action, kind, actor, text=text, participant_id=participant_id)
    await session.flush()
    await action_changed(svc, session, action.id, reason=kind)
    return await view_of(svc, session, action)


# --- the review is held --------------------------------------------------------------


async def mark_held(
    svc: Services, actor: Actor, *, review_id: int, held_on: date | None = None
) -> date:
    """Mark the review held on `held_on`; without a date, today, and only once the
    review has started (its time is not still ahead). Returns the date recorded."""
    await svc.require_coordinator(actor)
    if held_on is not None and held_on > _today(svc):
        raise Invalid("held_in_future")
    async with svc.db.transaction() as session:
        await svc.require_review(session, actor, review_id)
        review = await session.get_one(Review, review_id)
        if review.status == ReviewStatus.CANCELLED:
            raise Invalid("review_not_scheduled", status=review.status)
        if held_on is None and review.scheduled_at > svc.now():
            raise Invalid("review_not_started", review_id=review_id, at=review.scheduled_at)
        review.status = ReviewStatus.HELD
        review.held_on = held_on = held_on or _today(svc)
        if await session.get(ReviewFollowUp, review_id) is None:
            session.add(ReviewFollowUp(review_id=review_id))
        audit(session, "review_held", actor=actor, review_id=review_id)
        await review_changed(svc, session, review_id, reason="held")
    return held_on


async def mark_report_sent(svc: Services, actor: Actor, *, review_id: int) -> None:
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        await svc.require_review(session, actor, review_id)
        review = await session.get_one(Review, review_id)
        if review.status != ReviewStatus.HELD:
            raise Invalid("review_not_held")
        follow_up = await session.get(ReviewFollowUp, review_id)
        if follow_up is None:
            follow_up = ReviewFollowUp(review_id=review_id)
            session.add(follow_up)
        follow_up.report_sent_at = svc.now()
        follow_up.report_marked_by = actor.telegram_user_id
        review.closed_at = follow_up.report_sent_at  # closed: retention counts from here
        audit(session, "report_sent", actor=actor, review_id=review_id)
        await review_changed(svc, session, review_id, reason="report_sent")


# --- the coordinator records and changes actions ----------------------------------------


async def _owner_of_review(
    session: AsyncSession, review_id: int, participant_id: int
) -> Participant:
    owner = await session.get(Participant, participant_id)
    if owner is None or owner.review_id != review_id or owner.removed_at is not None:
        raise Invalid("owner_not_in_review", review_id=review_id)
    return owner


async def check_can_add(svc: Services, actor: Actor, *, review_id: int) -> None:
    """Actions are recorded once the review is held."""
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        await svc.require_review(session, actor, review_id)
        review = await session.get_one(Review, review_id)
        if review.status != ReviewStatus.HELD:
            raise Invalid("review_not_held")


async def add_action(
    svc: Services,
    actor: Actor,
    *,
    review_id: int,
    owner_participant_id: int,
    what: str,
    due_on: date,
) -> ActionView:
    await svc.require_coordinator(actor)
    what = validate_what(what)
    async with svc.db.transaction() as session:
        await svc.require_review(session, actor, review_id)
        review = await session.get_one(Review, review_id)
        if review.status != ReviewStatus.HELD:
            raise Invalid("review_not_held")
        if due_on < (review.held_on or _today(svc)):
            raise Invalid("due_before_review")
        await _owner_of_review(session, review_id, owner_participant_id)
        action = Action(
            review_id=review_id,
            owner_participant_id=owner_participant_id,
            what=what,
            due_on=due_on,
            status=ActionStatus.OPEN,
            created_by=actor.telegram_user_id,
        )
        session.add(action)
        await session.flush()
        audit(session, "action_added", actor=actor, review_id=review_id, action_id=action.id)
        _record(session, action, "created", actor)
        await session.flush()
        await action_changed(svc, session, action.id, reason="created")
        return await view_of(svc, session, action)


async def _coordinator_action(
    svc: Services, session: AsyncSession, actor: Actor, action_id: int
) -> Action:
    await svc.require_coordinator(actor)
    action = await _action(session, action_id)
    await svc.require_review(
        session, actor, action.review_id, NotFound("action_not_found", action_id=action_id)
    )
    if action.status == ActionStatus.CANCELLED:
        raise Invalid("action_cancelled")
    return action


async def review_of_editable(svc: Services, actor: Actor, *, action_id: int) -> int:
    """The review of an action this coordinator may change (else: not found, cancelled)."""
    async with svc.db.transaction() as session:
        action = await _coordinator_action(svc, session, actor, action_id)
        return action.review_id


async def edit_action(
    svc: Services,
    actor: Actor,
    *,
    action_id: int,
    what: str | None = None,
    due_on: date | None = None,
) -> ActionView:
    async with svc.db.transaction() as session:
        action = await _coordinator_action(svc, session, actor, action_id)
        if what is not None:
            action.what = validate_what(what)
        if due_on is not None:
            if due_on < _today(svc):
                raise Invalid("due_in_past")
            action.due_on = due_on
        audit(
            session, "action_edited", actor=actor, review_id=action.review_id, action_id=action.id
        )
        return await _touch(svc, session, action, "edited", actor)


async def reassign_action(
    svc: Services, actor: Actor, *, action_id: int, owner_participant_id: int
) -> ActionView:
    async with svc.db.transaction() as session:
        action = await _coordinator_action(svc, session, actor, action_id)
        await _owner_of_review(session, action.review_id, owner_participant_id)
        if owner_participant_id == action.owner_participant_id:
            raise Invalid("same_owner")
        action.owner_participant_id = owner_participant_id
        action.needs_help = False
        audit(
            session,
            "action_reassigned",
            actor=actor,
            review_id=action.review_id,
            action_id=action.id,
        )
        return await _touch(svc, session, action, "reassigned", actor)


async def cancel_action(svc: Services, actor: Actor, *, action_id: int) -> ActionView:
    async with svc.db.transaction() as session:
        action = await _coordinator_action(svc, session, actor, action_id)
        action.status = ActionStatus.CANCELLED
        audit(
            session,
            "action_cancelled",
            actor=actor,
            review_id=action.review_id,
            action_id=action.id,
        )
        return await _touch(svc, session, action, "cancelled", actor)


async def list_actions(
    svc: Services, actor: Actor, *, review_id: int, via: str | None = None
) -> list[ActionView]:
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        await svc.require_review(session, actor, review_id)
        rows = await session.scalars(
            select(Action).where(Action.review_id == review_id).order_by(Action.due_on, Action.id)
        )
        audit(
            session,
            "actions_listed",
            actor=actor,
            review_id=review_id,
            role=staff_role(actor),
            **shown_via(via),
        )
        return [await view_of(svc, session, a) for a in rows]


async def show_action(
    svc: Services, actor: Actor, *, action_id: int
) -> tuple[ActionView, list[UpdateView]]:
    """The action and its history: for the coordinator and the owner only."""
    async with svc.db.transaction() as session:
        action = await _action(session, action_id)
        await _may_change(svc, session, actor, action)
        updates = await session.scalars(
            select(ActionUpdate)
            .where(ActionUpdate.action_id == action_id)
            .order_by(ActionUpdate.at, ActionUpdate.id)
        )
        history = [UpdateView(u.at, u.kind, u.text) for u in updates]
        staff = await svc.coordinates_review(session, actor, action.review_id)
        audit(
            session,
            "action_viewed",
            actor=actor,
            review_id=action.review_id,
            role=staff_role(actor) if staff else "owner",
            action_id=action.id,
        )
        return await view_of(svc, session, action), history


# --- the owner answers ---------------------------------------------------------------


async def my_actions(svc: Services, actor: Actor) -> list[ActionView]:
    """The open actions this person owns, nearest due date first."""
    async with svc.db.transaction() as session:
        person_id = await _person_id(session, actor)
        if person_id is None:
            return []
        rows = await session.scalars(
            select(Action)
            .join(Participant, Participant.id == Action.owner_participant_id)
            .where(
                Participant.person_id == person_id,
                Participant.removed_at.is_(None),
                Action.status == ActionStatus.OPEN,
            )
            .order_by(Action.due_on, Action.id)
        )
        audit(session, "my_actions_viewed", actor=actor, person_id=person_id, role="owner")
        return [await view_of(svc, session, a) for a in rows]


async def check_may_respond(
    svc: Services, actor: Actor, *, action_id: int, version: int | None
) -> ActionView:
    """Refuse now (before asking for words) if this person may not answer this action."""
    async with _refusals_logged(svc, actor, action_id, "ask"), svc.db.transaction() as session:
        action = await _checked(svc, session, actor, action_id, version)
        return await view_of(svc, session, action)


async def respond(
    svc: Services,
    actor: Actor,
    *,
    action_id: int,
    response: Response,
    version: int | None = None,
    text: str | None = None,
) -> ActionView:
    """The owner (or the coordinator) says done / an update / needs help / not mine.

    `version` comes from the button pressed: a button from an older message of this
    action changes nothing.
    """
    text = None if text is None else clean_text(text)
    if text is not None and len(text) > MAX_UPDATE:
        raise Invalid("text_too_long", limit=MAX_UPDATE)
    logged = _refusals_logged(svc, actor, action_id, str(response))
    async with logged, svc.db.transaction() as session:
        action = await _checked(svc, session, actor, action_id, version)
        owner = await _is_owner(session, actor, action)
        participant = action.owner_participant_id if owner else None
        return await _apply(svc, session, actor, action, response, text, participant)


async def _checked(
    svc: Services, session: AsyncSession, actor: Actor, action_id: int, version: int | None
) -> Action:
    action = await _action(session, action_id)
    await _may_change(svc, session, actor, action)
    if version is not None and version != action.version:
        raise Invalid("action_moved_on")
    if action.status != ActionStatus.OPEN:
        raise Invalid("action_closed", status=action.status)
    return action


@asynccontextmanager
async def _refusals_logged(
    svc: Services, actor: Actor, action_id: int, what: str
) -> AsyncIterator[None]:
    """A refused change is logged in its own transaction (the refused one rolls back)."""
    try:
        yield
    except (NotAllowed, NotFound) as refusal:
        async with svc.db.transaction() as session:
            audit(
                session,
                "action_refused",
                actor=actor,
                review_id=refusal.params.get("review_id"),
                action_id=action_id,
                response=what,
            )
        raise


async def _apply(
    svc: Services,
    session: AsyncSession,
    actor: Actor,
    action: Action,
    response: Response,
    text: str | None,
    participant_id: int | None,
) -> ActionView:
    text = text.strip() if text else None
    if response is Response.DONE:
        action.status, action.done_at, action.needs_help = ActionStatus.DONE, svc.now(), False
    elif response is Response.UPDATE:
        if not text:
            raise Invalid("update_empty")
        action.needs_help = False
    elif response is Response.HELP:
        if not text:
            raise Invalid("help_reason_empty")
        action.needs_help = True
    elif response is Response.NOT_MINE:
        action.needs_help = True  # back with the coordinator until reassigned
    audit(
        session, f"action_{response}", actor=actor, review_id=action.review_id, action_id=action.id
    )
    return await _touch(
        svc, session, action, str(response), actor, text=text, participant_id=participant_id
    )


# --- the next review's preparation asks about each action -----------------------------------


async def last_review_actions(session: AsyncSession, review: Review) -> list[Action]:
    """The actions agreed at this young person's previous held review."""
    previous = await session.scalar(
        select(Review.id)
        .where(
            Review.young_person_id == review.young_person_id,
            Review.id != review.id,
            Review.status == ReviewStatus.HELD,
            Review.scheduled_at < review.scheduled_at,
        )
        .order_by(Review.scheduled_at.desc())
        .limit(1)
    )
    if previous is None:
        return []
    rows = await session.scalars(
        select(Action)
        .where(Action.review_id == previous, Action.status != ActionStatus.CANCELLED)
        .order_by(Action.due_on, Action.id)
    )
    return list(rows)


async def record_prep_status(
    session: AsyncSession, action_id: int, participant_id: int, actor: Actor, shown: str
) -> None:
    """Someone said in their preparation how this action went (done / late / not started)."""
    action = await session.get(Action, action_id)
    if action is not None:
        _record(session, action, "prep_status", actor, text=shown, participant_id=participant_id)


# --- what the family and the young person see ---------------------------------------------


@dataclass(frozen=True)
class SummaryItem:
    what: str
    due_on: date
    progress: str
    owner_role: Role


class FamilySummary(NamedTuple):
    role: Role | None
    items: list[SummaryItem]
    contacts: tuple[str, ...] = ()  # who to contact: their reviews' teams' lines


async def family_summary(svc: Services, actor: Actor) -> FamilySummary:
    """The actions from the reviews this young person or family member took part in:
    what, by when, and done / in progress / overdue; never anyone's private updates;
    and whom to contact (the contact line each review's team set, /team contact)."""
    async with svc.db.transaction() as session:
        person_id = await _person_id(session, actor)
        if person_id is None:
            return FamilySummary(None, [])
        mine = (
            await session.scalars(
                select(Participant).where(
                    Participant.person_id == person_id,
                    Participant.removed_at.is_(None),
                    Participant.role.in_([str(r) for r in FAMILY_ROLES]),
                )
            )
        ).all()
        if not mine:
            return FamilySummary(None, [])
        young = any(deputies.is_the_young_person(p) for p in mine)
        role = Role.YOUNG_PERSON if young else Role.FAMILY
        rows = await session.scalars(
            select(Action)
            .where(
                Action.review_id.in_([p.review_id for p in mine]),
                Action.status != ActionStatus.CANCELLED,
            )
            .order_by(Action.due_on, Action.id)
        )
        items = []
        for action in rows:
            view = await view_of(svc, session, action)
            items.append(SummaryItem(view.what, view.due_on, view.progress, view.owner_role))
        audit(session, "action_summary_viewed", actor=actor, person_id=person_id, role=str(role))
        contacts = await teams.contacts_for_reviews(session, [p.review_id for p in mine])
        return FamilySummary(role, items, tuple(contacts))


async def young_person_sees(svc: Services, review_id: int) -> bool:
    """The review has a young person, who sees its actions (in /actions)."""
    async with svc.db.transaction() as session:
        found = await session.scalar(
            select(Participant.id).where(
                Participant.review_id == review_id,
                Participant.role == Role.YOUNG_PERSON,
                Participant.removed_at.is_(None),
            )
        )
        return found is not None


async def participants_for_owner_choice(
    svc: Services, actor: Actor, *, review_id: int
) -> list[tuple[int, Role, str | None, bool]]:
    """(participant id, role, name, joined) of a review, for picking an owner."""
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        await svc.require_review(session, actor, review_id)
        rows = await session.execute(
            select(Participant, Person)
            .outerjoin(Person, Person.id == Participant.person_id)
            .where(Participant.review_id == review_id, Participant.removed_at.is_(None))
            .order_by(Participant.id)
        )
        return [
            (
                p.id,
                Role(p.role),
                person.preferred_name if p.person_id else None,
                p.person_id is not None,
            )
            for p, person in rows
        ]
