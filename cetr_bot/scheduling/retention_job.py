"""The daily retention run on the Application's JobQueue (services/retention.py decides
and removes; this only says when)."""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import ContextTypes

from cetr_bot.services import retention
from cetr_bot.services.context import Services

log = logging.getLogger(__name__)
JOB_NAME = "retention"


async def run_once(svc: Services) -> retention.RetentionPlan:
    result = await retention.run(svc)
    log.info("retention: %d reviews, %d people", len(result.reviews), len(result.people))
    return result


def install(app: Any, svc: Services) -> None:
    """Every day at RETENTION_RUN_TIME, local time."""
    if app.job_queue is None:
        log.warning("no JobQueue (python-telegram-bot[job-queue] missing): no retention runs")
        return

    async def job(context: ContextTypes.DEFAULT_TYPE) -> None:
        await run_once(svc)

    at = svc.settings.retention_run_time.replace(tzinfo=svc.settings.zone)
    app.job_queue.run_daily(job, time=at, name=JOB_NAME)
