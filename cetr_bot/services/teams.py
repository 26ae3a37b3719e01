"""Teams and who runs them: administrators add teams, coordinators and other admins.

An administrator sees no review by being one; a coordinator sees only the reviews of
their own teams (the checks are Services.require_coordinator / require_review).
COORDINATOR_IDS are the team named "default", so a set-up without teams works as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import ReminderStatus
from cetr_bot.services.context import Actor, Services, audit
from cetr_bot.services.errors import Invalid, NotAllowed, NotFound
from cetr_bot.storage.coordinators import TeamScope, admin_chats, coordinator_chats, team_scope
from cetr_bot.storage.models import Review
from cetr_bot.storage.models_reminders import Reminder
from cetr_bot.storage.models_teams import DEFAULT_TEAM, Admin, Team, TeamMember
from cetr_bot.text_safety import clean_text

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")
MAX_USER_ID = 2**52


@dataclass(frozen=True)
class TeamLine:
    name: str
    coordinators: list[int]
    reviews: int


@dataclass(frozen=True)
class Removed:
    count: int
    still_in_settings: bool  # COORDINATOR_IDS / ADMIN_IDS keep them in, whatever the database


# --- checks and input -----------------------------------------------------------------


def validate_name(name: str) -> str:
    name = name.strip()
    if not NAME_PATTERN.match(name):
        raise Invalid("bad_team_name")
    return name


def validate_user_id(value: str | int) -> int:
    text = str(value).strip()
    if not text.isdigit() or not 0 < int(text) < MAX_USER_ID:
        raise Invalid("bad_user_id")
    return int(text)


async def is_admin(svc: Services, actor: Actor) -> bool:
    if actor.is_cli:
        return True
    async with svc.db.transaction() as session:
        return actor.telegram_user_id in await admin_chats(svc.settings, session)


async def require_admin(svc: Services, actor: Actor, what: str) -> None:
    if await is_admin(svc, actor):
        return
    async with svc.db.transaction() as session:
        audit(session, "admin_refused", actor=actor, what=what)
    raise NotAllowed("admin_only")


async def _team(session: AsyncSession, name: str) -> Team | None:
    return await session.scalar(select(Team).where(func.lower(Team.name) == name.lower()))


async def _default_team(session: AsyncSession) -> Team:
    """The default team's row, made the first time it is needed."""
    team = await _team(session, DEFAULT_TEAM)
    if team is not None:
        return team
    try:
        async with session.begin_nested():
            team = Team(name=DEFAULT_TEAM)
            session.add(team)
        return team
    except IntegrityError:  # another process made it at the same moment
        return (await session.scalars(select(Team).where(Team.name == DEFAULT_TEAM))).one()


async def _named(svc: Services, session: AsyncSession, name: str) -> Team:
    name = validate_name(name)
    if name.lower() == DEFAULT_TEAM:
        return await _default_team(session)
    team = await _team(session, name)
    if team is None:
        raise NotFound("team_not_found", name=name)
    return team


# --- what administrators do -------------------------------------------------------------


async def add_team(svc: Services, actor: Actor, name: str) -> str:
    await require_admin(svc, actor, "team_add")
    name = validate_name(name)
    async with svc.db.transaction() as session:
        if await _team(session, name) is not None:
            raise Invalid("team_exists", name=name)
        team = Team(name=name)
        session.add(team)
        await session.flush()
        audit(session, "team_added", actor=actor, team_id=team.id)
        return name


async def list_teams(svc: Services, actor: Actor) -> list[TeamLine]:
    await require_admin(svc, actor, "team_list")
    async with svc.db.transaction() as session:
        teams = list(await session.scalars(select(Team).order_by(Team.name)))
        if svc.settings.coordinator_ids and DEFAULT_TEAM not in [t.name for t in teams]:
            teams.insert(0, Team(name=DEFAULT_TEAM))
        lines = []
        for team in teams:
            members = await _members(svc, session, team)
            count = await session.scalar(
                select(func.count()).select_from(Review).where(_reviews_of(team))
            )
            lines.append(TeamLine(team.name, members, int(count or 0)))
        return lines


def _reviews_of(team: Team) -> ColumnElement[bool]:
    if team.name == DEFAULT_TEAM:
        return (Review.team_id == team.id) | Review.team_id.is_(None)
    return Review.team_id == team.id


