"""/mydata with a web companion, in Chromium: the approved copy is not sent into the chat
(no document); the person gets one discreet, protected message with a button to their
page, which shows their data readably and offers the JSON download. Only they can open
it, each view and download is audited, and after a month it is gone (ask again)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from cetr_bot.domain import ReminderKind, Role
from cetr_bot.sandbox import Sandbox, SandboxClient
from cetr_bot.services.context import Services
from cetr_bot.storage.models import AuditEvent
from cetr_bot.storage.models_requests import DataRequest
from cetr_bot.web_links import Page, path
from tests.conftest import COORDINATOR_ID, FakeClock
from tests.helpers import add_review, invite, join, token_in
from tests.reminders.helpers import rows, tick
from tests.web_pages.conftest import Browser, Site, init_data
from tests.web_pages.test_pages import AXE, PHONE, _status, fragment, now_s, origins

YOUNG, CLINICIAN = 5401, 5402
NAME = "Kit<i>Quill"  # markup in a name: the page must escape it


def _open(chromium: Any, url: str, data: str, *, axe: bool = False) -> dict[str, Any]:
    """Sign in as a Mini App does, read the page, fetch the JSON download with the same
    cookies, and (axe) check accessibility."""
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    seen: dict[str, Any] = {}
    try:
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.goto(url + "#" + fragment(data))
        seen["auth"] = posted.value.status
        page.wait_for_url(lambda u: "#" not in u)
        page.wait_for_load_state("load")
        seen["status"] = _status(page)
        seen["h1"] = page.locator("h1").first.inner_text() if page.locator("h1").count() else ""
        seen["text"] = page.inner_text("body")
        seen["html"] = page.content()
        seen["width"] = page.evaluate("document.documentElement.scrollWidth")
        link = page.locator("a[download]")
        seen["download_href"] = link.first.get_attribute("href") if link.count() else None
        if seen["download_href"]:
            base = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
            answer = page.request.get(base + seen["download_href"])
            seen["json_status"] = answer.status
            seen["json_headers"] = answer.headers
            seen["json"] = answer.json() if answer.status == 200 else None
        if axe:
            page.evaluate(AXE.read_text() + "\n;0")
            result = page.evaluate("async () => await axe.run(document)")
            seen["violations"] = [
                (v["id"], v["impact"])
                for v in result["violations"]
                if v["impact"] in ("serious", "critical")
            ]
        seen["requests"] = list(requests)
    finally:
        context.close()
    return seen


async def _kinds(svc: Services) -> list[tuple[str, dict]]:
    async with svc.db.transaction() as session:
        return [
            (e.kind, dict(e.detail or {}))
            for e in await session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


async def test_an_approved_copy_is_a_page_only_they_can_open(
    browser: Browser,
    site: Site,
    sandbox: Sandbox,
    client: SandboxClient,
    svc: Services,
    clock: FakeClock,
    bot: Any,
) -> None:
    review_id = await add_review(svc, ref="YP-WEB1")
    coordinator = client.user(COORDINATOR_ID)
    await coordinator.ask("/reviews")
    young = client.user(YOUNG, NAME)
    await join(young, token_in((await invite(svc, review_id, Role.YOUNG_PERSON)).link))
    clinician = client.user(CLINICIAN, "Lee")
    await join(clinician, token_in((await invite(svc, review_id, Role.CLINICIAN)).link))
    await tick(svc, bot)  # the join notices out of the way
    await young.ask("/mydata")
    await tick(svc, bot)
    [notice] = [m for m in await coordinator.messages() if "asked for a copy" in m.plain]
    [done] = await coordinator.tap("✅ Send the copy", message=notice)
    assert "approved" in done.plain
    before = len(await young.messages())
    await tick(svc, bot)

    # One discreet, protected message with a button; no document in the chat.
    [told] = (await young.messages())[before:]
    assert told.document is None and told.protect_content
    assert "Your copy is ready" in told.plain  # easy-read, for the young person
    assert "See my information" in told.plain
    assert "Kit" not in told.plain and "YP-WEB1" not in told.plain
    async with svc.db.transaction() as session:
        [req] = list(await session.scalars(select(DataRequest)))
    url = told.links["👀 See my information"]
    assert url == site.url + path(Page.MY_DATA, req.id)
    assert req.done_at is not None  # offered: the request is answered
    statuses = {
        r.payload["format"]: r.status for r in await rows(svc, kind=ReminderKind.DATA_EXPORT)
    }
    assert statuses == {"html": "sent", "json": "skipped"}

    mine = await browser.run(
        lambda b: _open(b, url, init_data(sandbox.token, YOUNG, now_s(clock)), axe=True)
    )
    assert mine["auth"] == 200 and mine["status"] == 200
    assert mine["h1"] == "Everything we keep about you"
    assert "Kit<i>Quill" in mine["text"] and "<i>Quill" not in mine["html"]  # escaped
    assert "Lee" not in mine["text"]  # nobody else's data
    assert mine["violations"] == [] and mine["width"] <= PHONE["width"]
    assert origins(mine["requests"]) == {site.url}
    assert mine["json_status"] == 200
    assert "attachment" in mine["json_headers"]["content-disposition"]
    assert mine["json"]["tables"]["people"][0]["telegram_user_id"] == YOUNG
    assert "Lee" not in json.dumps(mine["json"])

    # Someone else signed in (another participant of the same review): not theirs.
    other = await browser.run(
        lambda b: _open(b, url, init_data(sandbox.token, CLINICIAN, now_s(clock)))
    )
    assert other["status"] == 403 and "Kit" not in other["text"]
    assert other["download_href"] is None

    events = await _kinds(svc)
    web_exports = [d for k, d in events if k == "data_exported" and d.get("via") == "web"]
    assert sorted(d["format"] for d in web_exports) == ["html", "json"]
    assert [k for k, _ in events].count("data_copy_offered") == 1
    assert [k for k, _ in events].count("data_copy_refused") == 1
    assert "Kit" not in json.dumps([d for _, d in events])

    # A month on, the page is gone: they ask again for a fresh copy.
    clock.advance(days=31)
    late = await browser.run(lambda b: _open(b, url, init_data(sandbox.token, YOUNG, now_s(clock))))
    assert late["status"] == 410 and "This copy has run out" in late["text"]  # easy-read
    assert "/mydata" in late["text"] and "Kit" not in late["text"]
