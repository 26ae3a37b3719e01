"""POST /telegram: Telegram's webhook. The secret header is checked first (401, nothing
read or changed, when it is wrong or missing); the update is put on the bot's update
queue and acknowledged at once; the PerPersonProcessor handles it in the background,
claiming its update_id in the shared table first, so a redelivery is handled once."""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from telegram import Update

from cetr_bot import metrics
from cetr_bot.web.context import CONTEXT, WebContext

log = logging.getLogger(__name__)

PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def telegram_update(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    secret = ctx.webhook_secret
    given = request.headers.get(SECRET_HEADER, "")
    if secret is None or not hmac.compare_digest(given.encode(), secret.encode()):
        metrics.WEBHOOK_REQUESTS.labels("unauthorized").inc()
        log.warning("webhook: request refused (missing or wrong secret token)")
        return web.json_response({"ok": False, "error": "unauthorized"}, status=401)
    app = ctx.telegram
    if app is None or not ctx.taking_updates:
        # Starting or stopping: Telegram retries, through the proxy to another replica.
        metrics.WEBHOOK_REQUESTS.labels("draining").inc()
        return web.json_response({"ok": False, "error": "not taking updates"}, status=503)
    try:
        data = await request.json()
        update = Update.de_json(data, app.bot) if isinstance(data, dict) else None
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        update = None
    if update is None:
        metrics.WEBHOOK_REQUESTS.labels("bad_request").inc()
        return web.json_response({"ok": False, "error": "not an update"}, status=400)
    await app.update_queue.put(update)
    metrics.WEBHOOK_REQUESTS.labels("accepted").inc()
    return web.json_response({"ok": True})


def register(app: web.Application, ctx: WebContext) -> None:
    if ctx.webhook_secret is not None:
        app.router.add_post(PATH, telegram_update)