async def _members(svc: Services, session: AsyncSession, team: Team) -> list[int]:
    chats = list(svc.settings.coordinator_ids) if team.name == DEFAULT_TEAM else []
    if team.id is not None:
        chats += list(
            await session.scalars(
                select(TeamMember.telegram_user_id)
                .where(TeamMember.team_id == team.id)
                .order_by(TeamMember.id)
            )
        )
    return list(dict.fromkeys(chats))


async def add_coordinator(svc: Services, actor: Actor, *, telegram_user_id: int, team: str) -> str:
    await require_admin(svc, actor, "coordinator_add")
    user_id = validate_user_id(telegram_user_id)
    async with svc.db.transaction() as session:
        row = await _named(svc, session, team)
        known = await session.scalar(
            select(TeamMember.id).where(
                TeamMember.team_id == row.id, TeamMember.telegram_user_id == user_id
            )
        )
        if known is not None:
            raise Invalid("already_coordinator", name=row.name)
        session.add(
            TeamMember(telegram_user_id=user_id, team_id=row.id, added_by=actor.telegram_user_id)
        )
        audit(session, "coordinator_added", actor=actor, team_id=row.id, user_id=user_id)
        return row.name


async def remove_coordinator(
    svc: Services, actor: Actor, *, telegram_user_id: int, team: str | None = None
) -> Removed:
    """From one team, or from every team when `team` is None."""
    await require_admin(svc, actor, "coordinator_remove")
    user_id = validate_user_id(telegram_user_id)
    async with svc.db.transaction() as session:
        mine = TeamMember.telegram_user_id == user_id
        if team is not None:
            mine &= TeamMember.team_id == (await _named(svc, session, team)).id
        team_ids = list(await session.scalars(select(TeamMember.team_id).where(mine)))
        result = await session.execute(delete(TeamMember).where(mine))
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        await _stop_notices(svc, session, user_id, team_ids)
        in_settings = user_id in svc.settings.coordinator_ids and (
            team is None or team.strip().lower() == DEFAULT_TEAM
        )
        if not count and not in_settings:
            raise Invalid("not_a_coordinator")
        audit(session, "coordinator_removed", actor=actor, user_id=user_id, count=count)
        return Removed(count, in_settings)


async def _stop_notices(
    svc: Services, session: AsyncSession, user_id: int, team_ids: list[int]
) -> None:
    """Coordinator messages still waiting for someone who left a team are not sent."""
    scope = await team_scope(svc.settings, session, user_id)
    gone = [t for t in team_ids if not scope.allows(t)]
    if not gone:
        return
    await session.execute(
        update(Reminder)
        .where(
            Reminder.chat_id == user_id,
            Reminder.participant_id.is_(None),
            Reminder.status == ReminderStatus.PENDING,
            Reminder.review_id.in_(select(Review.id).where(Review.team_id.in_(gone))),
        )
        .values(status=ReminderStatus.CANCELLED, last_error="left_team")
        .execution_options(synchronize_session=False)
    )


async def add_admin(svc: Services, actor: Actor, *, telegram_user_id: int) -> None:
    await require_admin(svc, actor, "admin_add")
    user_id = validate_user_id(telegram_user_id)
    async with svc.db.transaction() as session:
        if user_id in await admin_chats(svc.settings, session):
            raise Invalid("already_admin")
        session.add(Admin(telegram_user_id=user_id, added_by=actor.telegram_user_id))
        audit(session, "admin_added", actor=actor, user_id=user_id)


async def remove_admin(svc: Services, actor: Actor, *, telegram_user_id: int) -> Removed:
    await require_admin(svc, actor, "admin_remove")
    user_id = validate_user_id(telegram_user_id)
    async with svc.db.transaction() as session:
        result = await session.execute(delete(Admin).where(Admin.telegram_user_id == user_id))
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        in_settings = user_id in svc.settings.admin_ids
        if not count and not in_settings:
            raise Invalid("not_an_admin")
        audit(session, "admin_removed", actor=actor, user_id=user_id, count=count)
        return Removed(count, in_settings)


async def all_coordinators(svc: Services) -> list[int]:
    """Everyone who coordinates for some team (for their command menus)."""
    async with svc.db.transaction() as session:
        return await coordinator_chats(svc.settings, session, review_id=None)


# --- which team a new review belongs to ---------------------------------------------------


