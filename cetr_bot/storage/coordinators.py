"""Who coordinates what: the Telegram ids to tell about a review, and which reviews
a coordinator may see.

The one seam every notification to coordinators goes through, so that team
scoping (a review belongs to a team; only that team's coordinators hear of it)
lives in one place. The team named "default" is everyone in COORDINATOR_IDS plus
its members in the database; a review without a team belongs to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.config import Settings
from cetr_bot.storage.models import Participant, Review
from cetr_bot.storage.models_teams import DEFAULT_TEAM, Admin, Team, TeamMember


@dataclass(frozen=True)
class TeamScope:
    """The teams one coordinator works for. `default`: they are in the default team,
    which also holds reviews with no team."""

    team_ids: frozenset[int]
    default: bool

    @property
    def any(self) -> bool:
        return bool(self.team_ids) or self.default

    def allows(self, team_id: int | None) -> bool:
        return team_id in self.team_ids if team_id is not None else self.default

    def clause(self) -> ColumnElement[bool]:
        """SQL: the review is one of this coordinator's."""
        parts: list[ColumnElement[bool]] = []
        if self.team_ids:
            parts.append(Review.team_id.in_(sorted(self.team_ids)))
        if self.default:
            parts.append(Review.team_id.is_(None))
        return or_(*parts) if parts else false()


async def default_team_id(session: AsyncSession) -> int | None:
    return await session.scalar(select(Team.id).where(Team.name == DEFAULT_TEAM))


async def team_scope(settings: Settings, session: AsyncSession, telegram_user_id: int) -> TeamScope:
    ids = set(
        await session.scalars(
            select(TeamMember.team_id).where(TeamMember.telegram_user_id == telegram_user_id)
        )
    )
    default_id = await default_team_id(session)
    in_default = telegram_user_id in settings.coordinator_ids or (
        default_id is not None and default_id in ids
    )
    if in_default and default_id is not None:
        ids.add(default_id)
    return TeamScope(frozenset(ids), in_default)


async def team_chats(settings: Settings, session: AsyncSession, team_id: int | None) -> list[int]:
    """The coordinators of one team (None: the default team)."""
    default_id = await default_team_id(session)
    if team_id is None:
        team_id = default_id
    chats = list(settings.coordinator_ids) if team_id == default_id else []
    if team_id is not None:
        rows = await session.scalars(
            select(TeamMember.telegram_user_id)
            .where(TeamMember.team_id == team_id)
            .order_by(TeamMember.id)
        )
        chats += list(rows)
    return _unique(chats)


async def coordinator_chats(
    settings: Settings, session: AsyncSession, *, review_id: int | None
) -> list[int]:
    """The coordinators who look after `review_id` (every coordinator when None)."""
    if review_id is None:
        rows = await session.scalars(select(TeamMember.telegram_user_id).order_by(TeamMember.id))
        return _unique([*settings.coordinator_ids, *rows])
    team_id = await session.scalar(select(Review.team_id).where(Review.id == review_id))
    return await team_chats(settings, session, team_id)


async def coordinator_chats_for_person(
    settings: Settings, session: AsyncSession, person_id: int
) -> list[int]:
    """The coordinators of every team with a review this person takes part in."""
    teams = set(
        await session.scalars(
            select(Review.team_id)
            .join(Participant, Participant.review_id == Review.id)
            .where(Participant.person_id == person_id)
        )
    )
    chats: list[int] = []
    for team_id in sorted(teams, key=lambda t: (t is not None, t or 0)):
        chats += await team_chats(settings, session, team_id)
    return _unique(chats)


async def admin_chats(settings: Settings, session: AsyncSession) -> list[int]:
    """The administrators (they manage teams and hear of attacks on the bot)."""
    rows = await session.scalars(select(Admin.telegram_user_id).order_by(Admin.added_at))
    return _unique([*settings.admin_ids, *rows])


def _unique(chats: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(chats))
