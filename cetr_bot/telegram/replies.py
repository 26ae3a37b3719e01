"""Thin helpers shared by the handlers: who is asking, and how to answer."""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from cetr_bot.notifications import keyboards
from cetr_bot.notifications.delivery_policy import Content, Delivery, deliver
from cetr_bot.services import people
from cetr_bot.services.context import Actor, Services, audit
from cetr_bot.services.errors import ServiceError
from cetr_bot.text import Texts

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


def services(context: Context) -> Services:
    return context.application.bot_data["services"]


def texts(context: Context) -> Texts:
    """The messages as this update's sender reads them (language, easy-read): chosen
    once per update by `read_as`, before any other handler; else the defaults."""
    chosen = vars(context).get(_READER_TEXTS)
    return chosen if chosen is not None else context.application.bot_data["texts"]


_READER_TEXTS = "cetr_reader_texts"


def base_texts(context: Context) -> Texts:
    """The default messages (English, not easy-read): for someone other than the sender,
    such as the coordinator's copy of an alert, never in the sender's words."""
    return context.application.bot_data["texts"]


async def read_as(update: Update, context: Context) -> people.Reader | None:
    """Look up how the sender reads and keep their Texts for this update's handlers.
    Called again after something that changes it (joining, /language)."""
    user = update.effective_user
    if user is None:
        return None
    reader = await people.reader(services(context), user.id, language_code=user.language_code)
    defaults: Texts = context.application.bot_data["texts"]
    vars(context)[_READER_TEXTS] = defaults.variant(language=reader.language, easy=reader.easy_read)
    return reader


def actor_of(update: Update) -> Actor:
    user, chat = update.effective_user, update.effective_chat
    return Actor(
        telegram_user_id=user.id if user else 0,
        chat_id=chat.id if chat else None,
        first_name=user.first_name if user else None,
        language_code=user.language_code if user else None,
    )


async def say(
    update: Update,
    context: Context,
    template: str,
    /,
    *,
    keyboard: InlineKeyboardMarkup | None = None,
    protect: bool = False,
    **params: Any,
) -> Message:
    """Send messages/<template>.html to the chat the update came from; `protect`: with
    protect_content (sensitive content, see notifications/delivery_policy.py)."""
    chat = update.effective_chat
    assert chat is not None
    return await context.bot.send_message(
        chat.id,
        texts(context).render(template, **params),
        reply_markup=keyboard,
        link_preview_options=None,
        protect_content=True if protect else None,
    )


def delivery(context: Context, content: Content, review_id: int) -> Delivery:
    """The delivery policy for this content: a page link, or the content itself, protected."""
    return deliver(services(context).settings, content, review_id)


async def say_page(
    update: Update,
    context: Context,
    template: str,
    /,
    content: Content,
    url: str,
    *,
    easy: bool = False,
    then: InlineKeyboardMarkup | None = None,
    **params: Any,
) -> Message:
    """A discreet messages/<template>.html with the button to the page holding the content."""
    chat = update.effective_chat
    assert chat is not None
    keyboard = keyboards.open_page(
        texts(context),
        content,
        url,
        private_chat=chat.type == ChatType.PRIVATE,
        easy=easy,
        then=then,
    )
    return await say(update, context, template, keyboard=keyboard, protect=True, **params)


async def say_error(update: Update, context: Context, error: ServiceError) -> Message:
    return await say(update, context, f"errors/{error.key}", **error.params)


async def settle_button(update: Update) -> None:
    """Answer the button press and take the buttons off its message, so an old
    question's buttons cannot be pressed twice."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    if query.message is not None:
        try:
            await query.edit_message_reply_markup(reply_markup=None)
        except BadRequest:
            log.debug("buttons already gone on update %s", update.update_id)


def callback_data(update: Update) -> str:
    """The pressed button's data, for a codec in notifications.callbacks to parse."""
    query = update.callback_query
    return (query.data or "") if query else ""


async def refuse(update: Update, context: Context, error: ServiceError) -> None:
    """A service said no: answer the press (if any) and say why, kindly."""
    query = update.callback_query
    if query is not None:
        with contextlib.suppress(BadRequest):  # the press may have been answered already
            await query.answer()
        async with services(context).db.transaction() as session:
            audit(
                session,
                "refused_button",
                actor=actor_of(update),
                reason=error.key,
                data=(query.data or "")[:64],
            )
        log.warning("refused button from user %s: %s", actor_of(update).telegram_user_id, error.key)
    await say_error(update, context, error)


def guarded(handler: Handler) -> Handler:
    """Turn a service's refusal (not allowed, not found, invalid) into a kind reply."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: Context) -> None:
        try:
            await handler(update, context)
        except ServiceError as error:
            await refuse(update, context, error)

    return wrapper


def rest_of(update: Update) -> str:
    """The message after its /command, newlines kept."""
    text = update.effective_message.text if update.effective_message else None
    parts = re.split(r"\s+", text or "", maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""
