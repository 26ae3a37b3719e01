"""Attendance (RSVP) per participant."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.services.context import Services


async def attendance_for_review(
    svc: Services, session: AsyncSession, review_id: int
) -> dict[int, str]:
    """participant id → 'in_person' | 'video' | 'cannot' (placeholder)."""
    return {}
