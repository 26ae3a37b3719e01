"""The labels of the "pr:" buttons (walk-through, consent, concerns); their data is
packed and parsed by the codecs in cetr_bot.notifications.callbacks."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Template
from telegram import InlineKeyboardButton

from cetr_bot.notifications.callbacks import PrepButton
from cetr_bot.telegram.replies import Context, texts
from cetr_bot.text import Texts


def label(t: Texts, key: str, **params: Any) -> str:
    """A [prep_buttons] label; compiled once, as a question is shown on every update."""
    return label_template(t, key).render(**params)


@lru_cache(maxsize=256)
def label_template(t: Texts, key: str) -> Template:
    return t.plain_env.from_string(str(t.labels["prep_buttons"][key]))


def button(context: Context, key: str, pressed: PrepButton) -> InlineKeyboardButton:
    return InlineKeyboardButton(label(texts(context), key), callback_data=pressed.pack())
