"""The Mini App inside Telegram Web: there the page is an iframe on web.telegram.org, a
cross-site frame, where a SameSite=Strict cookie is neither stored nor sent. A parent
page served from a second origin (http://localhost vs http://127.0.0.1: different sites)
stands in for Telegram's web client; the page must sign in from initData, show its
content, and keep working when the user follows links inside the frame. A desktop
sign-in link's session stays SameSite=Strict (test_pages.py checks its cookie).

Debian's Chromium already refuses an unpartitioned third-party cookie (SameSite=None
without Partitioned) in such a frame, as browsers phasing out third-party cookies do,
so this also shows the session does not depend on third-party cookies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from cetr_bot.domain import Role
from cetr_bot.sandbox import Sandbox
from cetr_bot.services.context import Services
from cetr_bot.web import pages
from cetr_bot.web_links import Page, path
from tests.conftest import COORDINATOR_ID, FakeClock
from tests.helpers import add_review, invite
from tests.web_pages.conftest import Browser, Site, free_port, init_data
from tests.web_pages.test_pages import PHONE, fragment

pytestmark = pytest.mark.usefixtures("bot")


@pytest.fixture
async def telegram_web(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    """A stand-in for web.telegram.org on another site; our pages allow it as a framer."""
    port = free_port()
    origin = f"http://localhost:{port}"
    monkeypatch.setattr(pages, "FRAMED_BY", f"{pages.FRAMED_BY} {origin}")

    async def parent(request: web.Request) -> web.Response:
        src = request.query["src"]
        body = (
            '<!DOCTYPE html><html lang="en"><head><title>Telegram</title></head><body>'
            f'<iframe title="mini app" src="{src}" width="390" height="800"></iframe>'
            "</body></html>"
        )
        return web.Response(text=body, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", parent)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "localhost", port).start()
    yield origin
    await runner.cleanup()


def _in_frame(chromium: Any, parent: str, src: str) -> dict[str, Any]:
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    seen: dict[str, Any] = {}
    try:
        page.goto(parent + "/?" + httpx.QueryParams({"src": src}).__str__())
        frame = page.frame_locator("iframe")
        try:
            frame.locator("h1", has_text="Your team's reviews").wait_for(timeout=15000)
        except Exception:
            seen["stuck"] = frame.locator("body").inner_text()
            return seen
        seen["dashboard"] = frame.locator("main").inner_text()
        # Inside the app: a review, then its tabs, each a real navigation in the frame.
        frame.locator("a", has_text="Review #").first.click()
        frame.locator("h1", has_text="Review #").wait_for(timeout=15000)
        seen["review"] = frame.locator("main").inner_text()
        frame.get_by_role("link", name="Actions").click()
        frame.locator("h1", has_text="Actions from review").wait_for(timeout=15000)
        seen["actions"] = frame.locator("main").inner_text()
        frame.get_by_role("link", name="Audit trail").click()
        frame.locator("h1", has_text="Audit trail").wait_for(timeout=15000)
        seen["audit"] = frame.locator("main").inner_text()
        seen["cookies"] = context.cookies()
        seen["top"] = page.url
        # Signing out works in the frame too, and ends the frame's session.
        frame.get_by_role("button", name="Sign out").click()
        frame.locator("h1", has_text="You are signed out").wait_for(timeout=15000)
        seen["after"] = context.cookies()
    finally:
        context.close()
    return seen


async def test_the_mini_app_works_inside_a_cross_site_frame(
    browser: Browser,
    site: Site,
    telegram_web: str,
    svc: Services,
    sandbox: Sandbox,
    clock: FakeClock,
) -> None:
    review_id = await add_review(svc, ref="YP-0042")
    await invite(svc, review_id, Role.FAMILY)
    data = init_data(sandbox.token, COORDINATOR_ID, int(clock().timestamp()))
    src = site.url + path(Page.DASHBOARD) + "#" + fragment(data)
    seen = await browser.run(lambda b: _in_frame(b, telegram_web, src))
    assert "stuck" not in seen, seen["stuck"]  # the page the frame stopped at
    assert "YP-0042" in seen["dashboard"]
    assert f"Review #{review_id}" in seen["review"]
    assert "Actions from review" in seen["actions"]
    assert "Audit trail" in seen["audit"]
    assert seen["top"].startswith(telegram_web)  # it all happened inside the frame
    (cookie,) = seen["cookies"]
    assert cookie["name"] == pages.COOKIE and cookie["sameSite"] == "None"
    assert cookie["secure"] and cookie["httpOnly"]
    assert cookie.get("partitionKey", "http://localhost") == "http://localhost"  # that site only
    assert seen["after"] == []
