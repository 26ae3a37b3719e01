"""Short notices to a review's coordinators (someone joined, a deputy link was made,
a panel member asked for a pack that is held back), queued as reminder rows: the
dispatcher sends each once, and a restart does not lose them. Rendered from the
state at sending time (notifications/notices_compose.py): role and review number, never
a name, a diagnosis or the young person's reference."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import ReminderKind
from cetr_bot.services.context import Services
from cetr_bot.storage.coordinators import coordinator_chats
from cetr_bot.storage.models_reminders import Reminder

KINDS = frozenset(
    {ReminderKind.COORD_JOINED, ReminderKind.COORD_DEPUTY_LINK, ReminderKind.COORD_PACK_ASKED}
)


async def tell_coordinators(
    svc: Services,
    session: AsyncSession,
    kind: str,
    *,
    review_id: int,
    key: str,
    payload: dict[str, Any],
) -> None:
    """One row per coordinator of the review, due now; `key` makes it happen once."""
    assert kind in KINDS
    now = svc.now()
    chats = await coordinator_chats(svc.settings, session, review_id=review_id)
    keys = {chat: f"{kind}:r{review_id}:{key}:c{chat}" for chat in chats}
    known = (
        set(await session.scalars(select(Reminder.key).where(Reminder.key.in_(keys.values()))))
        if keys
        else set()
    )
    for chat, row_key in keys.items():
        if row_key in known:
            continue
        session.add(
            Reminder(
                key=row_key,
                kind=kind,
                review_id=review_id,
                chat_id=chat,
                due_at=now,
                send_after=now,
                status="pending",
                attempts=0,
                payload=payload,
            )
        )
    await session.flush()