async def teams_for_new_review(svc: Services, session: AsyncSession, actor: Actor) -> list[Team]:
    """The teams `actor` may set a review up in, default team first."""
    scope = await svc.team_scope(session, actor)
    if scope is None:
        teams = list(await session.scalars(select(Team).order_by(Team.id)))
        if svc.settings.coordinator_ids or not teams:
            default = await _default_team(session)
            teams = [default, *[t for t in teams if t.id != default.id]]
        return teams
    return await _scoped_teams(session, scope)


async def _scoped_teams(session: AsyncSession, scope: TeamScope) -> list[Team]:
    teams = list(
        await session.scalars(
            select(Team).where(Team.id.in_(sorted(scope.team_ids))).order_by(Team.id)
        )
    )
    if scope.default and all(t.name != DEFAULT_TEAM for t in teams):
        teams.insert(0, await _default_team(session))
    return teams


async def team_names_for(svc: Services, actor: Actor) -> list[str]:
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        return [t.name for t in await teams_for_new_review(svc, session, actor)]


async def team_for_new_review(
    svc: Services, session: AsyncSession, actor: Actor, name: str | None
) -> int:
    """The team id for a new review: the one named (it must be one of the actor's),
    else the only one. The operator must name it when there are several; a coordinator
    in several teams gets their first."""
    teams = await teams_for_new_review(svc, session, actor)
    if name is not None:
        wanted = validate_name(name).lower()
        found = [t for t in teams if t.name.lower() == wanted]
        if not found:
            raise NotFound("team_not_found", name=name)
        return found[0].id
    if len(teams) > 1 and actor.is_cli:
        raise Invalid("team_needed", teams=[t.name for t in teams])
    if not teams:
        raise NotAllowed("coordinator_only")
    return teams[0].id


# --- who families contact -----------------------------------------------------------------

MAX_CONTACT = 300
CLEAR_CONTACT = frozenset({"off", "none", "clear"})


@dataclass(frozen=True)
class ContactSet:
    team: str
    contact: str | None  # None: cleared


async def set_contact(
    svc: Services, actor: Actor, text: str, *, team: str | None = None
) -> ContactSet:
    """A coordinator's line for their team's families and young people ("off" clears
    it). In several teams: name the team (`team`, or the first word of `text`)."""
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        mine = await teams_for_new_review(svc, session, actor)
        words = text.strip().split(maxsplit=1)
        named = bool(words) and any(t.name.lower() == words[0].lower() for t in mine)
        if team is None and len(mine) > 1 and named:
            team, text = words[0], words[1] if len(words) > 1 else ""
        if team is not None:
            wanted = validate_name(team).lower()
            found = [t for t in mine if t.name.lower() == wanted]
            if not found:
                raise NotFound("team_not_found", name=team)
            row = found[0]
        elif len(mine) > 1:
            raise Invalid("team_needed", teams=[t.name for t in mine])
        elif not mine:
            raise NotAllowed("coordinator_only")
        else:
            row = mine[0]
        contact = clean_text(text, multiline=False).strip()
        if not contact:
            raise Invalid("contact_empty")
        if len(contact) > MAX_CONTACT:
            raise Invalid("text_too_long", limit=MAX_CONTACT)
        row.contact = None if contact.lower() in CLEAR_CONTACT else contact
        await session.flush()
        audit(session, "team_contact_set", actor=actor, team_id=row.id, cleared=not row.contact)
        return ContactSet(row.name, row.contact)


async def contacts_for_reviews(session: AsyncSession, review_ids: list[int]) -> list[str]:
    """The contact lines of the teams these reviews belong to (a review with no team
    belongs to the default team), each once, in the order of the reviews."""
    if not review_ids:
        return []
    rows = (
        await session.execute(select(Review.id, Review.team_id).where(Review.id.in_(review_ids)))
    ).all()
    team_ids = {team_id for _, team_id in rows}
    teams = {
        t.id: t for t in await session.scalars(select(Team).where(Team.id.in_(team_ids - {None})))
    }
    default = await _team(session, DEFAULT_TEAM) if None in team_ids else None
    lines: list[str] = []
    for review_id in review_ids:
        team_id = next(t for r, t in rows if r == review_id)
        team = teams.get(team_id) if team_id is not None else default
        if team is not None and team.contact and team.contact not in lines:
            lines.append(team.contact)
    return lines
