"""Web companion pages read while `make demo` plays (its checkpoints): over HTTP, signed
in with Telegram's initData as a Mini App would be, as the coordinator who got the link."""

from __future__ import annotations

import httpx

from cetr_bot.demo import COORDINATOR, Checkpoint, DemoContext
from cetr_bot.web_links import Page, path
from tests.web_pages.conftest import init_data

pages: dict[str, str] = {}


async def coordinator_page(ctx: DemoContext, where: str) -> str:
    base = ctx.svc.settings.web_base_url
    assert base, "the demo runs its web companion"
    data = init_data(ctx.sandbox.token, COORDINATOR, int(ctx.svc.now().timestamp()))
    async with httpx.AsyncClient(base_url=base, trust_env=False) as http:
        signed = await http.post(
            "/app/auth/telegram", json={"init_data": data}, headers={"Origin": base}
        )
        assert signed.status_code == 200
        cookie = signed.cookies["__Host-cetr_session"]
        page = await http.get(where, headers={"Cookie": f"__Host-cetr_session={cookie}"})
        assert page.status_code == 200, page.text
        return page.text


async def _blocked(ctx: DemoContext) -> None:
    pages["blocked"] = await coordinator_page(ctx, path(Page.REVIEW, ctx.review_id))


CHECKPOINTS: dict[str, Checkpoint] = {"blocked": _blocked}
