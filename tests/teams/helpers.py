"""Two teams (north and south), each with its own coordinator and review; the
default team (COORDINATOR_IDS) stays beside them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from cetr_bot.domain import ReviewType
from cetr_bot.services import reviews, teams
from cetr_bot.services.context import Services
from cetr_bot.storage.registry import Base
from tests.helpers import CLI

ADMIN_ID = 4900
NORTH_COORD, SOUTH_COORD = 4001, 4002


@dataclass(frozen=True)
class TwoTeams:
    north: int  # review ids
    south: int


async def review_in(svc: Services, team: str, ref: str, days: int = 21) -> int:
    result = await reviews.create_review(
        svc,
        CLI,
        ref=ref,
        review_type=ReviewType.INPATIENT,
        at=svc.now() + timedelta(days=days),
        location="Video call",
        date_of_birth=date(2012, 3, 14),
        admitted_on=date(2026, 9, 1),
        team=team,
    )
    return result.review_id


async def two_teams(svc: Services) -> TwoTeams:
    for name, coordinator in (("north", NORTH_COORD), ("south", SOUTH_COORD)):
        await teams.add_team(svc, CLI, name)
        await teams.add_coordinator(svc, CLI, telegram_user_id=coordinator, team=name)
    return TwoTeams(
        north=await review_in(svc, "north", "YP-NORTH"),
        south=await review_in(svc, "south", "YP-SOUTH", days=22),
    )


async def snapshot(svc: Services) -> dict[str, list[Any]]:
    """Every row of every table but the audit log (refusals are audited on purpose)."""
    out: dict[str, list[Any]] = {}
    async with svc.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            if table.name != "audit_events":
                rows = (await session.execute(select(table))).all()
                out[table.name] = sorted(repr(tuple(r)) for r in rows)
    return out
