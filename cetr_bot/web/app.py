"""The web application factory. Each feature registers its own routes (ROUTES), so the
web companion's pages add a module here and nothing else changes."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from cetr_bot.web import health, middleware, pages, prometheus, webhook
from cetr_bot.web.context import CONTEXT, WebContext

# Route modules, each with register(app, ctx).
ROUTES: tuple[Callable[[web.Application, WebContext], None], ...] = (
    health.register,
    prometheus.register,
    webhook.register,
    pages.register,
)


def build_web_app(ctx: WebContext) -> web.Application:
    app = web.Application(client_max_size=ctx.svc.settings.web_max_body_bytes)
    app[CONTEXT] = ctx
    middleware.install(app)
    for register in ROUTES:
        register(app, ctx)
    return app
