"""Sends due reminders, driven by APScheduler through python-telegram-bot's JobQueue."""

from __future__ import annotations

from typing import Any

from cetr_bot.services.context import Services


def install(app: Any, svc: Services) -> None:
    """Placeholder until the reminder engine lands: schedule the dispatch job here."""
    return None
