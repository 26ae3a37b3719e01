"""The command menus (setMyCommands): a short one for everyone, a full one for coordinators."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import TelegramError

from cetr_bot.services import teams
from cetr_bot.services.context import Actor, Services
from cetr_bot.text import Texts, languages

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
    "cancel",
    "language",
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


def everyone_menu(texts: Texts) -> list[BotCommand]:
    return [BotCommand(c, texts.label(f"commands.{c}")) for c in EVERYONE_COMMANDS]


async def publish_menus(bot: Bot, texts: Texts) -> None:
    """Everyone's menu in English, and in each shipped language for Telegram apps set to
    it (Telegram picks the menu by the app's language_code when a chat has none of its own)."""
    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(everyone_menu(texts), scope=scope)
    for code in languages()[1:]:
        await bot.set_my_commands(
            everyone_menu(texts.variant(language=code)), scope=scope, language_code=code
        )


async def refresh_menu(bot: Bot, svc: Services, texts: Texts, actor: Actor) -> None:
    """This person's own menu in their language (after /language): the coordinator's or
    administrator's full one, else everyone's."""
    if actor.telegram_user_id is None:
        return
    coordinator, admin = await svc.is_coordinator(actor), await teams.is_admin(svc, actor)
    if coordinator or admin:
        await set_coordinator_menu(
            bot, texts, actor.telegram_user_id, coordinator=coordinator, admin=admin
        )
        return
    try:
        await bot.set_my_commands(
            everyone_menu(texts), scope=BotCommandScopeChat(actor.telegram_user_id)
        )
    except TelegramError:
        log.info("could not set the menu for user %s", actor.telegram_user_id)
