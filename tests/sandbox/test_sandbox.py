"""Tests for the local Telegram Bot API sandbox.

The bot side is driven by a real python-telegram-bot ``Bot``/``Application`` pointed at
the sandbox, the user side by ``SandboxClient``, so these tests also prove that what
the sandbox returns is accepted by python-telegram-bot.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from cetr_bot.sandbox import (
    Sandbox,
    SandboxClient,
    SandboxUser,
    SentMessage,
    serve_forever,
    start_sandbox,
)
from cetr_bot.sandbox.client import SandboxRequestError

USER_ID = 4242


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in buttons]]
    )


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # python-telegram-bot's httpx client honours proxy variables; the sandbox is local.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sb = await start_sandbox(port=0)
    yield sb
    await sb.stop()


@pytest.fixture
async def bot(sandbox: Sandbox) -> AsyncIterator[telegram.Bot]:
    tg_bot = telegram.Bot(
        sandbox.token, base_url=sandbox.base_url, base_file_url=sandbox.base_file_url
    )
    async with tg_bot:
        yield tg_bot


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sandbox.url) as sandbox_client:
        yield sandbox_client


@pytest.fixture
async def user(client: SandboxClient) -> SandboxUser:
    """A user who has already written to the bot, so their chat exists."""
    alice = client.user(USER_ID, first_name="Alice", username="alice")
    await alice.send("hello")
    return alice


async def drain(bot: telegram.Bot) -> tuple[Update, ...]:
    """Fetch and confirm all pending updates."""
    updates = await bot.get_updates(timeout=0)
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    return updates


async def _noop(update: Update, context: Any) -> None:
    return None


def seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


# ----- identity and transport ----------------------------------------------------------------


async def test_get_me_through_python_telegram_bot(bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot is True
    assert me.id == 123456
    assert me.username == "cetr_sandbox_bot"
    assert me.can_join_groups is True


async def test_malformed_token_is_unauthorized(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(trust_env=False) as http:
        response = await http.get(f"{sandbox.url}/botnot-a-token/getMe")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    with pytest.raises(InvalidToken):
        async with telegram.Bot("nope", base_url=sandbox.base_url):  # initialize calls getMe
            pass


async def test_unknown_method_and_json_body(sandbox: Sandbox, user: SandboxUser) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url, trust_env=False) as http:
        missing = await http.post(f"/bot{sandbox.token}/sendPigeon", json={})
        sent = await http.post(
            f"/bot{sandbox.token}/sendMessage",
            json={
                "chat_id": USER_ID,
                "text": "json body",
                "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
            },
        )
        me = await http.get(f"/bot{sandbox.token}/getme")  # method names are case-insensitive
    assert missing.status_code == 404
    assert missing.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    body = sent.json()
    assert body["ok"] is True
    assert body["result"]["text"] == "json body"
    assert body["result"]["chat"] == {
        "id": USER_ID,
        "type": "private",
        "first_name": "Alice",
        "username": "alice",
    }
    assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    assert me.json()["result"]["username"] == "cetr_sandbox_bot"


# ----- updates -------------------------------------------------------------------------------


async def test_user_message_delivered_and_offset_confirms(
    bot: telegram.Bot, client: SandboxClient
) -> None:
    bob = client.user(77, first_name="Bob")
    first = await bob.send("one")
    await bob.send("two")
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == ["one", "two"]
    assert updates[0].update_id == first["update_id"]
    message = updates[0].message
    assert message is not None and message.from_user is not None
    assert message.chat.id == 77 and message.chat.type == "private"
    assert message.from_user.first_name == "Bob"
    # Confirming via offset forgets earlier updates, exactly like Telegram.
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
    await bob.send("three")
    again = await bot.get_updates(timeout=0)
    assert [u.message.text for u in again if u.message] == ["three"]


async def test_long_poll_returns_as_soon_as_a_message_arrives(
    bot: telegram.Bot, sandbox: Sandbox, client: SandboxClient
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    assert await sandbox.wait_for_poller(5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await client.user(5).send("wake up")
    updates = await asyncio.wait_for(poll, 5)
    assert loop.time() - started < 2.0  # far below the 10 s poll timeout
    assert [u.message.text for u in updates if u.message] == ["wake up"]


async def test_long_poll_times_out_with_no_updates(bot: telegram.Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=1) == ()
    assert loop.time() - started >= 0.9


async def test_second_get_updates_terminates_the_first(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url, trust_env=False, timeout=10) as http:
        first = asyncio.create_task(http.get(f"/bot{sandbox.token}/getUpdates?timeout=5"))
        assert await sandbox.wait_for_poller(5)
        second = await http.get(f"/bot{sandbox.token}/getUpdates?timeout=0")
        first_response = await first
    assert second.json() == {"ok": True, "result": []}
    assert first_response.status_code == 409
    assert "terminated by other getUpdates request" in first_response.json()["description"]
    assert issubclass(Conflict, telegram.error.TelegramError)


async def test_start_command_gets_bot_command_entity(
    bot: telegram.Bot, client: SandboxClient
) -> None:
    carol = client.user(9, first_name="Carol")
    await carol.send("/start abc")
    await carol.send("/help@cetr_sandbox_bot")
    await carol.send("not /a command")
    start, help_, plain = await drain(bot)
    assert start.message is not None and help_.message is not None and plain.message is not None
    entity = start.message.entities[0]
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 6)
    assert help_.message.entities[0].length == len("/help@cetr_sandbox_bot")
    assert plain.message.entities == ()
    # python-telegram-bot's CommandHandler must match, including the deep-link payload.
    start_handler: CommandHandler[Any, None] = CommandHandler("start", _noop)
    matched = start_handler.check_update(start)
    assert isinstance(matched, tuple) and matched[0] == ["abc"]
    assert CommandHandler("help", _noop).check_update(help_)
    assert not start_handler.check_update(plain)


async def test_user_media_messages_are_valid(bot: telegram.Bot, client: SandboxClient) -> None:
    dave = client.user(11, first_name="Dave")
    kinds = ["sticker", "photo", "location", "voice", "document", "contact"]
    for kind in kinds:
        await dave.send_media(kind)
    messages = [u.message for u in await drain(bot)]
    assert all(m is not None for m in messages)
    attachments = [m.effective_attachment for m in messages if m is not None]
    assert isinstance(attachments[0], telegram.Sticker)
    assert isinstance(attachments[1], tuple) and isinstance(attachments[1][-1], telegram.PhotoSize)
    assert isinstance(attachments[2], telegram.Location)
    assert isinstance(attachments[3], telegram.Voice)
    assert isinstance(attachments[4], telegram.Document)
    assert isinstance(attachments[5], telegram.Contact)
    # Files users send can be fetched by the bot like on Telegram.
    voice = await bot.get_file(attachments[3].file_id)
    assert bytes(await voice.download_as_bytearray()).startswith(b"OggS")
    with pytest.raises(SandboxRequestError):
        await dave.send_media("hologram")


# ----- sending and validation ----------------------------------------------------------------


async def test_chat_not_found(bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(999, "anyone there?")


async def test_text_length_counts_visible_utf16(bot: telegram.Bot, user: SandboxUser) -> None:
    await bot.send_message(USER_ID, "a" * 4096)
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(USER_ID, "a" * 4097)
    # HTML markup and entities count as what the user sees.
    await bot.send_message(USER_ID, "<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(USER_ID, "&lt;" * 4097, parse_mode="HTML")
    # Emoji outside the BMP are two UTF-16 units: 2049 of them exceed the limit.
    await bot.send_message(USER_ID, "😀" * 2048)
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(USER_ID, "😀" * 2049)
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(USER_ID, "<b> </b>", parse_mode="HTML")
    assert len(await user.messages()) == 3


@pytest.mark.parametrize(
    "text",
    [
        "<b>x",
        "a < b",
        "a & b",
        "<foo>x</foo>",
        "<b><i>x</b></i>",
        "x</b>",
        '<span class="other">x</span>',
        "<b",
    ],
)
async def test_bad_html_is_rejected(bot: telegram.Bot, user: SandboxUser, text: str) -> None:
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(USER_ID, text, parse_mode="HTML")
    assert await user.messages() == []


async def test_valid_html_gives_entities(bot: telegram.Bot, user: SandboxUser) -> None:
    text = (
        '<b>B</b> <a href="https://nhs.uk">link</a> <tg-spoiler>s</tg-spoiler> '
        '<pre><code class="language-python">x = 1</code></pre> '
        "<blockquote expandable>q</blockquote> &#128512;&quot;&gt;"
    )
    sent = await bot.send_message(USER_ID, text, parse_mode="HTML")
    assert sent.text == 'B link s x = 1 q 😀">'
    kinds = {e.type: e for e in sent.entities}
    assert set(kinds) == {"bold", "text_link", "spoiler", "pre", "expandable_blockquote"}
    assert kinds["text_link"].url == "https://nhs.uk"
    assert kinds["pre"].language == "python"
    assert sent.parse_entity(kinds["text_link"]) == "link"
    stored = (await user.messages())[0]
    assert stored.text == text and stored.parse_mode == "HTML"
    assert stored.plain == sent.text


async def test_callback_data_is_limited_to_64_bytes(bot: telegram.Bot, user: SandboxUser) -> None:
    await bot.send_message(USER_ID, "ok", reply_markup=keyboard(("A", "x" * 64)))
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(USER_ID, "no", reply_markup=keyboard(("A", "x" * 65)))
    # 33 characters but 66 bytes: the limit is in bytes.
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(USER_ID, "no", reply_markup=keyboard(("A", "é" * 33)))
    bad_url = InlineKeyboardMarkup([[InlineKeyboardButton("A", url="ftp://x")]])
    with pytest.raises(BadRequest, match="(?i)button_url_invalid"):
        await bot.send_message(USER_ID, "no", reply_markup=bad_url)
    text_only = InlineKeyboardMarkup([[InlineKeyboardButton("A")]])
    with pytest.raises(BadRequest, match="(?i)text buttons are unallowed"):
        await bot.send_message(USER_ID, "no", reply_markup=text_only)
    assert [m.text for m in await user.messages()] == ["ok"]


async def test_reply_keyboards_are_accepted(bot: telegram.Bot, user: SandboxUser) -> None:
    markup = telegram.ReplyKeyboardMarkup([["Yes", "No"]], one_time_keyboard=True)
    sent = await bot.send_message(USER_ID, "Pick", reply_markup=markup)
    await bot.send_message(USER_ID, "Gone", reply_markup=telegram.ReplyKeyboardRemove())
    await bot.send_message(USER_ID, "Reply", reply_markup=telegram.ForceReply())
    assert sent.reply_markup is None  # Telegram only echoes inline keyboards
    first, second, third = await user.messages()
    assert first.keyboard == [["Yes", "No"]]
    assert second.reply_markup == {"remove_keyboard": True}
    assert third.reply_markup is not None and third.reply_markup["force_reply"] is True


# ----- buttons and callback queries ----------------------------------------------------------


async def test_press_produces_callback_query_and_answer_is_recorded(
    bot: telegram.Bot, sandbox: Sandbox, user: SandboxUser
) -> None:
    await drain(bot)
    sent = await bot.send_message(
        USER_ID, "<b>Continue?</b>", parse_mode="HTML", reply_markup=keyboard(("Yes", "y"))
    )
    pressed = await user.press("Yes")
    (update,) = await drain(bot)
    query = update.callback_query
    assert query is not None and query.message is not None
    assert query.id == pressed["callback_query_id"]
    assert query.data == "y" and query.from_user.id == USER_ID
    assert query.message.message_id == sent.message_id
    assert isinstance(query.message, telegram.Message)
    assert query.message.text_html == "<b>Continue?</b>"
    assert query.message.reply_markup == sent.reply_markup

    assert await query.answer("Saved", show_alert=True) is True
    answers = await user.answers()
    assert answers == [
        {
            "callback_query_id": query.id,
            "message_id": sent.message_id,
            "text": "Saved",
            "show_alert": True,
            "url": None,
            "cache_time": 0,
        }
    ]
    assert sandbox.query_answered(query.id)
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await query.answer("again")
    with pytest.raises(BadRequest, match="(?i)query id is invalid"):
        await bot.answer_callback_query("12345")


async def test_missing_buttons_need_forge(bot: telegram.Bot, user: SandboxUser) -> None:
    sent = await bot.send_message(USER_ID, "Pick", reply_markup=keyboard(("Red", "r")))
    with pytest.raises(AssertionError, match="Red"):
        await user.press("Blue")
    with pytest.raises(SandboxRequestError, match="no button"):
        await user.press_data(sent.message_id, "stale", forge=False)
    await drain(bot)
    await user.press_data(sent.message_id, "stale")  # forged/stale data is delivered
    (update,) = await drain(bot)
    assert update.callback_query is not None and update.callback_query.data == "stale"


# ----- edits, deletes, documents, commands ---------------------------------------------------


async def test_edit_message_text_updates_in_place(bot: telegram.Bot, user: SandboxUser) -> None:
    sent = await bot.send_message(USER_ID, "Step 1", reply_markup=keyboard(("Next", "n")))
    edited = await bot.edit_message_text("Step 2", USER_ID, sent.message_id)
    assert isinstance(edited, telegram.Message)
    assert edited.text == "Step 2" and edited.edit_date is not None
    # Like Telegram, an edit without reply_markup removes the inline keyboard.
    assert edited.reply_markup is None
    (stored,) = await user.messages()
    assert (stored.message_id, stored.text, stored.edited, stored.buttons) == (
        sent.message_id,
        "Step 2",
        True,
        [],
    )
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("Step 2", USER_ID, sent.message_id)
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", USER_ID, 999)
    await bot.edit_message_reply_markup(USER_ID, sent.message_id, reply_markup=keyboard(("B", "b")))
    assert (await user.messages())[0].button_labels == ["B"]
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_reply_markup(
            USER_ID, sent.message_id, reply_markup=keyboard(("B", "b"))
        )


async def test_delete_message(bot: telegram.Bot, user: SandboxUser) -> None:
    sent = await bot.send_message(USER_ID, "temporary")
    assert await bot.delete_message(USER_ID, sent.message_id) is True
    (stored,) = await user.messages()
    assert stored.deleted is True
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await bot.delete_message(USER_ID, sent.message_id)
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("back?", USER_ID, sent.message_id)


async def test_send_document_round_trip(
    bot: telegram.Bot, sandbox: Sandbox, client: SandboxClient, user: SandboxUser
) -> None:
    payload = b"%PDF-1.4 CETR report \x00\xff"
    sent = await bot.send_document(
        USER_ID, payload, filename="report.pdf", caption="<i>Report</i>", parse_mode="HTML"
    )
    assert sent.document is not None
    assert sent.document.file_name == "report.pdf"
    assert sent.document.mime_type == "application/pdf"
    assert sent.document.file_size == len(payload)
    # Recorded calls never carry file bytes, only a summary.
    assert sandbox.calls_to("sendDocument")[-1].params["document"] == {
        "filename": "report.pdf",
        "size": len(payload),
    }
    assert sent.caption == "Report"
    assert await client.document(USER_ID, sent.message_id) == payload
    downloaded = await (await bot.get_file(sent.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == payload
    (stored,) = await user.messages()
    assert stored.document is not None and stored.document["file_name"] == "report.pdf"
    assert stored.caption == "<i>Report</i>" and stored.plain == "Report"
    with pytest.raises(BadRequest, match="(?i)caption is too long"):
        await bot.send_document(USER_ID, payload, filename="a.pdf", caption="c" * 1025)
    with pytest.raises(BadRequest, match="(?i)there is no text in the message to edit"):
        await bot.edit_message_text("x", USER_ID, sent.message_id)


async def test_set_my_commands_per_scope(
    bot: telegram.Bot, client: SandboxClient, user: SandboxUser
) -> None:
    await bot.set_my_commands([("start", "Start a review")])
    chat_scope = telegram.BotCommandScopeChat(USER_ID)
    await bot.set_my_commands([("cancel", "Cancel")], scope=chat_scope)
    stored = await client.commands()
    assert stored == {
        "default": [{"command": "start", "description": "Start a review"}],
        f"chat:{USER_ID}": [{"command": "cancel", "description": "Cancel"}],
    }
    assert [c.command for c in await bot.get_my_commands(scope=chat_scope)] == ["cancel"]
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await bot.set_my_commands([("Start", "capital letters are invalid")])
    with pytest.raises(BadRequest, match="(?i)description_invalid"):
        await bot.set_my_commands([("start", "d" * 257)])
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.set_my_commands([("x", "y")], scope=telegram.BotCommandScopeChat(31337))
    await bot.delete_my_commands(scope=chat_scope)
    assert list(await client.commands()) == ["default"]


# ----- fault injection -----------------------------------------------------------------------


async def test_blocked_chat_is_forbidden(
    bot: telegram.Bot, sandbox: Sandbox, user: SandboxUser
) -> None:
    sandbox.faults.blocked_chats.add(USER_ID)
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await bot.send_message(USER_ID, "hi")
    assert await user.messages() == []
    sandbox.reset_faults()
    await bot.send_message(USER_ID, "hi again")
    assert [m.text for m in await user.messages()] == ["hi again"]


# PTB 22 warns that RetryAfter.retry_after will become a timedelta; irrelevant here.
_IGNORE_RETRY_AFTER_DEPRECATION = pytest.mark.filterwarnings(
    "ignore::telegram.warnings.PTBDeprecationWarning"
)


@_IGNORE_RETRY_AFTER_DEPRECATION
async def test_per_chat_rate_limit_raises_retry_after(
    bot: telegram.Bot, sandbox: Sandbox, user: SandboxUser
) -> None:
    sandbox.faults.per_chat_rate = 1
    await bot.send_message(USER_ID, "first")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER_ID, "second")
    assert seconds(caught.value.retry_after) >= 1
    assert [m.text for m in await user.messages()] == ["first"]
    assert sandbox.calls_to("sendMessage")[-1].status == 429


@_IGNORE_RETRY_AFTER_DEPRECATION
async def test_global_rate_limit_over_http(
    bot: telegram.Bot, client: SandboxClient, sandbox: Sandbox, user: SandboxUser
) -> None:
    await client.user(2).send("me too")
    settings = await client.set_faults(global_rate=2)
    assert settings["global_rate"] == 2
    await bot.send_message(USER_ID, "1")
    await bot.send_message(2, "2")
    with pytest.raises(RetryAfter):
        await bot.send_message(2, "3")  # a different chat, but the global window is full
    async with httpx.AsyncClient(base_url=sandbox.url, trust_env=False) as http:
        raw = await http.post(f"/bot{sandbox.token}/sendMessage", data={"chat_id": 2, "text": "4"})
    assert raw.status_code == 429
    body = raw.json()
    assert body["ok"] is False and body["error_code"] == 429
    assert body["description"].startswith("Too Many Requests: retry after ")
    assert body["parameters"]["retry_after"] >= 1
    await client.reset_faults()
    await bot.send_message(2, "after reset")


async def test_fail_next_answers_server_errors(
    bot: telegram.Bot, client: SandboxClient, user: SandboxUser
) -> None:
    await client.set_faults(fail_next=2, fail_method="sendMessage")
    assert (await bot.get_me()).is_bot  # other methods are unaffected
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(USER_ID, "lost 1")
    await client.set_faults(fail_status=502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(USER_ID, "lost 2")
    await bot.send_message(USER_ID, "delivered")
    assert [m.text for m in await user.messages()] == ["delivered"]


async def test_delay_next_simulates_a_timeout_after_delivery(
    bot: telegram.Bot, sandbox: Sandbox, user: SandboxUser
) -> None:
    sandbox.faults.update({"delay_next": 1, "delay_seconds": 2, "delay_method": "sendMessage"})
    with pytest.raises(telegram.error.TimedOut):
        await bot.send_message(USER_ID, "slow", read_timeout=0.3)
    # The message was delivered; only the answer was late (the classic duplicate risk).
    assert [m.text for m in await user.messages()] == ["slow"]


# ----- client helpers with a running bot -----------------------------------------------------


async def run_echo_loop(bot: telegram.Bot, handle: Callable[[Update], Awaitable[None]]) -> None:
    """A minimal bot: long-poll and hand each update to `handle`."""
    offset = 0
    while True:
        for update in await bot.get_updates(offset=offset, timeout=10):
            offset = update.update_id + 1
            await handle(update)


async def test_client_ask_waits_for_the_reply(bot: telegram.Bot, client: SandboxClient) -> None:
    async def echo(update: Update) -> None:
        if update.message and update.message.text:
            await bot.send_message(update.message.chat.id, f"echo: {update.message.text}")
            await bot.send_message(update.message.chat.id, "<i>done</i>", parse_mode="HTML")

    loop_task = asyncio.create_task(run_echo_loop(bot, echo))
    try:
        erin = client.user(21, first_name="Erin")
        replies = await erin.ask("hi", count=2)
        assert [r.plain for r in replies] == ["echo: hi", "done"]
        assert all(isinstance(r, SentMessage) for r in replies)
        assert await erin.settle(quiet=0.2) == []  # nothing else was sent
        assert [r.text for r in await erin.ask("again", count=2)] == ["echo: again", "<i>done</i>"]
        with pytest.raises(AssertionError, match="expected 1 new bot message"):
            await erin.wait_for(1, timeout=0.3)
    finally:
        loop_task.cancel()


async def test_tap_returns_the_edited_message(bot: telegram.Bot, client: SandboxClient) -> None:
    async def handle(update: Update) -> None:
        if update.message:
            await bot.send_message(
                update.message.chat.id, "Ready?", reply_markup=keyboard(("Go", "go"))
            )
        query = update.callback_query
        if query and isinstance(query.message, telegram.Message):
            await query.answer()
            await query.message.edit_text(f"Went ({query.data})")

    loop_task = asyncio.create_task(run_echo_loop(bot, handle))
    try:
        frank = client.user(22)
        (prompt,) = await frank.ask("hi")
        assert prompt.button_labels == ["Go"]
        (changed,) = await frank.tap("Go", include_edits=True)
        assert changed.message_id == prompt.message_id
        assert (changed.text, changed.edited, changed.buttons) == ("Went (go)", True, [])
        assert (await frank.answers())[0]["text"] is None
    finally:
        loop_task.cancel()


async def test_real_application_runs_against_the_sandbox(
    sandbox: Sandbox, client: SandboxClient
) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        payload = " ".join(context.args or [])
        await update.effective_message.reply_text(
            f"Welcome ({payload})", reply_markup=keyboard(("Agree", "agree"), ("Stop", "stop"))
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Noted")
        await query.edit_message_text(f"You chose <b>{query.data}</b>", parse_mode="HTML")

    app: Application[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(sandbox.token)
        .base_url(sandbox.base_url)
        .base_file_url(sandbox.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=5))
        try:
            gina = client.user(31, first_name="Gina")
            (welcome,) = await gina.ask("/start ref42")
            assert welcome.text == "Welcome (ref42)"
            assert welcome.buttons == [[("Agree", "agree"), ("Stop", "stop")]]
            (choice,) = await gina.tap("Stop", include_edits=True)
            assert choice.plain == "You chose stop" and choice.edited
            assert (await gina.answers())[0]["text"] == "Noted"
            assert await gina.settle(quiet=0.2) == []
        finally:
            await app.updater.stop()
            await app.stop()


# ----- housekeeping methods, Python-side API, CLI server -------------------------------------


async def test_housekeeping_methods(
    bot: telegram.Bot, sandbox: Sandbox, client: SandboxClient, user: SandboxUser
) -> None:
    assert await client.health() is True
    assert (await bot.get_webhook_info()).pending_update_count == 1  # the fixture's "hello"
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    assert await bot.get_updates(timeout=0) == ()
    assert await bot.send_chat_action(USER_ID, "typing") is True
    with pytest.raises(BadRequest, match="(?i)wrong parameter action"):
        await bot.send_chat_action(USER_ID, "dancing")
    assert await bot.set_chat_menu_button(menu_button=telegram.MenuButtonCommands()) is True
    assert isinstance(await bot.get_chat_menu_button(USER_ID), telegram.MenuButtonCommands)
    with pytest.raises(BadRequest, match="(?i)message to be replied not found"):
        await bot.send_message(USER_ID, "re", reply_parameters=telegram.ReplyParameters(999))
    reply = await bot.send_message(USER_ID, "re", reply_parameters=telegram.ReplyParameters(1))
    assert reply.text == "re"
    markdown = await bot.send_message(USER_ID, "*hi* \\.", parse_mode="MarkdownV2")
    assert markdown.message_id > reply.message_id
    with pytest.raises(BadRequest, match="(?i)unsupported parse_mode"):
        await bot.send_message(USER_ID, "x", parse_mode="XML")
    assert await bot.log_out() is True and await bot.close() is True
    assert [c.method for c in sandbox.calls][-2:] == ["logOut", "close"]
    assert [m.text for m in sandbox.delivered] == ["re", "*hi* \\."]


async def test_python_side_mirrors_http(sandbox: Sandbox, bot: telegram.Bot) -> None:
    sent = sandbox.user_send(8, "/start", first_name="Hana")
    assert sent["message_id"] == 1
    reply = await bot.send_message(8, "Hi Hana", reply_markup=keyboard(("Ok", "ok")))
    sandbox.user_press(8, reply.message_id, "ok")
    sandbox.user_send_media(8, "location")
    kinds = [
        "message" if u.message and u.message.text else "callback" if u.callback_query else "geo"
        for u in await drain(bot)
    ]
    assert kinds == ["message", "callback", "geo"]
    assert [m["text"] for m in sandbox.chat_messages(8)] == ["Hi Hana"]
    assert sandbox.chat_version(8) == 1
    assert await sandbox.wait_chat(8, after_version=0, seconds=1) == 1


async def test_serve_forever_runs_until_cancelled() -> None:
    ready: asyncio.Queue[Sandbox] = asyncio.Queue()
    task = asyncio.create_task(serve_forever("127.0.0.1", 0, on_ready=ready.put_nowait))
    served = await asyncio.wait_for(ready.get(), 5)
    async with SandboxClient(served.url) as sandbox_client:
        assert await sandbox_client.health() is True
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
