"""Ids typed or carried by buttons: ASCII digits only, bounded; anything else gets the
usual "add the number" or "old button" answer, never a crash."""

from __future__ import annotations

import pytest

from cetr_bot.parsing import parse_id
from tests.conftest import COORDINATOR_ID
from tests.helpers import add_review
from tests.hostile.helpers import snapshot

INTERNAL = "something went wrong"
ODD_NUMBERS = ["²", "١", "1²", "0x1", "1" * 10, "-1", "1.0"]


@pytest.mark.parametrize("text", ODD_NUMBERS)
def test_parse_id_takes_ascii_digits_only(text):
    assert parse_id(text) is None


def test_parse_id_reads_ordinary_ids():
    assert parse_id("12") == 12 and parse_id(" #7 ") == 7 and parse_id("A3", prefixes="Aa") == 3
    assert parse_id("123456789") == 123456789 and parse_id("") is None and parse_id(None) is None


COMMANDS = [
    ("/pack {n}", "/pack 3"),
    ("/review {n}", "Which review"),
    ("/invite {n}", "Which review"),
    ("/reschedule {n}", "Which review"),
    ("/cancelreview {n}", "Which review"),
    ("/writefeedback {n}", "/writefeedback 3"),
    ("/held {n}", "/review 3"),
    ("/addaction {n}", "/review 3"),
    ("/actions {n}", "/review 3"),
    ("/reportsent {n}", "/review 3"),
    ("/bestinterests {n} they asked us to", "bestinterests"),
]


@pytest.mark.parametrize(("command", "expected"), COMMANDS)
@pytest.mark.parametrize("number", ["²", "١٢"])
async def test_odd_digits_in_commands_get_the_usage_answer(
    bot, client, svc, command, expected, number
):
    await add_review(svc)
    before = await snapshot(svc)
    replies = await client.user(COORDINATOR_ID).ask(command.format(n=number))
    text = " ".join(m.plain for m in replies)
    assert INTERNAL not in text
    assert expected.lower() in text.lower()
    assert await snapshot(svc) == before


BUTTONS = [
    "rv:²",
    "inv:²:family",
    "rs:١",
    "cx:²:yes",
    "pr:go:²",
    "pr:ans:²:0",
    "at:²:in",
    "fb:²:q:v",
    "yf:²:send",
    "ao:²:d:1",
    "ao:1:d:²",
    "am:²:cancel",
    "ah:p:²",
]


@pytest.mark.parametrize("data", BUTTONS)
async def test_odd_digits_in_buttons_are_old_buttons(bot, client, svc, data):
    await add_review(svc)
    coordinator = client.user(COORDINATOR_ID)
    [menu] = await coordinator.ask("/help")
    before = await snapshot(svc)
    await coordinator.press_data(menu.message_id, data)
    [reply] = await coordinator.wait_for(1)
    assert "older message" in reply.plain
    assert await snapshot(svc) == before


async def test_an_odd_owner_id_on_a_real_action_changes_nothing(bot, client, svc):
    await add_review(svc)
    coordinator = client.user(COORDINATOR_ID)
    [menu] = await coordinator.ask("/help")
    before = await snapshot(svc)
    await coordinator.press_data(menu.message_id, "am:1:to:²")
    [reply] = await coordinator.wait_for(1)
    assert "find action A1" in reply.plain  # no such action: said kindly, nothing changed
    assert await snapshot(svc) == before
