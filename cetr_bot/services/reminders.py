"""Reminder rows as the coordinator sees them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.services.context import Services


async def delivery_problems_for_review(
    svc: Services, session: AsyncSession, review_id: int
) -> list[Any]:
    """Failed reminders and unreachable people for this review (placeholder)."""
    return []
