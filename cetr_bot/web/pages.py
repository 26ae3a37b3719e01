"""The web companion's pages: sign-in (Mini App initData, or a single-use link from /web),
sign-out, and the pages at web_links.PATHS. Sensitive content lives here, not in chats.

Every page is the signed-in Telegram user's `Actor` asking the same services the chat
asks, which check permission every time; a refusal (not allowed, or no such review:
the same answer) is one kind 403 page. Pages carry their own strict CSP: our own
script and styles only (the pack's inline style by its hash), no other origin, framed
only by Telegram's web client. Sign-in and sign-out are POSTs from our own origin.

The session cookie is HttpOnly and Secure. A sign-in link's session (a browser tab of its
own) is SameSite=Strict. A Mini App's is `SameSite=None; Partitioned` (CHIPS): in
Telegram Web the page is a frame on web.telegram.org, a cross-site frame, where a Strict
cookie is neither stored nor sent; a partitioned cookie is kept for that one top-level
site only (another site framing or fetching us gets a different, empty jar), and is
what browsers keep allowing when they block third-party cookies. What Strict did
besides: no session is honoured on a request another site started (Sec-Fetch-Site:
cross-site), and POSTs are checked for our own origin as before.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from cetr_bot import web_links
from cetr_bot.services import actions, dsr, needs, pack, people, reviews, web_access, web_reads
from cetr_bot.services.context import Actor, Services
from cetr_bot.services.errors import Invalid, ServiceError
from cetr_bot.text import Texts
from cetr_bot.web.context import WebContext

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript"}
COOKIE = "__Host-cetr_session"
FRAMED_BY = "https://web.telegram.org"
AUTH_PATH = "/app/auth/telegram"
SIGN_OUT_PATH = "/app/signout"
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)

Handler = Callable[[web.Request, Actor], Awaitable[web.StreamResponse]]


def csp(style_hashes: tuple[str, ...] = ()) -> str:
    styles = " ".join(["'self'", *(f"'sha256-{h}'" for h in style_hashes)])
    return (
        "default-src 'none'; script-src 'self'; "
        f"style-src {styles}; img-src 'self'; form-action 'self'; connect-src 'self'; "
        f"base-uri 'none'; frame-ancestors {FRAMED_BY}"
    )


# The signed-in reader's messages (their language, easy-read) for this request's task.
_READER: ContextVar[Texts | None] = ContextVar("cetr_web_reader", default=None)


class Pages:
    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx
        self._texts = Texts(ctx.svc.settings.zone)

    @property
    def texts(self) -> Texts:
        """The pages in the signed-in person's language (easy-read for the young person);
        before sign-in, the defaults."""
        return _READER.get() or self._texts

    @property
    def svc(self) -> Services:
        return self.ctx.svc

    # --- answers ---------------------------------------------------------------------

    def html(
        self, template: str, status: int = 200, *, style_hashes: tuple[str, ...] = (), **params: Any
    ) -> web.Response:
        texts = self.texts
        params.setdefault("easy", texts.easy)
        body = texts.template(f"web/{template}").render(links=_Links(), **params)
        return self.raw(body, status, style_hashes)

    def raw(self, body: str, status: int = 200, style_hashes: tuple[str, ...] = ()) -> web.Response:
        response = web.Response(text=body, status=status, content_type="text/html")
        response.headers["Content-Security-Policy"] = csp(style_hashes)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def refused(self) -> web.Response:
        # The same kind page for "not yours" and "no such review": nothing leaks.
        return self.html("refused", 403)

    def same_origin(self, request: web.Request) -> bool:
        """A state-changing POST must come from our own pages (SameSite=Strict does the
        rest). Browsers say so in Sec-Fetch-Site; with Referrer-Policy no-referrer a form's
        Origin is "null", so Origin counts only when it names us. Neither: refused."""
        if request.headers.get("Sec-Fetch-Site") == "same-origin":
            return True
        origin = request.headers.get("Origin")
        if not origin or origin == "null":
            return False
        mine = {f"{request.scheme}://{request.host}"}
        base = urlsplit(self.svc.settings.web_base_url or "")
        if base.scheme and base.netloc:
            mine.add(f"{base.scheme}://{base.netloc}")
        return origin in mine

    def set_cookie(
        self, response: web.StreamResponse, signed: web_access.Signed, *, framed: bool = False
    ) -> None:
        """Strict for a sign-in link's session; partitioned for a Mini App's (`framed`)."""
        if framed:
            # http.cookies (Python < 3.14) has no Partitioned attribute: written by hand.
            response.headers.add("Set-Cookie", _partitioned(signed.token, signed.max_age_seconds))
            return
        response.set_cookie(
            COOKIE,
            signed.token,
            max_age=signed.max_age_seconds,
            path="/",
            secure=True,
            httponly=True,
            samesite="Strict",
        )

    def end_cookies(self, response: web.StreamResponse) -> None:
        """Expire both kinds: a browser keeps a partitioned and a plain cookie apart."""
        response.del_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="Strict")
        response.headers.add("Set-Cookie", _partitioned("", 0))

    def session_token(self, request: web.Request) -> str | None:
        """The session cookie, unless another site started this request: with a
        SameSite=None cookie, that is the check the browser no longer makes for us."""
        if request.headers.get("Sec-Fetch-Site") == "cross-site":
            return None
        return request.cookies.get(COOKIE)

    # --- pages -------------------------------------------------------------------------

    def page(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def run(request: web.Request) -> web.StreamResponse:
            actor = await web_access.actor_for(self.svc, self.session_token(request))
            if actor is None:
                # Not signed in: inside Telegram, app.js signs in with initData and
                # reloads; elsewhere this says how to get a link. Nothing about the page.
                return self.html("sign_in_needed", 401)
            user_id = actor.telegram_user_id or 0
            reader = await people.reader(self.svc, user_id, language_code=None)
            chosen = _READER.set(
                self._texts.variant(language=reader.language, easy=reader.easy_read)
            )
            try:
                return await handler(request, actor)
            except ServiceError as error:
                log.info("page refused: %s", error.key)
                return self.refused()
            finally:
                _READER.reset(chosen)

        return run

    async def dashboard(self, request: web.Request, actor: Actor) -> web.StreamResponse:
        if not await self.svc.is_coordinator(actor):
            return self.html("home", mine=await web_reads.my_reviews(self.svc, actor))
        rows = await web_reads.dashboard(self.svc, actor)
        return self.html("dashboard", rows=rows)

    async def review(self, request: web.Request, actor: Actor) -> web.StreamResponse:
        detail = await reviews.review_detail(self.svc, actor, _id(request), via=web_reads.WEB)
        return self.html("review", detail=detail)

    async def actions_page(self, request: web.Request, actor: Actor) -> web.StreamResponse:
        review_id = _id(request)
        rows = await actions.list_actions(self.svc, actor, review_id=review_id, via=web_reads.WEB)
        return self.html("actions", review_id=review_id, actions=rows)

    async def audit(self, request: web.Request, actor: Actor) -> web.StreamResponse:
        review_id = _id(request)
        lines = await web_reads.audit_trail(self.svc, actor, review_id)
        return self.html("audit", review_id=review_id, lines=lines)

    async def flags(self, request: web.Request, actor: Actor) -> web.StreamResponse:
        review_id = _id(request)
        details = await web_reads.flag_details(self.svc, actor, review_id)
        return self.html("flags", review_id=review_id, flags=details)

    async def answers(self, request: web.Request, actor: Actor) -> web.StreamResponse:
        review_id = _id(request)
        mine = await web_reads.own_answers(self.svc, actor, review_id)
        return self.html("answers", review_id=review_id, mine=mine)

    async def feedback(self, request: web.Request, actor: Actor) -> web.StreamResponse:
        review_id = _id(request)
        found = await web_reads.feedback_page(self.svc, actor, review_id)
        return self.html(
            "feedback",
            review_id=review_id,
            answers=found.answers,
            thread=found.thread,
            coordinator=found.coordinator,
            easy=not found.coordinator,
        )

    async def register(self, request: web.Request, actor: Actor) -> web.StreamResponse:
        if "id" in request.match_info:
            entry = await dsr.show_entry(self.svc, actor, _id(request), via=web_reads.WEB)
            return self.html("register_entry", v=entry)
        return self.html("register", reg=await dsr.register(self.svc, actor, via=web_reads.WEB))

    async def my_data(self, request: web.Request, actor: Actor) -> web.StreamResponse:
        try:
            mine = await web_reads.my_data(self.svc, actor, _id(request))
        except Invalid as gone:
            if gone.key != "copy_expired":
                raise
            return self.html("my_data_expired", 410)
        return self.html("my_data", v=mine)

    async def my_data_json(self, request: web.Request, actor: Actor) -> web.StreamResponse:
        try:
            mine = await web_reads.my_data(self.svc, actor, _id(request), "json")
        except Invalid as gone:
            if gone.key != "copy_expired":
                raise
            return self.html("my_data_expired", 410)
        response = web.Response(text=mine.export.to_json(), content_type="application/json")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="my-data-{mine.export.person_id}.json"'
        )
        response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Security-Policy"] = csp()
        return response

    async def pack_page(self, request: web.Request, actor: Actor) -> web.StreamResponse:
        try:
            current = await pack.pack_for(self.svc, actor, review_id=_id(request))
        except Invalid as held:  # held back (consent) or awaiting approval: say which
            return self.html("pack_held", 403, why=held.key)
        large = await needs.large_print_wanted(self.svc, actor)
        body = pack.render(self.texts, current, large_print=large)
        bar = self.texts.env.get_template("web/_pack_bar.html").render(
            links=_Links(), review_id=current.review_id
        )
        body = body.replace("</head>", '<link rel="stylesheet" href="/static/bar.css">\n</head>', 1)
        body = body.replace("<body>", "<body>\n" + bar, 1)
        hashes = tuple(_style_hash(s) for s in _STYLE.findall(body))
        return self.raw(body, 200, hashes)

    async def pack_pdf(self, request: web.Request, actor: Actor) -> web.StreamResponse:
        try:
            current = await pack.pack_for(self.svc, actor, review_id=_id(request))
        except Invalid:
            return self.html("pack_held", 403, why="pack_held_back")
        large = await needs.large_print_wanted(self.svc, actor)
        html = pack.render(self.texts, current, large_print=large)
        pdf = await asyncio.to_thread(pack.to_pdf, html)
        response = web.Response(body=pdf, content_type="application/pdf")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="{pack.filename(current, "pdf")}"'
        )
        return response

    # --- signing in and out ----------------------------------------------------------------

    async def mini_app_auth(self, request: web.Request) -> web.StreamResponse:
        if not self.same_origin(request):
            return web.json_response({"ok": False}, status=403)
        try:
            body = await request.json()
            init_data = str(body.get("init_data", "")) if isinstance(body, dict) else ""
        except ValueError:
            init_data = ""
        try:
            signed = await web_access.sign_in_mini_app(self.svc, init_data)
        except ServiceError as error:
            log.info("mini app sign-in refused: %s", error.key)
            return web.json_response({"ok": False}, status=403)
        response = web.json_response({"ok": True})
        self.set_cookie(response, signed, framed=True)
        return response

    async def sign_in_get(self, request: web.Request) -> web.StreamResponse:
        """A confirm page only: a link-preview fetcher or a mail scanner that GETs the
        link does not use it up."""
        state = await web_access.link_state(self.svc, request.match_info["token"])
        if state != web_access.VALID:
            return self._link_refused(state)
        return self.html("sign_in_confirm", action=request.path)

    async def sign_in_post(self, request: web.Request) -> web.StreamResponse:
        if not self.same_origin(request):
            return self.refused()
        outcome = await web_access.redeem_link(self.svc, request.match_info["token"])
        if isinstance(outcome, str):
            return self._link_refused(outcome)
        response = web.Response(
            status=303, headers={"Location": web_links.path(web_links.Page.DASHBOARD)}
        )
        self.set_cookie(response, outcome)
        return response

    def _link_refused(self, state: str) -> web.Response:
        status = 410 if state in (web_access.USED, web_access.EXPIRED) else 403
        return self.html("sign_in_refused", status, state=state)

    async def sign_out(self, request: web.Request) -> web.StreamResponse:
        if not self.same_origin(request):
            return self.refused()
        await web_access.sign_out(self.svc, request.cookies.get(COOKIE))
        response = self.html("signed_out")
        self.end_cookies(response)
        return response

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        file = STATIC / name
        if "/" in name or file.suffix not in STATIC_TYPES or not file.is_file():
            raise web.HTTPNotFound()
        response = web.Response(body=file.read_bytes(), content_type=STATIC_TYPES[file.suffix])
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response


class _Links:
    """Page addresses for the templates (relative: same origin)."""

    sign_out = SIGN_OUT_PATH
    auth = AUTH_PATH

    def __call__(self, page: str, id: int | None = None) -> str:
        return web_links.path(web_links.Page(page), id)


def _partitioned(token: str, max_age: int) -> str:
    return (
        f"{COOKIE}={token}; Max-Age={max_age}; Path=/; Secure; HttpOnly; SameSite=None; Partitioned"
    )


def _style_hash(style: str) -> str:
    return base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()


def _id(request: web.Request) -> int:
    text = request.match_info.get("id", "")
    if not text.isdigit() or len(text) > 9:
        raise web.HTTPNotFound()
    return int(text)


def register(app: web.Application, ctx: WebContext) -> None:
    pages = Pages(ctx)
    Page, paths = web_links.Page, web_links.PATHS
    views: dict[web_links.Page, Handler] = {
        Page.DASHBOARD: pages.dashboard,
        Page.REVIEW: pages.review,
        Page.PACK: pages.pack_page,
        Page.ANSWERS: pages.answers,
        Page.FEEDBACK: pages.feedback,
        Page.FLAGS: pages.flags,
        Page.ACTIONS: pages.actions_page,
        Page.AUDIT: pages.audit,
    }
    for page, view in views.items():
        app.router.add_get(paths[page], pages.page(view))
    app.router.add_get(paths[Page.REGISTER], pages.page(pages.register))
    app.router.add_get(paths[Page.REGISTER] + "/{id}", pages.page(pages.register))
    app.router.add_get(paths[Page.PACK] + ".pdf", pages.page(pages.pack_pdf))
    # The download first: "{id}" alone would match "7.json" too.
    app.router.add_get(paths[Page.MY_DATA] + ".json", pages.page(pages.my_data_json))
    app.router.add_get(paths[Page.MY_DATA], pages.page(pages.my_data))
    app.router.add_post(AUTH_PATH, pages.mini_app_auth)
    app.router.add_post(SIGN_OUT_PATH, pages.sign_out)
    app.router.add_get(web_links.SIGN_IN_PATH, pages.sign_in_get)
    app.router.add_post(web_links.SIGN_IN_PATH, pages.sign_in_post)
    app.router.add_get("/static/{name}", pages.static)
