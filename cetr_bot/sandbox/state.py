"""In-memory state of the sandbox: users, chats, updates, bot messages, files.

Everything here is synchronous except the two long-poll waits; notifications go
through _Signal so synchronous code can wake waiters without holding a lock.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from .errors import ApiError, SandboxError
from .faults import Faults, RateLimiter
from .html_check import ParsedText
from .markup import inline_buttons
from .media import StoredFile, user_media

__all__ = ["ApiCall", "BotMessage", "SandboxState", "Webhook", "WebhookDelivery"]

_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_GROUP_TYPES = frozenset({"group", "supergroup", "channel"})
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


class ApiCall(NamedTuple):
    """One Bot API request as seen by the sandbox (file bytes replaced by a summary)."""

    method: str
    params: dict[str, Any]
    status: int
    at: float = 0.0  # wall-clock time (time.time()) it was handled


@dataclass
class BotMessage:
    """A message the bot sent; edits and deletions update it in place."""

    chat_id: int
    message_id: int
    bot_id: int
    date: int
    text: str | None = None  # exactly as sent (still HTML if parse_mode is HTML)
    parse_mode: str | None = None
    parsed: ParsedText | None = None  # visible text + entities of text or caption
    caption: str | None = None
    reply_markup: dict[str, Any] | None = None
    document: StoredFile | None = None
    protect_content: bool = False  # sent with protect_content: no forwarding or saving
    edited: bool = False
    edit_date: int | None = None
    deleted: bool = False
    version: int = 0  # chat version at the last change; lets clients find changes
    created_version: int = 0  # chat version when it was sent; tells new from edited

    def summary(self) -> dict[str, Any]:
        """Shape used by the /sandbox endpoints and the test client."""
        return {
            "message_id": self.message_id,
            "text": self.text,
            "parse_mode": self.parse_mode,
            "reply_markup": self.reply_markup,
            "document": self.document.document() if self.document else None,
            "caption": self.caption,
            "protect_content": self.protect_content,
            "edited": self.edited,
            "deleted": self.deleted,
            "date": self.date,
            "version": self.version,
            "created_version": self.created_version,
        }

    def telegram(self, bot_user: dict[str, Any], chat: dict[str, Any]) -> dict[str, Any]:
        """The Message object Telegram would return (visible text plus entities)."""
        msg: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": chat,
            "from": bot_user,
        }
        if self.edit_date is not None:
            msg["edit_date"] = self.edit_date
        parsed = self.parsed or ParsedText("")
        # Documents carry caption/caption_entities; text messages text/entities.
        field = "caption" if self.document else "text"
        entities_field = "caption_entities" if self.document else "entities"
        if self.document:
            msg["document"] = self.document.document()
        if self.text is not None or self.caption is not None:
            msg[field] = parsed.text
            if parsed.entities:
                msg[entities_field] = parsed.entities
        if self.protect_content:
            msg["has_protected_content"] = True
        # Telegram only ever echoes inline keyboards back in Message objects.
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            msg["reply_markup"] = self.reply_markup
        return msg


@dataclass
class Webhook:
    """What setWebhook set (Telegram keeps one per bot)."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None


@dataclass
class WebhookDelivery:
    """One POST of an update to a webhook URL, and how it was answered."""

    update_id: int
    url: str
    status: int | None  # HTTP status, None on a timeout or a refused connection
    error: str | None = None
    forced: bool = False  # a redelivery asked for by a test (/sandbox/webhook/redeliver)


@dataclass
class _Query:
    user_id: int
    message_id: int
    answered: bool = False


