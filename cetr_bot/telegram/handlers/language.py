"""/language: the person chooses the language the bot writes to them in.

The first guess is Telegram's own (the app's language, when we ship it); the choice is
stored with the person, so every process, the reminders and the web pages use it.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from cetr_bot.notifications.callbacks import ChooseLanguage
from cetr_bot.services import people
from cetr_bot.services.errors import ServiceError
from cetr_bot.telegram import menus
from cetr_bot.telegram.replies import (
    Context,
    actor_of,
    callback_data,
    guarded,
    read_as,
    refuse,
    say,
    services,
    settle_button,
    texts,
)
from cetr_bot.text import languages


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("language", guarded(choose), filters=private))
    app.add_handler(CallbackQueryHandler(guarded(chosen), pattern=rf"^{ChooseLanguage.PREFIX}:"))


async def choose(update: Update, context: Context) -> None:
    t = texts(context)
    buttons = [
        [
            InlineKeyboardButton(
                t.variant(language=code).label("language.name"),
                callback_data=ChooseLanguage(code).pack(),
            )
        ]
        for code in languages()
    ]
    await say(update, context, "language/choose", keyboard=InlineKeyboardMarkup(buttons))


async def chosen(update: Update, context: Context) -> None:
    try:
        press = ChooseLanguage.parse(callback_data(update))
        await people.set_language(services(context), actor_of(update), language=press.code)
    except ServiceError as error:
        await refuse(update, context, error)
        return
    await settle_button(update)
    await read_as(update, context)  # from this reply on, in the new language
    await menus.refresh_menu(context.bot, services(context), texts(context), actor_of(update))
    await say(update, context, "language/set")
