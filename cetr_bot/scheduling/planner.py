"""Brings a review's pending reminder rows in line with its current state."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.services.context import Services


async def plan_review(svc: Services, session: AsyncSession, review_id: int, *, reason: str) -> None:
    """Placeholder until the reminder engine lands (issue: attendance and reminders)."""
    return None
