"""Every page that shows personal data leaves an audit event saying it was the web
companion (via=web): the dashboard (and each review's summary on it), a review, its
actions, the register and one register entry, as well as the pack, flags, answers,
feedback and audit pages. Read back with `cetr-bot audit`, as an operator would."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import httpx

from cetr_bot.domain import Rag, Role
from cetr_bot.sandbox import Sandbox, SandboxClient
from cetr_bot.services import dsr
from cetr_bot.services.context import Services
from cetr_bot.web_links import Page, path
from tests.conftest import COORDINATOR_ID, FakeClock
from tests.helpers import CLI, add_review, invite
from tests.preparation.helpers import join_as
from tests.web_pages.conftest import Site, init_data

FAMILY = 2001
CETR_BOT = Path(sys.executable).with_name("cetr-bot")


async def _signed_in(http: httpx.AsyncClient, data: str) -> dict[str, str]:
    ok = await http.post("/app/auth/telegram", json={"init_data": data}, headers=_origin(http))
    assert ok.status_code == 200
    return {"Cookie": f"__Host-cetr_session={ok.cookies['__Host-cetr_session']}"}


def _origin(http: httpx.AsyncClient) -> dict[str, str]:
    return {"Origin": str(http.base_url).rstrip("/")}


def _audit_json(database_url: str) -> list[dict]:
    env = {**os.environ, "DATABASE_URL": database_url, "COORDINATOR_IDS": str(COORDINATOR_ID)}
    env.pop("BOT_TOKEN", None)
    done = subprocess.run(
        [str(CETR_BOT), "audit", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return list(json.loads(done.stdout))


async def test_each_page_view_is_audited_and_shown_by_cetr_bot_audit(
    bot: object,
    site: Site,
    svc: Services,
    client: SandboxClient,
    sandbox: Sandbox,
    clock: FakeClock,
    database_url: str,
) -> None:
    review_id = await add_review(svc, ref="YP-0042")
    await invite(svc, review_id, Role.YOUNG_PERSON)
    await join_as(svc, client, Role.FAMILY, FAMILY, review_id=review_id, first_name="Jo")
    entry = await dsr.add_entry(
        svc, CLI, ref="YP-0099", date_of_birth=date(2011, 5, 1), rag=Rag.RED, reason="Crisis"
    )
    now = int(clock().timestamp())
    pages = {
        path(Page.DASHBOARD): ("dashboard_read", None),
        path(Page.REVIEW, review_id): ("review_viewed", review_id),
        path(Page.ACTIONS, review_id): ("actions_listed", review_id),
        path(Page.REGISTER): ("dsr_listed", None),
        path(Page.REGISTER, entry.id): ("dsr_viewed", None),
    }
    async with httpx.AsyncClient(base_url=site.url, trust_env=False) as http:
        jar = await _signed_in(http, init_data(sandbox.token, COORDINATOR_ID, now))
        for where in pages:
            assert (await http.get(where, headers=jar)).status_code == 200, where
        family = await _signed_in(http, init_data(sandbox.token, FAMILY, now))
        home = await http.get(path(Page.DASHBOARD), headers=family)
        assert home.status_code == 200 and "Your reviews" in home.text

    rows = await asyncio.to_thread(_audit_json, database_url)
    web = [r for r in rows if r["detail"].get("via") == "web"]
    for where, (kind, about) in pages.items():
        found = [r for r in web if r["kind"] == kind and r["actor_telegram_id"] == COORDINATOR_ID]
        assert len(found) == 1, (where, kind, [r["kind"] for r in web])
        assert found[0]["actor_role"] == "coordinator" and found[0]["review_id"] == about
    (dashboard,) = [
        r for r in web if r["kind"] == "dashboard_read" and r["actor_role"] == "coordinator"
    ]
    assert dashboard["detail"]["reviews"] == [review_id]
    # The dashboard shows each review's summary and actions: each audited as shown there.
    shown = {(r["kind"], r["review_id"]) for r in rows if r["detail"].get("via") == "dashboard"}
    assert shown == {("review_viewed", review_id), ("actions_listed", review_id)}
    # A participant's own page (their reviews) too, by them.
    (theirs,) = [r for r in web if r["kind"] == "dashboard_read" and r["actor_role"] == "user"]
    assert theirs["actor_telegram_id"] == FAMILY and theirs["detail"]["reviews"] == [review_id]
    assert entry.id == [r for r in web if r["kind"] == "dsr_viewed"][0]["detail"]["entry_id"]
    # Ids only: nothing the pages showed is in the trail.
    assert "YP-0042" not in json.dumps(rows) and "Crisis" not in json.dumps(rows)
