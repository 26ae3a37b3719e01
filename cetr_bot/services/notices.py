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
from cetr_bot.services.events import person_changed
from cetr_bot.storage.coordinators import coordinator_chats
from cetr_bot.storage.models import Person
from cetr_bot.storage.models_actions import DigestPreference
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
    digest_ok: bool = False,
) -> None:
    """One row per coordinator of the review, due now; `key` makes it happen once.
    `digest_ok` (a plain join): a coordinator who chose a daily digest (/digest) is told
    in it instead (scheduling/follow_up.py plans it from the join itself)."""
    assert kind in KINDS
    now = svc.now()
    chats = await coordinator_chats(svc.settings, session, review_id=review_id)
    if digest_ok and chats:
        daily = (
            await session.execute(
                select(Person.id, Person.telegram_user_id)
                .join(DigestPreference, DigestPreference.person_id == Person.id)
                .where(Person.telegram_user_id.in_(chats), Person.unreachable_since.is_(None))
            )
        ).all()
        for person_id, _ in daily:
            await person_changed(svc, session, person_id, reason="joined")
        chats = [c for c in chats if c not in {chat for _, chat in daily}]
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
            Reminder.due_now(
                now,
                key=row_key,
                kind=kind,
                review_id=review_id,
                chat_id=chat,
                payload=payload,
            )
        )
    await session.flush()
