"""The audit trail, read: select only, never an UPDATE or DELETE (the table is
append-only, and its triggers refuse both)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.storage.models import AuditEvent, Person

MAX_ROWS = 10_000


@dataclass(frozen=True)
class AuditFilter:
    review_id: int | None = None
    person_id: int | None = None  # whose data, or who acted, or a participant of theirs
    since: datetime | None = None  # UTC, inclusive
    limit: int = MAX_ROWS


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    kind: str
    actor_telegram_id: int | None
    actor_person_id: int | None  # the actor as a person of ours, when they are one
    actor_role: str | None
    review_id: int | None
    person_id: int | None
    detail: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "kind": self.kind,
            "actor_telegram_id": self.actor_telegram_id,
            "actor_person_id": self.actor_person_id,
            "actor_role": self.actor_role,
            "review_id": self.review_id,
            "person_id": self.person_id,
            "detail": self.detail,
        }


def _query(where: AuditFilter, telegram_id: int | None) -> Select[Any]:
    actor = Person.__table__.alias("actor")
    query = select(AuditEvent, actor.c.id).outerjoin(
        actor, actor.c.telegram_user_id == AuditEvent.telegram_user_id
    )
    if where.review_id is not None:
        query = query.where(AuditEvent.review_id == where.review_id)
    if where.person_id is not None:
        mine = [AuditEvent.person_id == where.person_id]
        if telegram_id is not None:
            mine.append(AuditEvent.telegram_user_id == telegram_id)
        query = query.where(or_(*mine))
    if where.since is not None:
        query = query.where(AuditEvent.at >= where.since)
    return query.order_by(AuditEvent.at, AuditEvent.id).limit(where.limit)


async def audit_rows(session: AsyncSession, where: AuditFilter) -> list[AuditRow]:
    """Oldest first. --person matches events about that person and events they caused."""
    telegram_id = None
    if where.person_id is not None:
        telegram_id = await session.scalar(
            select(Person.telegram_user_id).where(Person.id == where.person_id)
        )
    rows = await session.execute(_query(where, telegram_id))
    return [
        AuditRow(
            id=event.id,
            at=event.at,
            kind=event.kind,
            actor_telegram_id=event.telegram_user_id,
            actor_person_id=actor_person_id,
            actor_role=event.actor_role,
            review_id=event.review_id,
            person_id=event.person_id,
            detail=dict(event.detail or {}),
        )
        for event, actor_person_id in rows
    ]
