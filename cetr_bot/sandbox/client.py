"""Async client for the sandbox's simulated-user endpoints (tests and demos).

Waiting is done with the server's long-poll endpoint, never with sleeps:
``ask``/``tap``/``wait_for`` return as soon as the bot has produced the expected
number of new or changed messages in the user's chat.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import httpx

from .html_check import strip_html

__all__ = ["SandboxClient", "SandboxRequestError", "SandboxUser", "SentMessage"]

Button = tuple[str, str]  # (visible text, callback_data or url)


class SandboxRequestError(AssertionError):
    """The sandbox refused a simulated-user request (e.g. pressing a missing button)."""


@dataclass
class SentMessage:
    """A message the bot sent to a chat, as the sandbox currently stores it."""

    message_id: int
    text: str | None
    parse_mode: str | None
    buttons: list[list[Button]]
    button_labels: list[str]
    document: dict[str, Any] | None
    caption: str | None
    edited: bool
    deleted: bool
    date: int = 0
    version: int = 0
    created_version: int = 0
    reply_markup: dict[str, Any] | None = None
    keyboard: list[list[str]] = field(default_factory=list)  # reply-keyboard labels
    callback_data: dict[str, str] = field(default_factory=dict)  # label -> data
    protect_content: bool = False  # sent with protect_content (no forwarding or saving)
    links: dict[str, str] = field(default_factory=dict)  # label -> url of url/web_app buttons
    web_apps: list[str] = field(default_factory=list)  # labels of Mini App (web_app) buttons

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SentMessage:
        markup = data.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") or []
        buttons = [[_button(b) for b in row] for row in rows]
        return cls(
            message_id=data["message_id"],
            text=data.get("text"),
            parse_mode=data.get("parse_mode"),
            buttons=buttons,
            button_labels=[text for row in buttons for text, _ in row],
            document=data.get("document"),
            caption=data.get("caption"),
            edited=bool(data.get("edited")),
            deleted=bool(data.get("deleted")),
            date=data.get("date", 0),
            version=data.get("version", 0),
            created_version=data.get("created_version", 0),
            reply_markup=data.get("reply_markup"),
            keyboard=[[_label(b) for b in row] for row in markup.get("keyboard") or []],
            callback_data={
                b["text"]: b["callback_data"] for row in rows for b in row if "callback_data" in b
            },
            protect_content=bool(data.get("protect_content")),
            links={
                b["text"]: b["url"] if "url" in b else b["web_app"]["url"]
                for row in rows
                for b in row
                if "url" in b or "web_app" in b
            },
            web_apps=[b["text"] for row in rows for b in row if "web_app" in b],
        )

    @property
    def plain(self) -> str:
        """Text (or caption) as the user sees it: tags stripped, entities unescaped."""
        raw = self.text if self.text is not None else self.caption or ""
        return strip_html(raw) if (self.parse_mode or "").lower() == "html" else raw

    def find_callback(self, label_or_data: str) -> str:
        """Callback data of the button with this label (or this data); AssertionError if none."""
        if label_or_data in self.callback_data:
            return self.callback_data[label_or_data]
        if label_or_data in self.callback_data.values():
            return label_or_data
        urls = {text: value for row in self.buttons for text, value in row}
        if label_or_data in urls:
            raise AssertionError(
                f"button {label_or_data!r} on message {self.message_id} is a URL button "
                f"({urls[label_or_data]}); pressing it sends nothing to the bot"
            )
        raise AssertionError(
            f"no button {label_or_data!r} on message {self.message_id}; available: {self.buttons}"
        )


def _button(button: dict[str, Any]) -> Button:
    web_app = button.get("web_app")
    app_url = web_app.get("url") if isinstance(web_app, dict) else None
    value = button.get("callback_data") or button.get("url") or app_url or ""
    return str(button.get("text", "")), str(value)


def _label(button: Any) -> str:
    return str(button.get("text", "")) if isinstance(button, dict) else str(button)


class SandboxClient:
    """HTTP client for one sandbox; use as ``async with SandboxClient(url) as client``."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        # trust_env=False: proxy variables must never reroute calls to a local server.
        self._http = httpx.AsyncClient(base_url=self.url, trust_env=False, timeout=timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        username: str | None = None,
        *,
        language_code: str | None = None,
    ) -> SandboxUser:
        """`language_code`: the user's Telegram app language (default "en")."""
        return SandboxUser(self, user_id, first_name, username, language_code=language_code)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        http_timeout: float | None = None,
    ) -> httpx.Response:
        """One call to the sandbox; refusals become SandboxRequestError."""
        response = await self._http.request(
            method,
            path,
            json=json,
            params=params,
            timeout=http_timeout if http_timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )
        if response.status_code >= 400:
            raise SandboxRequestError(f"sandbox refused {method} {path}: {_reason(response)}")
        return response

    async def idle(self, timeout: float = 10.0) -> bool:  # noqa: ASYNC109
        """Wait until the bot has handled everything sent so far; False if the sandbox
        cannot tell (no bot in its process told it how) or it did not finish in time."""
        response = await self.request(
            "GET", "/sandbox/idle", params={"timeout": timeout}, http_timeout=timeout + 10.0
        )
        return bool(response.json().get("idle"))

    async def health(self) -> bool:
        response = await self.request("GET", "/sandbox/health")
        return bool(response.json().get("ok"))

    async def set_faults(self, **settings: Any) -> dict[str, Any]:
        """E.g. set_faults(per_chat_rate=1, blocked_chats=[42], fail_next=1)."""
        response = await self.request("POST", "/sandbox/faults", json=settings)
        result: dict[str, Any] = response.json()
        return result

    async def reset_faults(self) -> None:
        await self.request("DELETE", "/sandbox/faults")

    async def commands(self) -> dict[str, list[dict[str, str]]]:
        result: dict[str, list[dict[str, str]]] = (
            await self.request("GET", "/sandbox/commands")
        ).json()
        return result

    async def document(self, chat_id: int, message_id: int) -> bytes:
        return (await self.request("GET", f"/sandbox/documents/{chat_id}/{message_id}")).content

    async def left_chats(self) -> list[int]:
        """The group chats the bot has left (with leaveChat), in order."""
        result: list[int] = (await self.request("GET", "/sandbox/left_chats")).json()
        return result

    async def webhook(self, **settings: Any) -> dict[str, Any]:
        """The webhook test hooks: balance=[urls], timeout=s, retry_seconds=s."""
        response = await self.request("POST", "/sandbox/webhook", json=settings)
        result: dict[str, Any] = response.json()
        return result

    async def redeliver(
        self, update_ids: list[int], url: str | None = None
    ) -> list[dict[str, Any]]:
        """POST these updates to `url` (default: the webhook's) once more, as Telegram does
        when it missed an answer; returns each delivery's status."""
        body: dict[str, Any] = {"update_ids": update_ids, "url": url}
        response = await self.request(
            "POST", "/sandbox/webhook/redeliver", json=body, http_timeout=120.0
        )
        result: list[dict[str, Any]] = response.json()
        return result

    async def deliveries(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = (
            await self.request("GET", "/sandbox/webhook/deliveries")
        ).json()
        return result

    async def calls(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = (await self.request("GET", "/sandbox/calls")).json()
        return result


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    if isinstance(body, dict):
        return str(body.get("error") or body.get("description") or body)
    return str(body)


class SandboxUser:
    """A simulated Telegram user chatting privately with the bot (chat id == user id),
    or writing in a group or channel (see in_group)."""

    def __init__(
        self,
        client: SandboxClient,
        user_id: int,
        first_name: str,
        username: str | None,
        *,
        chat_id: int | None = None,
        chat_type: str | None = None,
        language_code: str | None = None,
    ) -> None:
        self.client = client
        self.language_code = language_code
        self.user_id = user_id
        self.first_name = first_name
        self.username = username
        self.chat_id = user_id if chat_id is None else chat_id
        self.chat_type = chat_type or ("private" if chat_id is None else "group")
        # Chat version after which bot messages count as "new" for wait_for/ask/tap.
        self._mark = 0

    def in_group(self, chat_id: int, chat_type: str = "group") -> SandboxUser:
        """The same user writing in a group, supergroup or channel (negative chat id)."""
        return SandboxUser(
            self.client,
            self.user_id,
            self.first_name,
            self.username,
            chat_id=chat_id,
            chat_type=chat_type,
            language_code=self.language_code,
        )

    @property
    def _who(self) -> dict[str, Any]:
        who: dict[str, Any] = {"first_name": self.first_name, "username": self.username}
        if self.language_code:
            who["language_code"] = self.language_code
        if self.chat_id != self.user_id:
            who |= {"chat_id": self.chat_id, "chat_type": self.chat_type}
        return who

    async def _post(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        path = f"/sandbox/users/{self.user_id}/{action}"
        result: dict[str, Any] = (
            await self.client.request("POST", path, json={**body, **self._who})
        ).json()
        self._mark = max(self._mark, int(result.get("version", 0)))
        return result

    async def send(self, text: str) -> dict[str, Any]:
        """Send a text message (commands get a bot_command entity)."""
        return await self._post("send", {"text": text})

    async def edit(self, message_id: int, text: str) -> dict[str, Any]:
        """Edit a message this user sent (its id is in send()'s result)."""
        return await self._post("edit", {"message_id": message_id, "text": text})

    async def send_media(self, kind: str) -> dict[str, Any]:
        """Send a sticker, photo, location, voice, document or contact."""
        return await self._post("send_media", {"kind": kind})

    async def press(
        self, label_or_data: str, *, message: SentMessage | None = None
    ) -> dict[str, Any]:
        """Tap a button by visible label (or callback data) on message or the latest keyboard."""
        target = message or await self._latest_with_buttons()
        data = target.find_callback(label_or_data)
        return await self.press_data(target.message_id, data, forge=False)

    async def press_data(self, message_id: int, data: str, forge: bool = True) -> dict[str, Any]:
        """Send callback data for a message; forge=True allows stale or invented data."""
        return await self._post("press", {"message_id": message_id, "data": data, "forge": forge})

    async def _latest_with_buttons(self) -> SentMessage:
        candidates = [m for m in await self.messages() if m.buttons and not m.deleted]
        if not candidates:
            raise AssertionError(f"no bot message with inline buttons in chat {self.chat_id}")
        return candidates[-1]

    async def messages(self) -> list[SentMessage]:
        """All bot messages in this chat, oldest first."""
        return (await self._state())[1]

    async def answers(self) -> list[dict[str, Any]]:
        """answerCallbackQuery payloads the bot sent for this user's taps."""
        path = f"/sandbox/users/{self.user_id}/answers"
        result: list[dict[str, Any]] = (await self.client.request("GET", path)).json()
        return result

    # `timeout` is deliberately a parameter (ASYNC109): it is the test-facing API.
    async def ask(
        self,
        text: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        include_edits: bool = False,
    ) -> list[SentMessage]:
        """Send text, then return the bot's new messages (at least count)."""
        await self.send(text)
        return await self.wait_for(count, timeout, include_edits=include_edits)

    async def tap(
        self,
        label: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        message: SentMessage | None = None,
        include_edits: bool = False,
    ) -> list[SentMessage]:
        """Press a button, then return the new messages the bot sent in response
        (and the messages it edited, with include_edits)."""
        await self.press(label, message=message)
        return await self.wait_for(count, timeout, include_edits=include_edits)

    async def wait_for(
        self,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        include_edits: bool = False,
    ) -> list[SentMessage]:
        """Wait for count new bot messages since the last interaction (edited or
        deleted ones count too with include_edits)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            version, messages = await self._state()
            changed = [
                m
                for m in messages
                if m.version > self._mark and (include_edits or m.created_version > self._mark)
            ]
            if len(changed) >= count:
                self._mark = max(m.version for m in changed)
                return changed
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"expected {count} new bot message(s) in chat {self.chat_id} within "
                    f"{timeout}s, got {len(changed)}: {[m.plain for m in changed]}"
                )
            await self._wait(version, remaining)

    async def settle(
        self,
        quiet: float | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> list[SentMessage]:
        """Wait until the bot has finished; return what changed in this chat since last look.

        When the bot runs in the sandbox's process and told it how to tell (tests, the
        demo), "finished" is an event: every update handled and no dispatch tick running.
        Otherwise, or when `quiet` is given too, it also waits until the chat has been
        quiet for `quiet` seconds (0.3 by default)."""
        idle = await self.client.idle(timeout)
        if quiet is None:
            quiet = 0.0 if idle else 0.3
        if quiet > 0:
            await self._quiet(quiet, limit=timeout)
        version, messages = await self._state()
        changed = [m for m in messages if m.version > self._mark]
        self._mark = max(self._mark, version)
        return changed

    async def _quiet(self, quiet: float, *, limit: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        version, _ = await self._state()
        while (newer := await self._wait(version, quiet)) > version:
            version = newer
            if loop.time() > deadline:
                raise AssertionError(f"chat {self.chat_id} never went quiet in {limit}s")

    async def _state(self) -> tuple[int, list[SentMessage]]:
        path = f"/sandbox/chats/{self.chat_id}/state"
        data = (await self.client.request("GET", path)).json()
        return int(data["version"]), [SentMessage.from_dict(m) for m in data["messages"]]

    async def _wait(self, after_version: int, seconds: float) -> int:
        """Server-side long poll: returns the chat version once it moves past after_version."""
        response = await self.client.request(
            "GET",
            f"/sandbox/chats/{self.chat_id}/wait",
            params={"after_version": after_version, "timeout": seconds},
            http_timeout=seconds + 10.0,
        )
        return int(response.json()["version"])
