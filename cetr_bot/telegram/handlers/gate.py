"""Before every other handler (group -2): private chats only, and edits are not input.

In a group or channel the bot says one neutral line and leaves; a button pressed on
a message there is answered with nothing and changes nothing. An edited message is
never taken as a new answer or a new /start: it gets one note on how to change things.
"""

from __future__ import annotations

import contextlib
import logging

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from cetr_bot.services import preparation
from cetr_bot.telegram.replies import Context, actor_of, say, services, texts

log = logging.getLogger(__name__)

JOINED = frozenset({ChatMember.MEMBER, ChatMember.ADMINISTRATOR})


async def gate(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        await _outside_private(update, context, chat.id, chat.type)
        raise ApplicationHandlerStop
    if update.edited_message is not None:
        await _edited(update, context)
        raise ApplicationHandlerStop


async def _outside_private(update: Update, context: Context, chat_id: int, kind: str) -> None:
    query = update.callback_query
    if query is not None:
        log.info("ignored a button press in %s chat %s", kind, chat_id)
        with contextlib.suppress(TelegramError):
            await query.answer()
        return
    if not _worth_leaving(update):
        return
    log.info("leaving %s chat %s", kind, chat_id)
    with contextlib.suppress(TelegramError):  # a channel may not let us post
        await context.bot.send_message(chat_id, texts(context).render("general/private_only"))
    with contextlib.suppress(TelegramError):
        await context.bot.leave_chat(chat_id)


def _worth_leaving(update: Update) -> bool:
    """Something was said there, or we were just added; not our own leaving echoed back."""
    if update.effective_message is not None:
        return True
    member = update.my_chat_member
    return member is not None and member.new_chat_member.status in JOINED


async def _edited(update: Update, context: Context) -> None:
    actor = actor_of(update)
    log.info("edited message from user %s not taken as input", actor.telegram_user_id)
    preparing = bool(await preparation.prepared_memberships(services(context), actor))
    await say(update, context, "general/edited", preparing=preparing)
