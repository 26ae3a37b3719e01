"""GET /metrics in Prometheus's text format (the official client library). The counters
are the process's own (cetr_bot.metrics); the gauges about reminders, people and claimed
updates are read from the shared database at scrape time, so every replica reports the
same figures for them."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select

from cetr_bot import metrics
from cetr_bot.domain import ReminderStatus
from cetr_bot.storage.models import Person
from cetr_bot.storage.models_reminders import Reminder
from cetr_bot.storage.models_updates import ProcessedUpdate
from cetr_bot.web.context import CONTEXT, WebContext

log = logging.getLogger(__name__)

STATUSES = tuple(str(s) for s in ReminderStatus)
SCRAPE_DB_SECONDS = 3.0


async def refresh_gauges(ctx: WebContext) -> None:
    now = ctx.svc.now()
    async with ctx.svc.db.transaction() as session:
        rows = await session.execute(
            select(Reminder.status, func.count()).group_by(Reminder.status)
        )
        by_status = {str(status): int(n) for status, n in rows}
        due = (Reminder.status == ReminderStatus.PENDING) & (Reminder.send_after <= now)
        due_count, oldest = (
            await session.execute(select(func.count(), func.min(Reminder.send_after)).where(due))
        ).one()
        retrying = await session.scalar(
            select(func.count())
            .select_from(Reminder)
            .where(Reminder.status == ReminderStatus.PENDING, Reminder.attempts > 0)
        )
        unreachable = await session.scalar(
            select(func.count()).select_from(Person).where(Person.unreachable_since.is_not(None))
        )
        claimed = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
    for status in set(STATUSES) | set(by_status):
        metrics.REMINDERS.labels(status).set(by_status.get(status, 0))
    metrics.REMINDERS_DUE.set(due_count or 0)
    metrics.REMINDERS_RETRYING.set(retrying or 0)
    # min() keeps the column's type, so `oldest` is an aware UTC datetime.
    metrics.DISPATCH_LAG.set(
        max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    )
    metrics.PEOPLE_UNREACHABLE.set(unreachable or 0)
    metrics.PROCESSED_UPDATES.set(claimed or 0)


async def serve_metrics(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    try:
        async with asyncio.timeout(SCRAPE_DB_SECONDS):
            await refresh_gauges(ctx)
    except Exception as exc:  # noqa: BLE001 - the process's own counters are still worth serving
        log.warning("metrics: database figures not refreshed (%s)", type(exc).__name__)
    body = generate_latest(metrics.REGISTRY)
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


def register(app: web.Application, ctx: WebContext) -> None:
    app.router.add_get("/metrics", serve_metrics)
