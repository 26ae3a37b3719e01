"""Reading the audit trail: who saw or changed what, when (ids, never content).

The whole trail (any review, any person) is for the operator at the command line and
administrators; one review's trail is also for that review's coordinators (the web
companion's audit page calls `review_audit`). Reading the trail is itself audited.
"""

from __future__ import annotations

from datetime import datetime

from cetr_bot.services import teams
from cetr_bot.services.context import Actor, Services, audit
from cetr_bot.storage.queries.audit import MAX_ROWS, AuditFilter, AuditRow, audit_rows


async def audit_log(
    svc: Services,
    actor: Actor,
    *,
    review_id: int | None = None,
    person_id: int | None = None,
    since: datetime | None = None,
    limit: int = MAX_ROWS,
) -> list[AuditRow]:
    """The trail, oldest first, filtered; the operator or an administrator only."""
    await teams.require_admin(svc, actor, "audit")
    where = AuditFilter(review_id=review_id, person_id=person_id, since=since, limit=limit)
    async with svc.db.transaction() as session:
        rows = await audit_rows(session, where)
        audit(
            session,
            "audit_read",
            actor=actor,
            review_id=review_id,
            person_id=person_id,
            role="operator" if actor.is_cli else "admin",
            since=since.isoformat() if since else None,
            count=len(rows),
        )
    return rows


async def review_audit(
    svc: Services, actor: Actor, review_id: int, *, limit: int = MAX_ROWS
) -> list[AuditRow]:
    """One review's trail, for its coordinators (another team's review: not found)."""
    await svc.require_coordinator(actor)
    async with svc.db.transaction() as session:
        await svc.require_review(session, actor, review_id)
        rows = await audit_rows(session, AuditFilter(review_id=review_id, limit=limit))
        audit(
            session,
            "review_audit_read",
            actor=actor,
            review_id=review_id,
            role="operator" if actor.is_cli else "coordinator",
            count=len(rows),
        )
    return rows
