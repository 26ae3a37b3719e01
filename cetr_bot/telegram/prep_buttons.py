"""The "pr:" buttons of the walk-through, consent and concerns: labels and data."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Template
from telegram import InlineKeyboardButton

from cetr_bot.notifications.keyboards import data
from cetr_bot.parsing import parse_id
from cetr_bot.services.errors import Invalid
from cetr_bot.telegram.replies import Context, texts
from cetr_bot.text import Texts

PREFIX = "pr"


def ints(args: list[str], count: int) -> list[int]:
    """The first `count` arguments as ids; anything else is a button we never made."""
    ids = [parse_id(a, prefixes="") for a in args[:count]]
    if len(ids) < count or any(i is None for i in ids):
        raise Invalid("stale_button")
    return [i for i in ids if i is not None]


def label(t: Texts, key: str, **params: Any) -> str:
    """A [prep_buttons] label; compiled once, as a question is shown on every update."""
    return label_template(t, key).render(**params)


@lru_cache(maxsize=256)
def label_template(t: Texts, key: str) -> Template:
    return t.plain_env.from_string(str(t.labels["prep_buttons"][key]))


def button(context: Context, key: str, *parts: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label(texts(context), key), callback_data=data(PREFIX, *parts))
