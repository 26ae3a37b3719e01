"""Guessing invitation links: limits per Telegram user and across everyone.

Each wrong link is a StartAttempt row. Past BAD_TOKEN_LIMIT from one user, that user
waits; past BAD_TOKEN_GLOBAL_LIMIT from everyone together (many accounts guessing),
every redemption waits until the window has moved on, and the administrators are
told once per window by a reminder row (sent by the dispatcher, exactly once).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import ReminderKind
from cetr_bot.services.context import Actor, Services
from cetr_bot.storage.coordinators import admin_chats
from cetr_bot.storage.models import AuditEvent, StartAttempt
from cetr_bot.storage.models_reminders import Reminder

FLOOD = "bad_token_flood"


def _since(svc: Services) -> datetime:
    return svc.now() - timedelta(minutes=svc.settings.bad_token_window_minutes)


async def failures(svc: Services, session: AsyncSession, actor: Actor | None = None) -> int:
    """Wrong links in the window: this user's, or everyone's when actor is None."""
    query = select(func.count()).select_from(StartAttempt).where(StartAttempt.at >= _since(svc))
    if actor is not None:
        query = query.where(StartAttempt.telegram_user_id == actor.telegram_user_id)
    return int(await session.scalar(query) or 0)


async def links_paused(svc: Services, session: AsyncSession) -> bool:
    """True while everyone together has passed the global limit (admins told once)."""
    count = await failures(svc, session)
    if count < svc.settings.bad_token_global_limit:
        return False
    await _tell_admins_once(svc, session, count)
    return True


async def _tell_admins_once(svc: Services, session: AsyncSession, count: int) -> None:
    told = await session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.kind == FLOOD, AuditEvent.at >= _since(svc))
    )
    if told:
        return
    now = svc.now()
    minutes = svc.settings.bad_token_window_minutes
    # The audit row (at the services' clock) is also the once-per-window marker.
    session.add(AuditEvent(kind=FLOOD, at=now, detail={"failures": count, "minutes": minutes}))
    stamp = now.strftime("%Y%m%d%H%M%S")
    for chat in await admin_chats(svc.settings, session):
        session.add(
            Reminder.due_now(
                now,
                key=f"{ReminderKind.ADMIN_BAD_TOKENS}:{stamp}:c{chat}",
                kind=ReminderKind.ADMIN_BAD_TOKENS,
                chat_id=chat,
                payload={"failures": count, "minutes": minutes},
            )
        )
