"""Small helpers for setting up state through the real services."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from cetr_bot.domain import ReviewType, Role
from cetr_bot.sandbox import SandboxUser, SentMessage
from cetr_bot.services import invitations, reviews
from cetr_bot.services.context import Actor, Services

CLI = Actor.cli()
TOKEN = re.compile(r"start=([A-Za-z0-9_-]+)")


async def add_review(
    svc: Services,
    *,
    ref: str = "YP-0042",
    review_type: ReviewType = ReviewType.INPATIENT,
    at: datetime | None = None,
    date_of_birth: date | None = date(2012, 3, 14),
    admitted_on: date | None = date(2026, 9, 1),
    location: str | None = "Video call",
) -> int:
    result = await reviews.create_review(
        svc,
        CLI,
        ref=ref,
        review_type=review_type,
        at=at or svc.now() + timedelta(days=21),
        location=location,
        date_of_birth=date_of_birth,
        admitted_on=admitted_on,
    )
    return result.review_id


async def invite(svc: Services, review_id: int, role: Role) -> invitations.InviteCreated:
    return await invitations.create_invitation(svc, CLI, review_id=review_id, role=role)


async def join(user: SandboxUser, token: str) -> list[SentMessage]:
    """Open an invitation link and collect everything the bot says in answer
    (the greeting first, then whatever later capabilities add): settle() returns once
    the bot has finished with the update, not after a pause that load could outlast."""
    await user.send(f"/start {token}")
    first = await user.wait_for(1)
    return first + await user.settle()


def token_in(text: str) -> str:
    match = TOKEN.search(text)
    assert match, f"no invitation link in: {text!r}"
    return match[1]
