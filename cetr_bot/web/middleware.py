"""Middleware for every route: a request id (logged, echoed in X-Request-Id) and
security headers on every answer, errors included. Body size is limited by the
Application's client_max_size (413 beyond WEB_MAX_BODY_BYTES)."""

from __future__ import annotations

import re
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler

from cetr_bot import logging_setup

REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID_SHAPE = re.compile(r"[A-Za-z0-9._-]{8,64}")
_REQUEST_ID: web.RequestKey[str] = web.RequestKey("cetr_request_id", str)

# Strict for JSON endpoints; the companion's pages will loosen CSP per route as needed.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Cache-Control": "no-store",
}


@web.middleware
async def request_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Keep a proxy's X-Request-Id when it looks like one, else make one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = given if _REQUEST_ID_SHAPE.fullmatch(given) else uuid.uuid4().hex
    request[_REQUEST_ID] = request_id
    token = logging_setup.REQUEST_ID.set(request_id)
    try:
        return await handler(request)
    finally:
        logging_setup.REQUEST_ID.reset(token)


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: runs for every answer, aiohttp's own 404/405/413 too."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    request_id = request.get(_REQUEST_ID)
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id


def install(app: web.Application) -> None:
    app.middlewares.append(request_ids)
    app.on_response_prepare.append(add_headers)
