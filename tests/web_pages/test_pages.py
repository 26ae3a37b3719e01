"""The web companion in Chromium: signing in (Mini App initData, a /web link), who may
open what, nothing fetched from another origin, phone width, print, and axe-core."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import func, select

from cetr_bot.domain import Rag, ReviewType, Role
from cetr_bot.sandbox import Sandbox, SandboxClient
from cetr_bot.services import consent, dsr, people, reviews, teams
from cetr_bot.services.context import Actor, Services
from cetr_bot.storage.models import AuditEvent
from cetr_bot.storage.models_web import SignInLink, WebSession
from cetr_bot.web_links import Page, path
from tests.conftest import COORDINATOR_ID, FakeClock
from tests.helpers import CLI, add_review, invite, join, token_in
from tests.preparation.helpers import join_as
from tests.web_pages.conftest import Browser, Site, init_data

pytestmark = pytest.mark.usefixtures("bot")

CHAIR, FAMILY, STRANGER, NORTH, YOUNG = 2004, 2001, 4444, 3001, 2005
PHONE = {"width": 390, "height": 844}
AXE = Path(__import__("axe_playwright_python").__file__).with_name("axe.min.js")
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
# UPDATE_SCREENSHOTS=1 rewrites the README's screenshots; otherwise a test run leaves the
# tracked files alone (a shot is still taken, into a temporary file, so that path is tested).
UPDATE_SCREENSHOTS = os.environ.get("UPDATE_SCREENSHOTS") == "1"


def screenshot_path(name: str) -> Path:
    if UPDATE_SCREENSHOTS:
        return DOCS_IMG / name
    return Path(tempfile.mkdtemp(prefix="cetr-shot-")) / name


@dataclass
class World:
    review_id: int
    other_review_id: int


@pytest.fixture
async def world(svc: Services, client: SandboxClient) -> World:
    review_id = await add_review(svc, ref="YP-0042")
    await invite(svc, review_id, Role.YOUNG_PERSON)
    await join_as(svc, client, Role.PANEL_CHAIR, CHAIR, review_id=review_id, first_name="Priya")
    await join_as(svc, client, Role.FAMILY, FAMILY, review_id=review_id, first_name="Jo")
    await consent.record_best_interests(
        svc, CLI, review_id=review_id, reason="Agreed at the planning meeting"
    )
    await dsr.add_entry(
        svc, CLI, ref="YP-0099", date_of_birth=date(2011, 5, 1), rag=Rag.RED, reason="Crisis"
    )
    await teams.add_team(svc, CLI, "North")
    await teams.add_coordinator(svc, CLI, telegram_user_id=NORTH, team="North")
    other = await reviews.create_review(
        svc,
        CLI,
        ref="YP-0077",
        review_type=ReviewType.INPATIENT,
        at=svc.now() + timedelta(days=30),
        team="North",
    )
    return World(review_id, other.review_id)


@dataclass
class Visit:
    status: int
    text: str
    h1: str
    requests: list[str] = field(default_factory=list)
    responses: list[tuple[str, int]] = field(default_factory=list)
    scroll_width: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def fragment(data: str) -> str:
    return "tgWebAppData=" + quote(data, safe="") + "&tgWebAppVersion=8.0&tgWebAppPlatform=ios"


def _mini_app(
    chromium: Any, url: str, data: str, *, then: list[str] = (), shot: Path | None = None
) -> list[Visit]:
    """Open `url` as Telegram opens a Mini App, then each path in `then` in the same tab."""
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    requests: list[str] = []
    responses: list[tuple[str, int]] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("response", lambda r: responses.append((urlsplit(r.url).path, r.status)))
    visits = []
    try:
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.goto(url + "#" + fragment(data))
        auth = posted.value.status
        if auth == 200:  # app.js reloads the page, signed in
            page.wait_for_url(lambda u: "#" not in u)
            page.wait_for_load_state("load")
        else:
            page.wait_for_selector("#signin-failed", state="visible")
        visits.append(_read(page, _status(page), requests, responses))
        visits[-1].extra["auth"] = auth
        if shot is not None:
            page.screenshot(path=str(shot), full_page=True)
        base = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
        for later in then:
            answer = page.goto(base + later)
            visits.append(_read(page, answer.status if answer else 0, requests, responses))
    finally:
        context.close()
    return visits


def _status(page: Any) -> int:
    """The HTTP status of the document now shown (after app.js reloaded it)."""
    return int(page.evaluate("performance.getEntriesByType('navigation')[0].responseStatus"))


def _read(page: Any, status: int, requests: list[str], responses: list) -> Visit:
    h1 = page.locator("h1").first.inner_text() if page.locator("h1").count() else ""
    return Visit(
        status,
        page.inner_text("body"),
        h1,
        list(requests),
        list(responses),
        int(page.evaluate("document.documentElement.scrollWidth")),
    )


def now_s(clock: FakeClock) -> int:
    return int(clock().timestamp())


def origins(requests: list[str]) -> set[str]:
    return {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in requests}


# --- the Mini App ------------------------------------------------------------------------------


async def test_mini_app_with_valid_init_data_shows_the_dashboard(
    browser: Browser, site: Site, world: World, sandbox: Sandbox, clock: FakeClock, svc: Services
) -> None:
    data = init_data(sandbox.token, COORDINATOR_ID, now_s(clock) - 30)
    url = site.url + path(Page.DASHBOARD)
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    shot = screenshot_path("dashboard.png")
    then = [path(Page.REVIEW, world.review_id), path(Page.ACTIONS, world.review_id)]
    then += [path(Page.AUDIT, world.review_id), path(Page.FLAGS, world.review_id)]
    dash, review, actions, audit, flags = await browser.run(
        lambda b: _mini_app(b, url, data, then=then, shot=shot)
    )
    assert dash.status == 200
    assert dash.h1 == "Your team's reviews"
    assert "YP-0042" in dash.text and "Preparation" in dash.text
    assert review.status == 200 and "Review #" in review.h1 and "Priya" in review.text
    assert actions.status == 200 and "Actions from review" in actions.h1
    assert audit.status == 200 and "consent" in audit.text.lower()
    assert flags.status == 200
    # Nothing from any other origin; the initData left the address bar.
    assert origins(audit.requests) == {site.url}
    assert dash.scroll_width <= PHONE["width"]
    async with svc.db.transaction() as session:
        sessions = list(await session.scalars(select(WebSession)))
        kinds = list(await session.scalars(select(AuditEvent.kind)))
    assert [s.telegram_user_id for s in sessions] == [COORDINATOR_ID]
    assert sessions[0].via == "mini_app" and len(sessions[0].session_hash) == 64
    assert "web_sign_in" in kinds and "audit_read" in kinds


@pytest.mark.parametrize("how", ["forged", "stale", "future", "other_bot", "user_swapped"])
async def test_bad_init_data_gets_403_and_nothing_shown(
    browser: Browser, site: Site, world: World, sandbox: Sandbox, clock: FakeClock, how: str
) -> None:
    now = now_s(clock)
    data = {
        "forged": init_data(sandbox.token, COORDINATOR_ID, now)[:-4] + "abcd",
        "stale": init_data(sandbox.token, COORDINATOR_ID, now - 3601),
        "future": init_data(sandbox.token, COORDINATOR_ID, now + 600),
        "other_bot": init_data("123456:another-bots-token", COORDINATOR_ID, now),
        "user_swapped": init_data(sandbox.token, STRANGER, now).replace(
            str(STRANGER), str(COORDINATOR_ID)
        ),
    }[how]
    url = site.url + path(Page.REVIEW, world.review_id)
    (visit,) = await browser.run(lambda b: _mini_app(b, url, data))
    assert visit.extra["auth"] == 403 and ("/app/auth/telegram", 403) in visit.responses
    assert visit.status == 401 and visit.h1 == "Please sign in"
    assert "could not check who you are" in visit.text
    assert "YP-0042" not in visit.text and "Priya" not in visit.text


async def test_a_stranger_signed_by_telegram_sees_nothing(
    browser: Browser, site: Site, world: World, sandbox: Sandbox, clock: FakeClock
) -> None:
    data = init_data(sandbox.token, STRANGER, now_s(clock))
    url = site.url + path(Page.PACK, world.review_id)
    (visit,) = await browser.run(lambda b: _mini_app(b, url, data))
    assert visit.extra["auth"] == 403 and visit.status == 401
    assert "YP-0042" not in visit.text and "panel pack" not in visit.text.lower()


# --- who may open what -------------------------------------------------------------------------


async def test_the_panel_reads_the_pack_and_the_family_cannot(
    browser: Browser, site: Site, world: World, sandbox: Sandbox, clock: FakeClock, svc: Services
) -> None:
    now = now_s(clock)
    url = site.url + path(Page.PACK, world.review_id)
    shot = screenshot_path("pack.png")
    (chair,) = await browser.run(
        lambda b: _mini_app(b, url, init_data(sandbox.token, CHAIR, now), shot=shot)
    )
    assert chair.status == 200, chair.text
    assert "panel pack" in chair.h1.lower()
    assert "Download PDF" in chair.text
    assert chair.scroll_width <= PHONE["width"]
    assert origins(chair.requests) == {site.url}
    rid = world.review_id
    then = [path(Page.ANSWERS, rid), path(Page.FEEDBACK, rid), path(Page.DASHBOARD)]
    family, answers, feedback, home = await browser.run(
        lambda b: _mini_app(b, url, init_data(sandbox.token, FAMILY, now), then=then)
    )
    assert answers.status == 200 and answers.h1 == f"Your answers for review #{rid}"
    assert feedback.status == 403  # the young person's, not the family's
    assert home.status == 200 and home.h1 == "Your reviews" and "panel pack" not in home.text
    assert family.status == 403
    assert family.h1 == "This page is not for you"
    assert "YP-0042" not in family.text
    async with svc.db.transaction() as session:
        read = await session.scalar(select(func.count()).where(AuditEvent.kind == "pack_read"))
        refused = await session.scalar(
            select(func.count()).where(AuditEvent.kind == "pack_refused")
        )
    assert (read, refused) == (1, 1)


async def test_the_young_persons_pages_are_easy_read_and_link_their_feedback(
    browser: Browser,
    site: Site,
    world: World,
    sandbox: Sandbox,
    client: SandboxClient,
    clock: FakeClock,
    svc: Services,
) -> None:
    """The young person signed in: their start page in easy words, with the link to
    what their review found; the pack is not theirs (the kind refusal, easy for all)."""
    rid = world.review_id
    link = (await invite(svc, rid, Role.YOUNG_PERSON)).link
    await join(client.user(YOUNG, "Kit"), token_in(link))
    url = site.url + path(Page.DASHBOARD)
    home, pack_page = await browser.run(
        lambda b: _mini_app(
            b, url, init_data(sandbox.token, YOUNG, now_s(clock)), then=[path(Page.PACK, rid)]
        )
    )
    assert home.status == 200 and home.h1 == "Your reviews"
    assert "You are here as: Young person" in home.text  # web/home.easy.html
    assert "What your review found" in home.text and "panel pack" not in home.text
    assert pack_page.status == 403 and pack_page.h1 == "This page is not for you"
    assert "This page is private" in pack_page.text


async def test_another_teams_coordinator_gets_the_same_403_as_for_no_review(
    browser: Browser, site: Site, world: World, sandbox: Sandbox, clock: FakeClock
) -> None:
    data = init_data(sandbox.token, NORTH, now_s(clock))
    url = site.url + path(Page.DASHBOARD)
    then = [
        path(Page.REVIEW, world.review_id),
        path(Page.REVIEW, 999),
        path(Page.PACK, world.review_id),
    ]
    dash, theirs, missing, pack = await browser.run(lambda b: _mini_app(b, url, data, then=then))
    assert dash.status == 200 and "YP-0077" in dash.text and "YP-0042" not in dash.text
    assert theirs.status == missing.status == pack.status == 403
    assert theirs.text == missing.text  # nothing says whether the review exists
    assert "YP-0042" not in theirs.text + pack.text


# --- the /web link --------------------------------------------------------------------------


def _link(chromium: Any, url: str, *, press: bool = True) -> list[Visit]:
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        first = page.goto(url)
        visits = [_read(page, first.status if first else 0, requests, [])]
        if press and page.get_by_role("button", name="Sign in").count():
            with page.expect_navigation():
                page.get_by_role("button", name="Sign in").click()
            page.wait_for_load_state("networkidle")
            visits.append(_read(page, _status(page), requests, []))
            cookies = context.cookies()
            visits[-1].extra["cookies"] = cookies
            # Sign out: the session ends and pages ask to sign in again.
            if page.get_by_role("button", name="Sign out").count():
                with page.expect_navigation():
                    page.get_by_role("button", name="Sign out").click()
                visits.append(_read(page, 200, requests, []))
                again = page.goto(url.split("/signin/")[0] + path(Page.DASHBOARD))
                visits.append(_read(page, again.status if again else 0, requests, []))
    finally:
        context.close()
    return visits


async def test_a_sign_in_link_works_once(
    browser: Browser, site: Site, world: World, client: SandboxClient, svc: Services
) -> None:
    coordinator = client.user(COORDINATOR_ID, first_name="Casey")
    await coordinator.send("/web")
    (message,) = await coordinator.wait_for(1)
    assert message.text and "works once" in message.text
    link = re.search(r"http://\S+/signin/[A-Za-z0-9_-]+", message.text)
    assert link, message.text
    url = link[0]
    confirm, signed_in, signed_out, after = await browser.run(lambda b: _link(b, url))
    assert confirm.status == 200 and confirm.h1 == "Sign in to the CETR companion"
    assert signed_in.status == 200 and signed_in.h1 == "Your team's reviews"
    assert "YP-0042" in signed_in.text
    (cookie,) = signed_in.extra["cookies"]
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
    assert signed_out.h1 == "You are signed out"
    assert after.status == 401 and "YP-0042" not in after.text
    # The second use of the same link is refused, kindly.
    (used,) = await browser.run(lambda b: _link(b, url))
    assert used.status == 410 and "used already" in used.text
    async with svc.db.transaction() as session:
        links = list(await session.scalars(select(SignInLink)))
    token = url.rsplit("/", 1)[1]
    assert len(links) == 1 and links[0].token_hash != token and links[0].used_at is not None


async def test_an_expired_link_is_refused(
    browser: Browser, site: Site, world: World, client: SandboxClient, clock: FakeClock
) -> None:
    coordinator = client.user(COORDINATOR_ID, first_name="Casey")
    await coordinator.send("/web")
    (message,) = await coordinator.wait_for(1)
    link = re.search(r"http://\S+/signin/[A-Za-z0-9_-]+", message.text or "")
    assert link
    clock.advance(minutes=11)
    (visit,) = await browser.run(lambda b: _link(b, link[0]))
    assert visit.status == 410 and "10 minutes" in visit.text


# --- print and accessibility --------------------------------------------------------------------


def _print_and_axe(chromium: Any, url: str, data: str, pages: list[str]) -> dict[str, Any]:
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    found: dict[str, Any] = {}
    try:
        with page.expect_response(lambda r: r.request.method == "POST"):
            page.goto(url + "#" + fragment(data))
        page.wait_for_load_state("networkidle")
        base = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
        source = AXE.read_text()
        for where in pages:
            page.goto(base + where)
            page.evaluate(source + "\n;0")  # evaluate is not page script: the CSP stays strict
            result = page.evaluate("async () => await axe.run(document)")
            found[where] = {
                "violations": [
                    (v["id"], v["impact"])
                    for v in result["violations"]
                    if v["impact"] in ("serious", "critical")
                ],
                "width": page.evaluate("document.documentElement.scrollWidth"),
                "status": _status(page),
                "text": page.inner_text("body"),
            }
            page.emulate_media(media="print")
            found[where]["bar"] = page.evaluate(
                "(() => { const b = document.querySelector('.bar, .cetr-bar');"
                " return b ? getComputedStyle(b).display : 'none'; })()"
            )
            found[where]["pdf"] = page.pdf(format="A4")
            page.emulate_media(media="screen")
    finally:
        context.close()
    return found


async def test_pages_print_fit_a_phone_and_pass_axe(
    browser: Browser, site: Site, world: World, sandbox: Sandbox, clock: FakeClock
) -> None:
    data = init_data(sandbox.token, COORDINATOR_ID, now_s(clock))
    rid = world.review_id
    pages = [
        path(Page.DASHBOARD),
        path(Page.REVIEW, rid),
        path(Page.PACK, rid),
        path(Page.ACTIONS, rid),
        path(Page.AUDIT, rid),
        path(Page.FLAGS, rid),
        path(Page.REGISTER),
        path(Page.REGISTER, 1),
    ]
    found = await browser.run(
        lambda b: _print_and_axe(b, site.url + path(Page.DASHBOARD), data, pages)
    )
    for where, seen in found.items():
        assert seen["status"] == 200, where
        assert seen["violations"] == [], where
        assert seen["width"] <= PHONE["width"], where
        assert seen["bar"] == "none", where  # the print stylesheet applies
        assert seen["pdf"].startswith(b"%PDF") and len(seen["pdf"]) > 1000, where
    assert "YP-0099" in found[path(Page.REGISTER)]["text"]
    assert "Crisis" in found[path(Page.REGISTER, 1)]["text"]


async def test_pages_are_in_the_signed_in_persons_language(
    browser: Browser, site: Site, world: World, sandbox: Sandbox, clock: FakeClock, svc: Services
) -> None:
    """The family member chose Polish (/language): their pages are Polish, dates too;
    the coordinator's stay English. The choice is the stored one, not the browser's."""
    await people.set_language(svc, Actor(FAMILY), language="pl")
    url = site.url + path(Page.DASHBOARD)
    [home] = await browser.run(
        lambda b: _mini_app(b, url, init_data(sandbox.token, FAMILY, now_s(clock) - 30))
    )
    assert home.status == 200 and home.h1 == "Twoje przeglądy"
    assert "pon., 14 gru 2026" in home.text  # Babel, in Polish
    [dash] = await browser.run(
        lambda b: _mini_app(b, url, init_data(sandbox.token, COORDINATOR_ID, now_s(clock) - 30))
    )
    assert dash.h1 == "Your team's reviews"
