"""The Bot API methods the sandbox implements, with Telegram's validation rules."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .errors import ApiError
from .html_check import HtmlParseError, ParsedText, parse_text
from .markup import inline_buttons, validate_commands, validate_reply_markup
from .media import StoredFile, guess_mime
from .params import Params, Upload
from .state import BotMessage, SandboxState, Webhook

__all__ = ["BotApi", "Call"]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
UPLOAD_LIMIT = 50 * 1024 * 1024  # Bot API limit for files sent by bots
_STATUS_TEXT = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_GLOBAL_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
    }
)
_CHAT_SCOPES = frozenset({"chat", "chat_administrators", "chat_member"})
_MENU_TYPES = frozenset({"commands", "web_app", "default"})


_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Call:
    """One Bot API invocation: which bot (from the token) and its parameters."""

    bot_id: int
    params: Params


Handler = Callable[[Call], Awaitable[Any]]


class BotApi:
    """Dispatches Bot API method names (case-insensitive, like Telegram) to handlers."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "sendMessage": self.send_message,
            "sendDocument": self.send_document,
            "editMessageText": self.edit_message_text,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "leaveChat": self.leave_chat,
            "getFile": self.get_file,
            "sendChatAction": self.send_chat_action,
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
            "logOut": self.ok,
            "close": self.ok,
        }
        self._handlers = {name.lower(): handler for name, handler in handlers.items()}

    def knows(self, method: str) -> bool:
        return method.lower() in self._handlers

    async def dispatch(self, bot_id: int, method: str, params: Params) -> Any:
        """Run one method; fail_next faults fire before anything is processed."""
        handler = self._handlers.get(method.lower())
        if handler is None:
            raise ApiError(404, "Not Found")
        status = self.state.faults.take_failure(method)
        if status is not None:
            raise ApiError(status, _STATUS_TEXT.get(status, "Internal Server Error"))
        return await handler(Call(bot_id, params))

    # ----- shared checks ------------------------------------------------------------

    def _admit(self, chat_id: int) -> None:
        """Blocked users and flood control apply to every send and edit."""
        if chat_id in self.state.faults.blocked_chats:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.state.left_chats:
            raise ApiError(403, "Forbidden: bot is not a member of the group chat")
        self.state.rate.admit(self.state.faults, chat_id)

    def _message_text(self, p: Params) -> tuple[str, str | None, ParsedText]:
        text = p.get_text("text")
        if not text:
            raise _bad("message text is empty")
        parse_mode = p.get_text("parse_mode") or None
        parsed = _parse(text, parse_mode, p)
        if not parsed.text.strip():
            raise _bad("message text is empty")
        if parsed.length > TEXT_LIMIT:
            raise _bad("message is too long")
        return text, parse_mode, parsed

    def _caption(self, p: Params) -> tuple[str | None, str | None, ParsedText | None]:
        caption = p.get_text("caption") or None
        parse_mode = p.get_text("parse_mode") or None
        if caption is None:
            return None, parse_mode, None
        parsed = _parse(caption, parse_mode, p)
        if parsed.length > CAPTION_LIMIT:
            raise _bad("message caption is too long")
        return caption, parse_mode, parsed

    def _check_reply(self, p: Params, chat_id: int) -> None:
        """Replying to a missing message fails unless allow_sending_without_reply is set."""
        reply = p.get_json("reply_parameters", "can't parse reply parameters JSON object") or {}
        if not isinstance(reply, dict):
            raise _bad("can't parse reply parameters JSON object")
        reply_params = Params({**p.values, **reply})
        target = reply_params.get_int("message_id" if reply else "reply_to_message_id")
        if target is None or reply_params.get_flag("allow_sending_without_reply"):
            return
        if not self.state.message_exists(chat_id, target):
            raise _bad("message to be replied not found")

    def _editable(self, call: Call) -> tuple[BotMessage, dict[str, Any]]:
        p = call.params
        if p.get_text("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")  # the sandbox has no inline messages
        chat_id = p.chat_id()
        chat = self.state.chat(chat_id)
        message_id = p.get_int("message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        message = self.state.bot_message(chat_id, message_id)
        if message is None or message.deleted or message.bot_id != call.bot_id:
            raise _bad("message to edit not found")
        return message, chat

    def _reply(self, message: BotMessage, chat: dict[str, Any]) -> dict[str, Any]:
        return message.telegram(self.state.bot_user(message.bot_id), chat)

    # ----- identity, updates, webhook -------------------------------------------------

    async def ok(self, call: Call) -> bool:
        return True

    async def get_me(self, call: Call) -> dict[str, Any]:
        return {
            **self.state.bot_user(call.bot_id),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, call: Call) -> list[dict[str, Any]]:
        p = call.params
        if self.state.webhook is not None:
            await self.state.poll_updates(0, 0)  # raises Telegram's 409 Conflict
        offset = p.get_int("offset")
        if offset:
            self.state.confirm_updates(offset)
        limit = min(max(p.get_int("limit") or 100, 1), 100)
        timeout = max(p.get_int("timeout") or 0, 0)
        p.get_json("allowed_updates")  # accepted (and must be valid JSON) but not filtered
        return await self.state.poll_updates(limit, timeout)

    async def set_webhook(self, call: Call) -> bool:
        p = call.params
        url = p.get_text("url") or ""
        if not url:
            return await self.delete_webhook(call)
        if not url.startswith(("http://", "https://")):
            # Telegram wants https; the sandbox also takes http, for local bots.
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.get_text("secret_token") or None
        if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
            raise _bad("secret token contains unallowed characters")
        connections = p.get_int("max_connections") or 40
        if not 1 <= connections <= 100:
            raise _bad("bad webhook: max_connections must be between 1 and 100")
        allowed = p.get_json("allowed_updates")
        if p.get_flag("drop_pending_updates"):
            self.state.drop_updates()
        self.state.set_webhook(
            Webhook(url, secret, connections, allowed if isinstance(allowed, list) else None)
        )
        return True

    async def delete_webhook(self, call: Call) -> bool:
        if call.params.get_flag("drop_pending_updates"):
            self.state.drop_updates()
        self.state.set_webhook(None)
        return True

    async def get_webhook_info(self, call: Call) -> dict[str, Any]:
        hook = self.state.webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": self.state.pending_update_count,
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if hook.allowed_updates is not None:
                info["allowed_updates"] = hook.allowed_updates
            if self.state.webhook_last_error is not None:
                info["last_error_date"], info["last_error_message"] = self.state.webhook_last_error
        return info

    # ----- commands and menu --------------------------------------------------------------

    def _scope_key(self, p: Params) -> str:
        """Commands are stored per (scope, language), like Telegram does."""
        scope = p.get_json("scope", "can't parse BotCommandScope JSON object")
        scope = scope or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _GLOBAL_SCOPES | _CHAT_SCOPES:
            raise _bad("can't parse BotCommandScope JSON object")
        key = str(scope["type"])
        if key in _CHAT_SCOPES:
            chat_id = Params({"chat_id": scope.get("chat_id")}).chat_id()
            self.state.chat(chat_id)
            key = f"{key}:{chat_id}"
            if scope["type"] == "chat_member":
                key += f":{Params(scope).get_int('user_id')}"
        language = p.get_text("language_code")
        return f"{key}/{language}" if language else key

    async def set_my_commands(self, call: Call) -> bool:
        commands = validate_commands(call.params.get_json("commands"))
        key = self._scope_key(call.params)
        if commands:
            self.state.commands[key] = commands
        else:
            self.state.commands.pop(key, None)
        return True

    async def get_my_commands(self, call: Call) -> list[dict[str, str]]:
        return list(self.state.commands.get(self._scope_key(call.params), []))

    async def delete_my_commands(self, call: Call) -> bool:
        self.state.commands.pop(self._scope_key(call.params), None)
        return True

    def _menu_key(self, p: Params) -> str:
        if p.values.get("chat_id") in (None, ""):
            return "default"
        chat_id = p.chat_id()
        self.state.chat(chat_id)
        return str(chat_id)

    async def set_chat_menu_button(self, call: Call) -> bool:
        key = self._menu_key(call.params)
        button = call.params.get_json("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in _MENU_TYPES:
            raise _bad("can't parse menu button JSON object")
        self.state.menu_buttons[key] = button
        return True

    async def get_chat_menu_button(self, call: Call) -> dict[str, Any]:
        buttons = self.state.menu_buttons
        key = self._menu_key(call.params)
        return buttons.get(key) or buttons.get("default") or {"type": "default"}

    # ----- sending ------------------------------------------------------------------------

    async def send_message(self, call: Call) -> dict[str, Any]:
        p = call.params
        chat_id = p.chat_id()
        chat = self.state.chat(chat_id)
        text, parse_mode, parsed = self._message_text(p)
        markup = _markup(p)
        _check_web_app_buttons(markup, chat)
        self._check_reply(p, chat_id)
        self._admit(chat_id)
        message = BotMessage(
            chat_id,
            self.state.next_message_id(chat_id),
            call.bot_id,
            int(time.time()),
            text=text,
            parse_mode=parse_mode,
            parsed=parsed,
            reply_markup=markup,
            protect_content=p.get_flag("protect_content"),
        )
        return self._reply(self.state.store_bot_message(message), chat)

    async def send_document(self, call: Call) -> dict[str, Any]:
        p = call.params
        chat_id = p.chat_id()
        chat = self.state.chat(chat_id)
        source = self._document_source(p.file("document"))
        caption, parse_mode, parsed = self._caption(p)
        markup = _markup(p)
        _check_web_app_buttons(markup, chat)
        self._check_reply(p, chat_id)
        self._admit(chat_id)
        stored = source if isinstance(source, StoredFile) else self._store_upload(source, p)
        message = BotMessage(
            chat_id,
            self.state.next_message_id(chat_id),
            call.bot_id,
            int(time.time()),
            caption=caption,
            parse_mode=parse_mode,
            parsed=parsed,
            reply_markup=markup,
            document=stored,
            protect_content=p.get_flag("protect_content"),
        )
        return self._reply(self.state.store_bot_message(message), chat)

    def _document_source(self, source: Upload | str | None) -> Upload | StoredFile:
        """An upload, or an existing file re-sent by file_id."""
        if isinstance(source, Upload):
            if not source.data:
                raise _bad("file must be non-empty")
            if len(source.data) > UPLOAD_LIMIT:
                raise ApiError(413, "Request Entity Too Large")
            return source
        if not source:
            raise _bad("there is no document in the request")
        known = self.state.file_by_id(source)
        if known is not None:
            return known
        if source.startswith(("http://", "https://")):
            raise _bad("failed to get HTTP URL content")  # the sandbox is offline
        raise _bad("wrong file identifier/HTTP URL specified")

    def _store_upload(self, upload: Upload, p: Params) -> StoredFile:
        name = upload.filename or p.get_text("filename") or "document"
        mime = guess_mime(name, upload.content_type)
        return self.state.add_file("documents", name, mime, upload.data)

    async def send_chat_action(self, call: Call) -> bool:
        p = call.params
        chat_id = p.chat_id()
        self.state.chat(chat_id)
        if p.get_text("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        if chat_id in self.state.faults.blocked_chats:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        self.state.bump(chat_id)  # counts as activity for settle(), sends nothing
        return True

    # ----- editing and deleting -------------------------------------------------------------

    async def edit_message_text(self, call: Call) -> dict[str, Any]:
        message, chat = self._editable(call)
        if message.document is not None:
            raise _bad("there is no text in the message to edit")
        text, parse_mode, parsed = self._message_text(call.params)
        # Omitting reply_markup removes the inline keyboard, exactly as on Telegram.
        markup = _markup(call.params, inline_only=True)
        if _same_content(message, parsed, markup):
            raise _not_modified()
        self._admit(message.chat_id)
        message.text, message.parse_mode, message.parsed = text, parse_mode, parsed
        message.reply_markup = markup
        self._mark_edited(message)
        return self._reply(message, chat)

    async def edit_message_reply_markup(self, call: Call) -> dict[str, Any]:
        message, chat = self._editable(call)
        markup = _markup(call.params, inline_only=True)
        if markup == _inline_markup(message):
            raise _not_modified()
        self._admit(message.chat_id)
        message.reply_markup = markup
        self._mark_edited(message)
        return self._reply(message, chat)

    def _mark_edited(self, message: BotMessage) -> None:
        message.edited = True
        message.edit_date = int(time.time())
        self.state.touch(message)

    async def delete_message(self, call: Call) -> bool:
        p = call.params
        chat_id = p.chat_id()
        self.state.chat(chat_id)
        message_id = p.get_int("message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        message = self.state.bot_message(chat_id, message_id)
        if message is not None and not message.deleted:
            message.deleted = True
            self.state.touch(message)
            return True
        if self.state.forget_user_message(chat_id, message_id):
            return True  # bots may delete incoming messages in private chats
        raise _bad("message to delete not found")

    # ----- callback queries and files ----------------------------------------------------------

    async def answer_callback_query(self, call: Call) -> bool:
        p = call.params
        text = p.get_text("text")
        if text and len(text) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        answer = {
            "text": text,
            "show_alert": p.get_flag("show_alert"),
            "url": p.get_text("url"),
            "cache_time": p.get_int("cache_time") or 0,
        }
        self.state.answer_query(p.get_text("callback_query_id") or "", answer)
        return True

    async def leave_chat(self, call: Call) -> bool:
        chat_id = call.params.chat_id()
        self.state.chat(chat_id)
        self.state.leave(chat_id)
        return True

    async def get_file(self, call: Call) -> dict[str, Any]:
        stored = self.state.file_by_id(call.params.get_text("file_id") or "")
        if stored is None:
            raise _bad("invalid file_id")
        return stored.file()


def _parse(text: str, parse_mode: str | None, p: Params) -> ParsedText:
    """Parse formatted text, turning parser errors into Telegram's 400s."""
    try:
        parsed = parse_text(text, parse_mode)
    except HtmlParseError as exc:
        raise _bad(f"can't parse entities: {exc}") from None
    except ValueError:
        raise _bad("unsupported parse_mode") from None
    if parse_mode is None:
        entities = p.get_json("entities") or p.get_json("caption_entities")
        if isinstance(entities, list):
            parsed.entities = entities  # explicit entities instead of a parse mode
    return parsed


def _markup(p: Params, *, inline_only: bool = False) -> dict[str, Any] | None:
    raw = p.get_json("reply_markup", "can't parse reply keyboard markup JSON object")
    if raw is None:
        return None
    markup = validate_reply_markup(raw)
    if inline_only and "inline_keyboard" not in markup:
        raise _bad("inline keyboard expected")
    return markup


def _check_web_app_buttons(markup: dict[str, Any] | None, chat: dict[str, Any]) -> None:
    """Mini App (web_app) buttons are allowed in private chats only, as on Telegram."""
    if chat.get("type") != "private" and any("web_app" in b for b in inline_buttons(markup)):
        raise _bad("BUTTON_TYPE_INVALID")


def _inline_markup(message: BotMessage) -> dict[str, Any] | None:
    markup = message.reply_markup
    return markup if markup and "inline_keyboard" in markup else None


def _same_content(message: BotMessage, parsed: ParsedText, markup: dict[str, Any] | None) -> bool:
    current = message.parsed or ParsedText("")
    return (
        current.text == parsed.text
        and current.entities == parsed.entities
        and _inline_markup(message) == markup
    )


def _not_modified() -> ApiError:
    return _bad(
        "message is not modified: specified new message content and reply markup are "
        "exactly the same as a current content and reply markup of the message"
    )
