"""Telegram handlers for preparation: thin, every rule lives in cetr_bot.services.preparation."""

from __future__ import annotations

from typing import Any

from telegram import Update

from cetr_bot.services.invitations import Joined
from cetr_bot.telegram.replies import Context


def register(app: Any) -> None:
    """Add this module's commands and buttons (called before the catch-all handlers)."""
    return None


async def after_join(update: Update, context: Context, joined: Joined) -> None:
    """Called right after someone joins a review by invitation link."""
    return None


async def on_text(update: Update, context: Context) -> bool:
    """Typed text nobody else claimed; True if handled here."""
    return False


async def on_media(update: Update, context: Context) -> bool:
    """A sticker, photo, voice note...; True if handled here."""
    return False
