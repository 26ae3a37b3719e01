"""Builds the python-telegram-bot Application: one place for handler registration."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import BotCommand, BotCommandScopeAllPrivateChats, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from cetr_bot.scheduling import dispatcher
from cetr_bot.scheduling.delivery import SharedRateLimiter
from cetr_bot.services import teams
from cetr_bot.services.context import Services
from cetr_bot.services.errors import ServiceError
from cetr_bot.telegram.handlers import (
    actions,
    admin,
    attendance,
    common,
    coordinator,
    deputies,
    feedback,
    gate,
    pack,
    preparation,
    review_feedback,
)
from cetr_bot.telegram.menus import EVERYONE_COMMANDS, set_coordinator_menu
from cetr_bot.telegram.replies import Context
from cetr_bot.telegram.updates import PerPersonProcessor
from cetr_bot.text import Texts

log = logging.getLogger(__name__)

Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


def guarded(handler: Handler) -> Handler:
    """Turn a service's refusal (not allowed, not found, invalid) into a kind reply."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: Context) -> None:
        try:
            await handler(update, context)
        except ServiceError as error:
            await coordinator.refuse(update, context, error)

    return wrapper


def build_application(svc: Services, texts: Texts) -> Application:
    settings = svc.settings
    if not settings.bot_token:
        raise ValueError("BOT_TOKEN is not set")
    api = settings.telegram_api_url
    app = (
        Application.builder()
        .token(settings.bot_token.get_secret_value())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        # Stay inside Telegram's flood limits rather than hit them.
        .rate_limiter(SharedRateLimiter(max_retries=2))
        # Different people at once, each person's updates in order (telegram/updates.py).
        .concurrent_updates(PerPersonProcessor())
        .build()
    )
    app.bot_data["services"] = svc
    app.bot_data["texts"] = texts
    register_handlers(app)
    dispatcher.install(app, svc)
    return app


def register_handlers(app: Application) -> None:
    # Edited messages never reach a command or text handler (see handlers/gate.py).
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    commands: dict[str, Handler] = {
        "start": common.start,
        "help": common.help_command,
        "cancel": common.cancel,
        "newreview": coordinator.newreview,
        "reviews": coordinator.list_reviews,
        "review": coordinator.show_review,
        "invite": coordinator.invite,
        "reschedule": coordinator.reschedule,
        "cancelreview": coordinator.cancel_review,
    }
    for name, handler in commands.items():
        app.add_handler(CommandHandler(name, guarded(handler), filters=private))
    buttons: dict[str, Handler] = {
        "nr": coordinator.newreview_button,
        "rv": coordinator.review_button,
        "inv": coordinator.invite_button,
        "rs": coordinator.reschedule_button,
        "cx": coordinator.cancel_button,
    }
    for prefix, handler in buttons.items():
        app.add_handler(CallbackQueryHandler(guarded(handler), pattern=f"^{prefix}(:|$)"))
    # Each capability registers its own commands and buttons, before the catch-alls.
    preparation.register(app)
    attendance.register(app)
    actions.register(app, guarded)
    pack.register(app, guarded)
    feedback.register(app, guarded)
    review_feedback.register(app, guarded)
    admin.register(app, guarded)
    deputies.register(app, guarded)
    app.add_handler(CallbackQueryHandler(guarded(coordinator.unknown_button)))
    app.add_handler(MessageHandler(private & filters.COMMAND, guarded(common.unknown_command)))
    app.add_handler(MessageHandler(private & filters.TEXT, guarded(common.on_text)))
    app.add_handler(MessageHandler(private & ~filters.TEXT, guarded(common.on_other)))
    app.add_error_handler(common.on_error)
    # First of all (group -2): private chats only, and edits are not new input.
    app.add_handler(TypeHandler(Update, gate.gate), group=-2)
    # Then (group -1): a message from someone who had blocked us.
    app.add_handler(TypeHandler(Update, common.note_seen), group=-1)


async def on_startup(app: Application) -> None:
    """Learn our username (for invite links) and publish the command menus."""
    svc: Services = app.bot_data["services"]
    svc.bot_username = app.bot.username
    everyone = [BotCommand(c, _describe(app, c)) for c in EVERYONE_COMMANDS]
    await app.bot.set_my_commands(everyone, scope=BotCommandScopeAllPrivateChats())
    for user_id in await teams.all_coordinators(svc):
        await set_coordinator_menu(app.bot, app.bot_data["texts"], user_id)


def _describe(app: Application, command: str) -> str:
    texts: Texts = app.bot_data["texts"]
    return texts.label(f"commands.{command}")
