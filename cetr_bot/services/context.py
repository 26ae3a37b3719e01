"""What every service call needs: the database, the settings, a clock and the actor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.config import Settings
from cetr_bot.dsr_rules import DsrPolicy
from cetr_bot.rules import Policy
from cetr_bot.services.errors import NotAllowed, NotFound, ServiceError
from cetr_bot.storage.coordinators import TeamScope, team_scope
from cetr_bot.storage.models import AuditEvent, Review
from cetr_bot.storage.session import Database
from cetr_bot.storage.types import utcnow

if TYPE_CHECKING:
    from cetr_bot.services.events import Planner


@dataclass(frozen=True)
class Actor:
    """Who asks. `telegram_user_id` None means the operator at the command line."""

    telegram_user_id: int | None
    chat_id: int | None = None
    first_name: str | None = None
    language_code: str | None = None  # Telegram's guess of their language (IETF tag)

    @classmethod
    def cli(cls) -> Actor:
        return cls(None)

    @property
    def is_cli(self) -> bool:
        return self.telegram_user_id is None


@dataclass
class Services:
    db: Database
    settings: Settings
    clock: Callable[[], datetime] = utcnow
    bot_username: str | None = None
    extras: dict[str, object] = field(default_factory=dict)
    # The reminder planner; None: the one cetr_bot.wiring installed for the process.
    planner: Planner | None = None

    def now(self) -> datetime:
        return self.clock()

    @property
    def policy(self) -> Policy:
        s = self.settings
        return Policy(
            post_admission_due_days=s.post_admission_due_days,
            inpatient_interval_months=s.inpatient_interval_months,
            transitions_age=s.transitions_age,
            adult_age=s.adult_age,
        )

    @property
    def dsr_policy(self) -> DsrPolicy:
        s = self.settings
        return DsrPolicy(
            red_review_days=s.dsr_red_review_days,
            amber_review_months=s.dsr_amber_review_months,
            green_review_months=s.dsr_green_review_months,
            red_cetr_working_days=s.dsr_red_cetr_working_days,
            amber_cetr_days=s.dsr_amber_cetr_days,
            cetr_chase_every_days=s.dsr_cetr_chase_every_days,
            cetr_max_chases=s.dsr_cetr_max_chases,
            pre_admission_window_months=s.dsr_pre_admission_window_months,
            out_of_area_visit_weeks=s.dsr_out_of_area_visit_weeks,
            discharge_review_days=s.dsr_discharge_review_days,
            adult_warning_months=s.dsr_adult_warning_months,
            inpatient_interval_months=s.inpatient_interval_months,
        )

    # --- who may do what (checked on the server, every time) -----------------------

    async def team_scope(self, session: AsyncSession, actor: Actor) -> TeamScope | None:
        """The teams whose reviews `actor` coordinates; None: the operator (all)."""
        if actor.telegram_user_id is None:
            return None
        return await team_scope(self.settings, session, actor.telegram_user_id)

    async def is_coordinator(self, actor: Actor) -> bool:
        """A coordinator of at least one team (or the operator)."""
        if actor.is_cli:
            return True
        async with self.db.transaction() as session:
            scope = await self.team_scope(session, actor)
        return scope is None or scope.any

    async def require_coordinator(self, actor: Actor) -> None:
        if not await self.is_coordinator(actor):
            raise NotAllowed("coordinator_only")

    async def coordinates_review(self, session: AsyncSession, actor: Actor, review_id: int) -> bool:
        """The review exists and is one of `actor`'s teams' reviews."""
        team = (await session.execute(select(Review.team_id).where(Review.id == review_id))).first()
        if team is None:
            return False
        scope = await self.team_scope(session, actor)
        return scope is None or scope.allows(team[0])

    async def require_review(
        self,
        session: AsyncSession,
        actor: Actor,
        review_id: int,
        missing: ServiceError | None = None,
    ) -> None:
        """Another team's review gets the same answer as no such review: nothing leaks."""
        if not await self.coordinates_review(session, actor, review_id):
            raise missing or NotFound("review_not_found", review_id=review_id)

    def invite_link(self, token: str) -> str:
        username = self.bot_username or self.settings.bot_username or "YOUR_BOT_USERNAME"
        return f"https://t.me/{username}?start={token}"


def shown_via(via: str | None) -> dict[str, Any]:
    """An audit detail saying where a view was shown, when not the chat or the CLI."""
    return {"via": via} if via else {}


def audit(
    session: AsyncSession,
    kind: str,
    *,
    actor: Actor | None = None,
    review_id: int | None = None,
    person_id: int | None = None,
    role: str | None = None,
    **detail: object,
) -> None:
    """Record a view of personal data, a change, or a security- or safety-relevant event:
    who (the actor, and `role`: the capacity they acted in), when, what kind, which review
    or person (`person_id`: whose data). Ids only, never the content. Append-only; the
    time is the wall clock's (what really happened), not the services' clock."""
    session.add(
        AuditEvent(
            kind=kind,
            telegram_user_id=actor.telegram_user_id if actor else None,
            actor_role=role or actor_role(actor),
            review_id=review_id,
            person_id=person_id,
            detail={k: v for k, v in detail.items()},
        )
    )


def staff_role(actor: Actor) -> str:
    """A coordinator's capacity: the operator at the command line, else coordinator."""
    return "operator" if actor.is_cli else "coordinator"


def actor_role(actor: Actor | None) -> str:
    """The capacity when the caller names none: the system, the operator, or a user."""
    if actor is None:
        return "system"
    return "operator" if actor.is_cli else "user"
