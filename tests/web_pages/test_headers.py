"""The pages' headers and their guard on POSTs, over plain HTTP (no browser)."""

from __future__ import annotations

import httpx

from cetr_bot.sandbox import Sandbox
from cetr_bot.services import web_access
from cetr_bot.services.context import Actor, Services
from cetr_bot.web_links import Page, path
from tests.conftest import COORDINATOR_ID, FakeClock
from tests.helpers import add_review
from tests.web_pages.conftest import Site, init_data


async def test_pages_carry_a_strict_policy_and_refuse_cross_site_posts(
    site: Site, svc: Services, sandbox: Sandbox, clock: FakeClock
) -> None:
    review_id = await add_review(svc)
    data = init_data(sandbox.token, COORDINATOR_ID, int(clock().timestamp()))
    async with httpx.AsyncClient(base_url=site.url, trust_env=False) as http:
        page = await http.get(path(Page.DASHBOARD))
        assert page.status_code == 401 and "YP-0042" not in page.text
        policy = page.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy
        assert "frame-ancestors https://web.telegram.org" in policy
        assert "'unsafe-inline'" not in policy
        assert page.headers["Cache-Control"] == "no-store"
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert "<script>" not in page.text and 'src="/static/app.js"' in page.text
        # Another site's page cannot sign anyone in or out.
        evil = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
        refused = await http.post("/app/auth/telegram", json={"init_data": data}, headers=evil)
        assert refused.status_code == 403 and "set-cookie" not in refused.headers
        none = await http.post("/app/auth/telegram", json={"init_data": data})
        assert none.status_code == 403
        ok = await http.post(
            "/app/auth/telegram", json={"init_data": data}, headers={"Origin": site.url}
        )
        assert ok.status_code == 200
        cookie = ok.headers["set-cookie"]
        # A Mini App's session: partitioned (CHIPS), so it works framed in Telegram Web.
        assert "HttpOnly" in cookie and "Secure" in cookie and "Path=/" in cookie
        assert "SameSite=None" in cookie and "Partitioned" in cookie
        token = ok.cookies["__Host-cetr_session"]
        jar = {"Cookie": f"__Host-cetr_session={token}"}
        # A request another site started does not get the session, cookie or not.
        framed = await http.get(
            path(Page.DASHBOARD), headers={**jar, "Sec-Fetch-Site": "cross-site"}
        )
        assert framed.status_code == 401 and "YP-0042" not in framed.text
        pack = await http.get(path(Page.PACK, review_id), headers=jar)
        assert pack.status_code == 200
        # The pack's own inline style is allowed by its hash, nothing else inline.
        assert "'sha256-" in pack.headers["Content-Security-Policy"]
        pdf = await http.get(path(Page.PACK, review_id) + ".pdf", headers=jar, timeout=60)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert "attachment" in pdf.headers["Content-Disposition"]
        assert (await http.get(path(Page.PACK, review_id) + ".pdf")).status_code == 401
        out = await http.post("/app/signout", headers={**jar, **evil})
        assert out.status_code == 403
        assert await web_access.actor_for(svc, token) == Actor(COORDINATOR_ID)
        static = await http.get("/static/../pages.py")
        assert static.status_code == 404
