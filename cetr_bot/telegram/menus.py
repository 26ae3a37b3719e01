"""The command menus (setMyCommands): a short one for everyone, a full one for coordinators."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from cetr_bot.text import Texts

log = logging.getLogger(__name__)

EVERYONE_COMMANDS = (
    "start",
    "help",
    "attend",
    "myactions",
    "actions",
    "digest",
    "prepare",
    "feedback",
    "myfeedback",
    "consent",
    "concern",
    "mydata",
    "forgetme",
    "needs",
    "questions",
    "cancel",
    "web",
)
COORDINATOR_COMMANDS = (
    "newreview",
    "reviews",
    "review",
    "invite",
    "reschedule",
    "cancelreview",
    "held",
    "addaction",
    "reportsent",
    "bestinterests",
    "approve",
    "pack",
    "writefeedback",
    "dsr",
)

ADMIN_COMMANDS = ("team", "coordinator", "admin")


async def set_coordinator_menu(
    bot: Bot, texts: Texts, user_id: int, *, coordinator: bool = True, admin: bool = False
) -> None:
    """The coordinator's (and/or administrator's) own menu; also set when they open the chat."""
    names = EVERYONE_COMMANDS + (COORDINATOR_COMMANDS if coordinator else ())
    names += ADMIN_COMMANDS if admin else ()
    full = [BotCommand(c, texts.label(f"commands.{c}")) for c in names]
    try:
        await bot.set_my_commands(full, scope=BotCommandScopeChat(user_id))
    except TelegramError:
        # Telegram refuses a chat scope until the user has opened the chat.
        log.info("could not set the coordinator menu for user %s yet", user_id)
