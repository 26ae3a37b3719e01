"""Private chats only: in a group or channel the bot says one neutral line and leaves;
a button pressed on a message there is answered with nothing and changes nothing."""

from __future__ import annotations

import pytest

from cetr_bot.domain import Role
from cetr_bot.storage.models import Participant
from tests.conftest import COORDINATOR_ID
from tests.helpers import add_review, invite
from tests.hostile.helpers import count, eventually, snapshot

GROUP, CHANNEL = -1001234, -1005678
LINE = "I only work in a private chat"


@pytest.mark.parametrize(
    ("chat_id", "chat_type", "text"),
    [
        (GROUP, "group", "/review 1"),
        (GROUP, "supergroup", "hello everyone"),
        (CHANNEL, "channel", "/start"),
    ],
)
async def test_in_a_group_or_channel_the_bot_says_one_line_and_leaves(
    bot, client, svc, chat_id, chat_type, text
):
    await add_review(svc)
    before = await snapshot(svc)
    member = client.user(COORDINATOR_ID).in_group(chat_id, chat_type)
    [said] = await member.ask(text)
    assert LINE in said.plain
    assert "#1" not in said.plain and not said.buttons
    assert await client.left_chats() == [chat_id]
    assert await member.settle() == []  # one line only
    assert await client.user(COORDINATOR_ID).messages() == []  # nothing privately either
    assert await snapshot(svc) == before


async def test_an_invitation_link_opened_in_a_group_is_not_used(bot, client, svc):
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.FAMILY)
    before = await snapshot(svc)
    [said] = await client.user(2001).in_group(GROUP).ask(f"/start {created.token}")
    assert LINE in said.plain
    assert await snapshot(svc) == before
    assert await count(svc, Participant, Participant.person_id.is_not(None)) == 0


async def test_media_in_a_group_gets_the_same_line(bot, client, svc):
    member = client.user(2001).in_group(GROUP)
    await member.send_media("photo")
    [said] = await member.wait_for(1)
    assert LINE in said.plain
    assert await client.left_chats() == [GROUP]


async def test_a_button_pressed_in_a_group_changes_nothing(bot, client, svc):
    review_id = await add_review(svc)
    member = client.user(COORDINATOR_ID).in_group(GROUP)
    [said] = await member.ask("hi")
    before = await snapshot(svc)
    for data in (f"rv:{review_id}", f"cx:{review_id}:yes", f"inv:{review_id}:family"):
        await member.press_data(said.message_id, data)
    private = client.user(COORDINATOR_ID)

    async def all_answered() -> bool:
        return len(await private.answers()) == 3

    await eventually(all_answered)
    assert all(not a.get("text") for a in await private.answers())  # neutral: no words
    assert await member.settle() == []
    assert await client.user(COORDINATOR_ID).messages() == []  # no review detail anywhere
    assert await snapshot(svc) == before
