"""Validation of reply markup and bot commands, with Telegram's error wording."""

from __future__ import annotations

import re
from typing import Any

from .errors import ApiError

__all__ = ["inline_buttons", "validate_commands", "validate_reply_markup"]

# An inline button must carry exactly one of these action fields.
_ACTION_FIELDS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_URL_RE = re.compile(r"^(https?|tg)://\S+$", re.IGNORECASE)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def validate_reply_markup(markup: object) -> dict[str, Any]:
    """Accept the four markup kinds Telegram knows; raise ApiError otherwise."""
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _validate_inline(markup["inline_keyboard"])
    elif "keyboard" in markup:
        _validate_reply_keyboard(markup["keyboard"])
    elif markup.get("remove_keyboard") is not True and markup.get("force_reply") is not True:
        raise _bad("can't parse reply keyboard markup JSON object")
    return markup


def _validate_inline(rows: object) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    for row in rows:
        for button in row:
            _validate_inline_button(button)


def _validate_inline_button(button: object) -> None:
    if not isinstance(button, dict):
        raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _bad("can't parse inline keyboard button: Text must be non-empty")
    actions = [name for name in _ACTION_FIELDS if name in button]
    if not actions:
        raise _bad(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise _bad(
            "can't parse inline keyboard button: exactly one of the optional fields must be used"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        # The 64 limit is in bytes, so non-ASCII data runs out sooner than expected.
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
            raise _bad("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not _URL_RE.match(url):
            raise _bad("BUTTON_URL_INVALID")
    if "web_app" in button:
        app = button["web_app"]
        url = app.get("url") if isinstance(app, dict) else None
        if not isinstance(url, str) or not url.lower().startswith("https://"):
            raise _bad(
                f"inline keyboard button Web App URL '{url}' is invalid: "
                "Only HTTPS links are allowed"
            )


def _validate_reply_keyboard(rows: object) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
    for row in rows:
        for button in row:
            text = button.get("text") if isinstance(button, dict) else button
            if not isinstance(text, str) or not text:
                raise _bad("can't parse keyboard button: Text must be non-empty")


def inline_buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    """All inline buttons of a markup, flattened (empty for other markup kinds)."""
    if not markup or "inline_keyboard" not in markup:
        return []
    return [button for row in markup["inline_keyboard"] for button in row]


def validate_commands(commands: object) -> list[dict[str, str]]:
    """setMyCommands rules: <=100 commands, lowercase names, 1-256 char descriptions."""
    if not isinstance(commands, list):
        raise _bad("can't parse commands JSON object")
    if len(commands) > 100:
        raise _bad("BOT_COMMANDS_TOO_MUCH")
    result: list[dict[str, str]] = []
    for item in commands:
        if not isinstance(item, dict):
            raise _bad("can't parse BotCommand")
        name = item.get("command")
        description = item.get("description")
        if not isinstance(name, str) or not _COMMAND_RE.match(name):
            raise _bad("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not description.strip() or len(description) > 256:
            raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        result.append({"command": name, "description": description})
    return result
