"""Signing in, without a browser: initData's signature and age, sessions' idle and
absolute expiry, single-use links (also when two presses race), sign-out."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from cetr_bot.sandbox import Sandbox
from cetr_bot.services import web_access
from cetr_bot.services.context import Actor, Services
from cetr_bot.services.errors import NotAllowed
from cetr_bot.storage.models import AuditEvent
from cetr_bot.storage.models_web import WebSession
from tests.conftest import COORDINATOR_ID, FakeClock
from tests.web_pages.conftest import init_data

TOKEN = "123456:test-token"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def user_of(data: str, token: str = TOKEN, max_age: int = 3600) -> int:
    return web_access.init_data_user(data, token, now=NOW, max_age_seconds=max_age)


def test_init_data_signed_with_the_bot_token_names_the_user() -> None:
    assert user_of(init_data(TOKEN, 77, int(NOW.timestamp()) - 10)) == 77


@pytest.mark.parametrize(
    "data",
    [
        "",
        "hash=abc",
        init_data("999:other-bot", 77, int(NOW.timestamp())),
        init_data(TOKEN, 77, int(NOW.timestamp())).replace("77", "78"),
        init_data(TOKEN, 77, int(NOW.timestamp())) + "&auth_date=1",  # a repeated key
        init_data(TOKEN, 77, int(NOW.timestamp())).replace("hash=", "hash=0"),
    ],
)
def test_init_data_not_signed_for_this_bot_is_refused(data: str) -> None:
    with pytest.raises(NotAllowed):
        user_of(data)


@pytest.mark.parametrize("offset", [-3601, +120])
def test_init_data_too_old_or_from_the_future_is_refused(offset: int) -> None:
    with pytest.raises(NotAllowed, match="stale"):
        user_of(init_data(TOKEN, 77, int(NOW.timestamp()) + offset))


async def test_sessions_end_when_idle_and_at_their_cap(
    svc: Services, sandbox: Sandbox, clock: FakeClock
) -> None:
    data = init_data(sandbox.token, COORDINATOR_ID, int(clock().timestamp()))
    signed = await web_access.sign_in_mini_app(svc, data)
    assert await web_access.actor_for(svc, signed.token) == Actor(COORDINATOR_ID)
    clock.advance(minutes=29)
    assert await web_access.actor_for(svc, signed.token) == Actor(COORDINATOR_ID)
    clock.advance(minutes=29)  # 29 minutes since last seen: still in
    assert await web_access.actor_for(svc, signed.token) is not None
    clock.advance(minutes=31)
    assert await web_access.actor_for(svc, signed.token) is None
    # Kept busy, a session still ends SESSION_MAX_HOURS after sign-in.
    busy = await web_access.sign_in_mini_app(
        svc, init_data(sandbox.token, COORDINATOR_ID, int(clock().timestamp()))
    )
    for _ in range(12 * 3):
        clock.advance(minutes=20)
        seen = await web_access.actor_for(svc, busy.token)
    assert seen is None
    assert await web_access.actor_for(svc, "not-a-session") is None


async def test_a_link_signs_in_once_even_when_pressed_twice_at_once(svc: Services) -> None:
    token = await web_access.create_link(svc, Actor(COORDINATOR_ID))
    assert await web_access.link_state(svc, token) == web_access.VALID
    first, second = await asyncio.gather(
        web_access.redeem_link(svc, token), web_access.redeem_link(svc, token)
    )
    won = [o for o in (first, second) if isinstance(o, web_access.Signed)]
    assert len(won) == 1 and web_access.USED in (first, second)
    assert await web_access.link_state(svc, token) == web_access.USED
    assert await web_access.sign_out(svc, won[0].token)
    assert await web_access.actor_for(svc, won[0].token) is None
    async with svc.db.transaction() as session:
        kinds = list(await session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)))
        rows = list(await session.scalars(select(WebSession)))
    assert kinds.count("web_sign_in") == 1 and "web_sign_out" in kinds
    assert rows[0].session_hash == web_access.digest(won[0].token) != won[0].token


async def test_strangers_get_no_link_and_no_session(svc: Services, sandbox: Sandbox) -> None:
    with pytest.raises(NotAllowed, match="web_unknown_user"):
        await web_access.create_link(svc, Actor(4444))
    data = init_data(sandbox.token, 4444, int(svc.now().timestamp()))
    with pytest.raises(NotAllowed, match="web_unknown_user"):
        await web_access.sign_in_mini_app(svc, data)
