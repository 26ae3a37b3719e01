"""GET /healthz: the process is alive. GET /readyz: it can do its job — the database
answers, its schema is at the migrations' head, and the Bot API answers getMe; 503 with
the reason otherwise (an orchestrator sends no traffic to it until then)."""

from __future__ import annotations

import asyncio
import logging
import time
from functools import lru_cache

from aiohttp import web
from alembic.script import ScriptDirectory
from sqlalchemy import text

from cetr_bot.storage.session import alembic_config
from cetr_bot.web.context import CONTEXT, WebContext

log = logging.getLogger(__name__)

CHECK_SECONDS = 3.0  # each check's time limit
BOT_API_CACHE_SECONDS = 15.0  # a good getMe is trusted this long (no call per probe)


@lru_cache(maxsize=1)
def schema_heads() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"alive": True})


async def readyz(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    checks: dict[str, str] = {}
    reason = await _database(ctx, checks) or await _bot_api(ctx, checks)
    if reason is None and ctx.draining:
        reason = "stopping"
    body: dict[str, object] = {"ready": reason is None, "checks": checks}
    if reason is not None:
        body["reason"] = reason
        return web.json_response(body, status=503)
    return web.json_response(body)


async def _database(ctx: WebContext, checks: dict[str, str]) -> str | None:
    try:
        async with asyncio.timeout(CHECK_SECONDS), ctx.svc.db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
            versions = set(
                (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars()
            )
    except Exception as exc:  # noqa: BLE001 - any failure means not ready; the reason says which
        if "database" not in checks:
            checks["database"] = "unreachable"
            log.warning("readyz: database unreachable (%s)", type(exc).__name__)
            return "database unreachable"
        checks["schema"] = "missing"
        return "schema not migrated"
    if versions != set(schema_heads()):
        checks["schema"] = "behind"
        return "schema not at head (run `cetr-bot db upgrade`)"
    checks["schema"] = "ok"
    return None


async def _bot_api(ctx: WebContext, checks: dict[str, str]) -> str | None:
    app = ctx.telegram
    if app is None or not app.running:
        checks["bot_api"] = "not started"
        return "bot not started"
    now = time.monotonic()
    if now - ctx.bot_api_ok_at < BOT_API_CACHE_SECONDS:
        checks["bot_api"] = "ok"
        return None
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            await app.bot.get_me()
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["bot_api"] = "unreachable"
        log.warning("readyz: Bot API unreachable (%s)", type(exc).__name__)
        return "Bot API unreachable"
    ctx.bot_api_ok_at = now
    checks["bot_api"] = "ok"
    return None


def register(app: web.Application, ctx: WebContext) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
