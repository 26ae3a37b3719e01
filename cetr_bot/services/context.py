"""What every service call needs: the database, the settings, a clock and the actor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.config import Settings
from cetr_bot.rules import Policy
from cetr_bot.services.errors import NotAllowed
from cetr_bot.storage.models import AuditEvent
from cetr_bot.storage.session import Database
from cetr_bot.storage.types import utcnow


@dataclass(frozen=True)
class Actor:
    """Who asks. `telegram_user_id` None means the operator at the command line."""

    telegram_user_id: int | None
    chat_id: int | None = None
    first_name: str | None = None

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

    def is_coordinator(self, actor: Actor) -> bool:
        return actor.is_cli or self.settings.is_coordinator(actor.telegram_user_id)

    def require_coordinator(self, actor: Actor) -> None:
        if not self.is_coordinator(actor):
            raise NotAllowed("coordinator_only")

    def invite_link(self, token: str) -> str:
        username = self.bot_username or self.settings.bot_username or "YOUR_BOT_USERNAME"
        return f"https://t.me/{username}?start={token}"


def audit(
    session: AsyncSession,
    kind: str,
    *,
    actor: Actor | None = None,
    review_id: int | None = None,
    **detail: object,
) -> None:
    """Record a security- or safety-relevant event (ids only)."""
    session.add(
        AuditEvent(
            kind=kind,
            telegram_user_id=actor.telegram_user_id if actor else None,
            review_id=review_id,
            detail={k: v for k, v in detail.items()},
        )
    )
