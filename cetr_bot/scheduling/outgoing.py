"""What the dispatcher sends for a row, or why not; and the composer that decides.

The composer lives above (cetr_bot.notifications): the dispatcher is handed one, or
uses the one the composition root (cetr_bot.wiring) installed for the process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup

from cetr_bot.domain import ReminderStatus
from cetr_bot.services.context import Services
from cetr_bot.storage.models_reminders import Reminder
from cetr_bot.text import Texts


@dataclass(frozen=True)
class Outgoing:
    """A message to send. With a document (.ics), the text is its caption."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None
    document: bytes | None = None
    filename: str | None = None  # of the document; the calendar file's name by default
    # Sensitive content sent in the chat (notifications/delivery_policy.py): Telegram's apps
    # then refuse to forward or save it. Calendar files are not protected: they are for saving.
    protect_content: bool = False


@dataclass(frozen=True)
class Skip:
    status: ReminderStatus  # SKIPPED or EXPIRED
    why: str


Composed = Outgoing | Skip


class Composer(Protocol):
    async def __call__(
        self,
        svc: Services,
        texts: Texts,
        rows: Sequence[Reminder],
        now: datetime,
        session: AsyncSession | None = None,
    ) -> dict[int, Composed]:
        """Row id → what to send, or why not; read in `session` when given (the
        dispatcher's check, which marks the row in flight in the same transaction)."""
        ...


_installed: list[Composer] = []


def install_composer(composer: Composer) -> None:
    _installed[:] = [composer]


def installed_composer() -> Composer:
    if not _installed:
        raise RuntimeError("no composer installed: import cetr_bot.wiring first")
    return _installed[0]
