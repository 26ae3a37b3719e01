"""Preparation questions: progress, answers, consent and safeguarding."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.services.context import Services


async def progress_for_review(
    svc: Services, session: AsyncSession, review_id: int
) -> dict[int, str]:
    """participant id → 'not_started' | 'in_progress' | 'submitted' (placeholder)."""
    return {}


async def flags_for_review(svc: Services, session: AsyncSession, review_id: int) -> list[Any]:
    """Safeguarding and rights flags for the coordinator (placeholder)."""
    return []
