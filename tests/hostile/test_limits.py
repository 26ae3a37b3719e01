"""One limit per kind of text, on the command line as after a prompt: over-long text is
refused kindly with the limit said, and nothing is stored."""

from __future__ import annotations

import pytest

from cetr_bot.domain import Role
from cetr_bot.services.consent import MAX_REASON
from cetr_bot.services.safeguarding import MAX_CONCERN
from cetr_bot.storage.models_preparation import PrepFlag
from tests.conftest import COORDINATOR_ID
from tests.hostile.helpers import count, snapshot
from tests.preparation.helpers import join_as


@pytest.mark.parametrize("how", ["one line", "after the prompt"])
async def test_an_over_long_concern_is_refused_either_way(bot, client, svc, how):
    parent = await join_as(svc, client, Role.FAMILY, 2001)
    words = "word " * (MAX_CONCERN // 5 + 200)  # about 4000 characters on one line
    if how == "after the prompt":
        await parent.user.ask("/concern")
    before = await snapshot(svc)
    replies = await parent.user.ask(words if how == "after the prompt" else f"/concern {words}")
    replies += await parent.user.settle()
    assert any(f"over {MAX_CONCERN} characters" in m.plain for m in replies)
    assert await count(svc, PrepFlag) == 0
    assert await snapshot(svc) == before
    assert not await client.user(COORDINATOR_ID).messages()  # nobody alerted


async def test_a_concern_at_the_limit_is_recorded(bot, client, svc):
    parent = await join_as(svc, client, Role.FAMILY, 2001)
    replies = await parent.user.ask("/concern " + "x" * MAX_CONCERN)
    replies += await parent.user.settle()
    assert await count(svc, PrepFlag) == 1


async def test_an_over_long_best_interests_reason_is_refused(bot, client, svc):
    joined = await join_as(svc, client, Role.FAMILY, 2001)
    before = await snapshot(svc)
    reason = "because " * (MAX_REASON // 8 + 10)
    [reply] = await client.user(COORDINATOR_ID).ask(f"/bestinterests {joined.review_id} {reason}")
    assert f"over {MAX_REASON} characters" in reply.plain
    assert await snapshot(svc) == before