class _Signal:
    """Wake-all notification; unlike asyncio.Condition it can fire from sync code."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(self, ready: Callable[[], bool], seconds: float) -> bool:
        """Sleep until ready() is true or `seconds` pass; returns ready()."""
        try:
            async with asyncio.timeout(max(0.0, seconds)):
                while not ready():
                    await self._event.wait()
        except TimeoutError:
            pass
        return bool(ready())


def _now() -> int:
    return int(time.time())


class SandboxState:
    """Users, chats and everything the bot has done; shared by HTTP and Python APIs."""

    token = "123456:SANDBOX-token"  # any <digits>:<chars> token works; this is handy

    def __init__(self, *, bot_username: str = "cetr_sandbox_bot") -> None:
        self.bot_username = bot_username
        self.faults = Faults()
        self.calls: list[ApiCall] = []
        self.delivered: list[BotMessage] = []  # every message successfully sent, in order
        self.commands: dict[str, list[dict[str, str]]] = {}  # scope key -> commands
        self.menu_buttons: dict[str, dict[str, Any]] = {}  # "default" or chat id -> button
        self.rate = RateLimiter()
        self.closing = False
        self.webhook: Webhook | None = None
        self.webhook_last_error: tuple[int, str] | None = None  # (unix time, message)
        self.deliveries: list[WebhookDelivery] = []
        # Test hooks: the pusher spreads updates over these URLs in turn (a load balancer
        # in front of several bot processes) instead of the webhook's own URL.
        self.webhook_balance: list[str] = []
        self.webhook_timeout = 10.0  # seconds to wait for a webhook's answer
        self.webhook_retry_seconds = 0.2  # first redelivery delay, doubled each time, capped
        self.webhook_retry_cap_seconds = 5.0
        self.history: dict[int, dict[str, Any]] = {}  # every update made, by update_id
        self.webhook_wake = asyncio.Event()  # set when the pusher may have work
        self.active_polls = 0  # getUpdates requests currently waiting (handy in tests)
        self._users: dict[int, dict[str, Any]] = {}
        self._groups: dict[int, dict[str, Any]] = {}  # group/supergroup/channel chats
        self.left_chats: list[int] = []  # chats the bot left (leaveChat), in order
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(4_100_000_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._messages: dict[int, dict[int, BotMessage]] = {}
        self._user_messages: dict[int, set[int]] = {}
        self._user_texts: dict[tuple[int, int], int] = {}  # (chat, message id) -> date sent
        self._queries: dict[str, _Query] = {}
        self._answers: dict[int, list[dict[str, Any]]] = {}
        self._files: dict[str, StoredFile] = {}
        self._versions: dict[int, int] = {}
        self._poll_generation = 0
        self._update_signal = _Signal()
        self._chat_signal = _Signal()

    # ----- identities -------------------------------------------------------------

    def bot_user(self, bot_id: int) -> dict[str, Any]:
        return {
            "id": bot_id,
            "is_bot": True,
            "first_name": "CETR Sandbox Bot",
            "username": self.bot_username,
        }

    def chat(self, chat_id: int) -> dict[str, Any]:
        """Chat object; raises Telegram's 400 if the user never wrote to the bot."""
        if chat_id in self._groups:
            return dict(self._groups[chat_id])
        user = self._users.get(chat_id)
        if user is None:
            raise ApiError(400, "Bad Request: chat not found")
        chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
        if user.get("username"):
            chat["username"] = user["username"]
        return chat

    def add_user(self, user_id: int, first_name: str | None = None) -> dict[str, Any]:
        """A user who has opened the chat (so the bot may write), without an update."""
        return self._register_user(user_id, first_name, None)

    def _register_user(
        self,
        user_id: int,
        first_name: str | None,
        username: str | None,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        if user_id <= 0:
            raise SandboxError("user ids must be positive integers")
        user = self._users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": "Test", "language_code": "en"}
        )
        if first_name:
            user["first_name"] = first_name
        if username:
            user["username"] = username
        if language_code:  # the Telegram app's language, as an IETF tag
            user["language_code"] = language_code
        return dict(user)

    def add_group(self, chat_id: int, chat_type: str = "group", title: str = "") -> None:
        """A group, supergroup or channel the bot is in (chat ids are negative)."""
        if chat_id >= 0 or chat_type not in _GROUP_TYPES:
            raise SandboxError("group chats have negative ids and type group/supergroup/channel")
        known = self._groups.get(chat_id)
        if known is not None and known["type"] != chat_type:
            raise SandboxError(f"chat {chat_id} is a {known['type']}")
        self._groups[chat_id] = {"id": chat_id, "type": chat_type, "title": title or "A group"}

    def is_group(self, chat_id: int) -> bool:
        return chat_id in self._groups

    def leave(self, chat_id: int) -> None:
        """leaveChat: the bot is no longer in the group; sends there fail with 403."""
        if chat_id not in self._groups:
            raise ApiError(400, "Bad Request: chat member status can't be changed in private chats")
        if chat_id in self.left_chats:
            raise ApiError(403, "Forbidden: bot is not a member of the group chat")
        self.left_chats.append(chat_id)
        self.bump(chat_id)

    # ----- versions and waiting ---------------------------------------------------

    def chat_version(self, chat_id: int) -> int:
        return self._versions.get(chat_id, 0)

    def bump(self, chat_id: int) -> int:
        """Record bot activity in a chat and wake anyone waiting on it."""
        version = self._versions.get(chat_id, 0) + 1
        self._versions[chat_id] = version
        self._chat_signal.fire()
        return version

    async def wait_chat(self, chat_id: int, after_version: int, seconds: float) -> int:
        """Long-poll until the chat's version exceeds after_version; returns the version."""
        await self._chat_signal.wait_until(
            lambda: self.closing or self.chat_version(chat_id) > after_version, seconds
        )
        return self.chat_version(chat_id)

    async def pause(self, seconds: float) -> None:
        """Sleep that ends early on shutdown, so stop() never waits on injected delays."""
        await self._chat_signal.wait_until(lambda: self.closing, seconds)

    def wake_all(self) -> None:
        """Release every long poll (used on shutdown)."""
        self.closing = True
        self._update_signal.fire()
        self._chat_signal.fire()

    # ----- updates ----------------------------------------------------------------

    def _push_update(self, body: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        update = {"update_id": update_id, **body}
        self._updates.append(update)
        self.history[update_id] = update
        self._update_signal.fire()
        self.webhook_wake.set()
        return update_id

    async def wait_for_poller(self, seconds: float = 5.0) -> bool:
        """Wait until a getUpdates long poll is waiting (tests of long polling use it)."""
        return await self._update_signal.wait_until(lambda: self.active_polls > 0, seconds)

    def confirm_updates(self, offset: int) -> None:
        """getUpdates offset semantics: positive confirms, negative keeps the last -N."""
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._update_signal.fire()  # wakes wait_confirmed()

    async def wait_confirmed(self, seconds: float) -> bool:
        """Wait until the bot has confirmed every update (it has taken them all in)."""
        return await self._update_signal.wait_until(
            lambda: self.closing or not self._updates, seconds
        )

    def drop_updates(self) -> None:
        self._updates.clear()

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed (by getUpdates' offset or a webhook's 2xx), in order."""
        return list(self._updates)

    def confirm_update(self, update_id: int) -> None:
        """A webhook answered 2xx: Telegram forgets the update."""
        self._updates = [u for u in self._updates if u["update_id"] != update_id]
        self._update_signal.fire()

    def set_webhook(self, webhook: Webhook | None) -> None:
        self.webhook = webhook
        self.webhook_last_error = None
        self.webhook_wake.set()
        self._update_signal.fire()  # a waiting getUpdates ends with 409

    def note_webhook_error(self, message: str) -> None:
        self.webhook_last_error = (_now(), message)

    @property
    def pending_update_count(self) -> int:
        return len(self._updates)

    async def poll_updates(self, limit: int, seconds: float) -> list[dict[str, Any]]:
        """Long-poll for updates; a newer getUpdates ends an older one with 409."""
        if self.webhook is not None:
            raise ApiError(409, _WEBHOOK_CONFLICT)
        self._poll_generation += 1
        mine = self._poll_generation

        def ready() -> bool:
            return (
                self.closing
                or mine != self._poll_generation
                or bool(self._updates)
                or self.webhook is not None
            )

        self.active_polls += 1
        try:
            # Wakes an older poll (it sees it was superseded) and wait_for_poller().
            self._update_signal.fire()
            await self._update_signal.wait_until(ready, seconds)
        finally:
            self.active_polls -= 1
        if mine != self._poll_generation and not self.closing:
            raise ApiError(409, _CONFLICT)
        if self.webhook is not None:
            raise ApiError(409, _WEBHOOK_CONFLICT)
        return [dict(u) for u in self._updates[:limit]]

    # ----- messages ---------------------------------------------------------------

    def next_message_id(self, chat_id: int) -> int:
        # Private chats share one message id sequence between both sides.
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def store_bot_message(self, message: BotMessage) -> BotMessage:
        self._messages.setdefault(message.chat_id, {})[message.message_id] = message
        self.delivered.append(message)
        message.version = self.bump(message.chat_id)
        message.created_version = message.version
        return message

    def touch(self, message: BotMessage) -> None:
        """Mark an in-place change (edit or delete) so waiters see it."""
        message.version = self.bump(message.chat_id)

    def bot_message(self, chat_id: int, message_id: int) -> BotMessage | None:
        return self._messages.get(chat_id, {}).get(message_id)

    def message_exists(self, chat_id: int, message_id: int) -> bool:
        """Whether either side's message is still in the chat (for reply checks)."""
        bot_message = self.bot_message(chat_id, message_id)
        if bot_message is not None:
            return not bot_message.deleted
        return message_id in self._user_messages.get(chat_id, set())

    def forget_user_message(self, chat_id: int, message_id: int) -> bool:
        ids = self._user_messages.get(chat_id, set())
        if message_id in ids:
            ids.discard(message_id)
            return True
        return False

    def chat_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages to this chat, oldest first (deleted ones flagged)."""
        return [m.summary() for m in self._messages.get(chat_id, {}).values()]

    def chat_state(self, chat_id: int) -> dict[str, Any]:
        return {"version": self.chat_version(chat_id), "messages": self.chat_messages(chat_id)}

    def document_bytes(self, chat_id: int, message_id: int) -> bytes:
        message = self.bot_message(chat_id, message_id)
        if message is None or message.document is None:
            raise SandboxError(f"no document in message {message_id} of chat {chat_id}")
        return message.document.data

    # ----- files ------------------------------------------------------------------

    def add_file(
        self, folder: str, file_name: str | None, mime: str | None, data: bytes
    ) -> StoredFile:
        number = next(self._file_ids)
        suffix = file_name.rsplit(".", 1)[-1] if file_name and "." in file_name else "bin"
        stored = StoredFile(
            file_id=f"SBX{number:06d}-{folder}",
            file_unique_id=f"U{number:06d}",
            data=data,
            file_name=file_name,
            mime_type=mime,
            file_path=f"{folder}/file_{number}.{suffix}",
        )
        self._files[stored.file_id] = stored
        return stored

    def file_by_id(self, file_id: str) -> StoredFile | None:
        return self._files.get(file_id)

    def file_by_path(self, path: str) -> StoredFile | None:
        return next((f for f in self._files.values() if f.file_path == path), None)

    # ----- callback queries -------------------------------------------------------

    def answer_query(self, query_id: str, answer: dict[str, Any]) -> None:
        query = self._queries.get(query_id)
        if query is None or query.answered:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        query.answered = True
        self._answers.setdefault(query.user_id, []).append(
            {"callback_query_id": query_id, "message_id": query.message_id, **answer}
        )
        self.bump(query.user_id)

    def query_answered(self, query_id: str) -> bool:
        query = self._queries.get(query_id)
        return bool(query and query.answered)

    def user_answers(self, user_id: int) -> list[dict[str, Any]]:
        return list(self._answers.get(user_id, []))

    # ----- simulated users --------------------------------------------------------

    def _user_message(
        self, user: dict[str, Any], body: dict[str, Any], chat_id: int | None = None
    ) -> dict[str, Any]:
        chat_id = user["id"] if chat_id is None else chat_id
        message_id = self.next_message_id(chat_id)
        self._user_messages.setdefault(chat_id, set()).add(message_id)
        self._user_texts[(chat_id, message_id)] = _now()
        chat = self.chat(chat_id)
        author: dict[str, Any] = {"sender_chat": chat} if chat["type"] == "channel" else {}
        return {
            "message_id": message_id,
            "date": _now(),
            "chat": chat,
            **(author or {"from": user}),
            **body,
        }

    def _message_update(self, chat_id: int | None, message: dict[str, Any]) -> dict[str, Any]:
        channel = chat_id is not None and self._groups.get(chat_id, {}).get("type") == "channel"
        return {"channel_post" if channel else "message": message}

    def _text_body(self, text: str) -> dict[str, Any]:
        body: dict[str, Any] = {"text": text}
        match = _COMMAND_RE.match(text)
        if match:
            body["entities"] = [{"type": "bot_command", "offset": 0, "length": match.end()}]
        return body

    def user_send(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """A user writes to the bot (privately, or in a group chat_id added with
        add_group); commands get a bot_command entity like on Telegram."""
        if not text or not text.strip():
            raise SandboxError("Telegram clients cannot send an empty message")
        user = self._register_user(user_id, first_name, username, language_code)
        message = self._user_message(user, self._text_body(text), chat_id)
        update = self._message_update(chat_id, message)
        return self._delivered_to_bot(message["chat"]["id"], update, message["message_id"])

    def user_edit(
        self,
        user_id: int,
        message_id: int,
        text: str,
        *,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """A user edits a message they sent: Telegram sends an edited_message update."""
        if not text or not text.strip():
            raise SandboxError("Telegram clients cannot send an empty message")
        user = self._register_user(user_id, first_name, username, language_code)
        chat = user_id if chat_id is None else chat_id
        sent = self._user_texts.get((chat, message_id))
        if sent is None:
            raise SandboxError(f"no message {message_id} from the user in chat {chat}")
        message = {
            "message_id": message_id,
            "date": sent,
            "edit_date": _now(),
            "chat": self.chat(chat),
            "from": user,
            **self._text_body(text),
        }
        channel = self._groups.get(chat, {}).get("type") == "channel"
        update = {"edited_channel_post" if channel else "edited_message": message}
        return self._delivered_to_bot(chat, update, message_id)

    def user_send_media(
        self,
        user_id: int,
        kind: str,
        *,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """A user sends a sticker, photo, location, voice note, document or contact."""
        user = self._register_user(user_id, first_name, username, language_code)
        try:
            body = user_media(kind, self.add_file, user)
        except ValueError as exc:
            raise SandboxError(str(exc)) from exc
        message = self._user_message(user, body, chat_id)
        update = self._message_update(chat_id, message)
        return self._delivered_to_bot(message["chat"]["id"], update, message["message_id"])

    def user_press(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        forge: bool = False,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """A user taps an inline button (on a message in chat_id, their private chat by
        default); forge=True skips the does-it-exist check."""
        user = self._register_user(user_id, first_name, username, language_code)
        chat = user_id if chat_id is None else chat_id
        message = self.bot_message(chat, message_id)
        if message is None:
            raise SandboxError(f"no bot message {message_id} in chat {chat}")
        if not forge:
            _check_pressable(message, data)
        query_id = str(next(self._query_ids))
        self._queries[query_id] = _Query(user_id, message_id)
        query = {
            "id": query_id,
            "from": user,
            "message": self._query_message(message),
            "chat_instance": str(-(10**12) - user_id),
            "data": data,
        }
        result = self._delivered_to_bot(chat, {"callback_query": query}, message_id)
        return {**result, "callback_query_id": query_id}

    def _query_message(self, message: BotMessage) -> dict[str, Any]:
        chat = self.chat(message.chat_id)
        if message.deleted:  # Telegram sends an InaccessibleMessage (date 0)
            return {"chat": chat, "message_id": message.message_id, "date": 0}
        return message.telegram(self.bot_user(message.bot_id), chat)

    def _delivered_to_bot(
        self, chat_id: int, update: dict[str, Any], message_id: int
    ) -> dict[str, Any]:
        update_id = self._push_update(update)
        return {
            "update_id": update_id,
            "message_id": message_id,
            "version": self.chat_version(chat_id),
        }

    # ----- faults -----------------------------------------------------------------

    def reset_faults(self) -> None:
        self.faults.reset()
        self.rate.reset()

    def calls_to(self, method: str) -> list[ApiCall]:
        """Recorded calls of one Bot API method (case-insensitive)."""
        return [c for c in self.calls if c.method.lower() == method.lower()]


def _check_pressable(message: BotMessage, data: str) -> None:
    if message.deleted:
        raise SandboxError(f"message {message.message_id} was deleted; it has no buttons")
    buttons = inline_buttons(message.reply_markup)
    if not any(b.get("callback_data") == data for b in buttons):
        available = [(b.get("text"), b.get("callback_data")) for b in buttons]
        raise SandboxError(
            f"message {message.message_id} has no button with callback_data {data!r}; "
            f"buttons: {available}"
        )
