"""Builds the python-telegram-bot Application: one place for handler registration."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from cetr_bot.scheduling import dispatcher, retention_job
from cetr_bot.scheduling.delivery import TIMEOUTS, SharedRateLimiter
from cetr_bot.services import people, teams
from cetr_bot.services.context import Services
from cetr_bot.telegram.handlers import (
    actions,
    admin,
    attendance,
    best_interests,
    common,
    concern,
    consent,
    coordinator,
    deputies,
    dsr,
    feedback,
    gate,
    language,
    my_data,
    pack,
    preparation,
    review_feedback,
    web_signin,
)
from cetr_bot.telegram.menus import publish_menus, set_coordinator_menu
from cetr_bot.telegram.replies import guarded
from cetr_bot.telegram.updates import PerPersonProcessor
from cetr_bot.text import Texts

log = logging.getLogger(__name__)

# Each capability registers its own commands and buttons, before the catch-alls.
CAPABILITIES = (
    common,
    coordinator,
    preparation,
    consent,
    best_interests,
    concern,
    attendance,
    actions,
    pack,
    feedback,
    review_feedback,
    admin,
    deputies,
    dsr,
    web_signin,
    my_data,
    language,
)

# Typed text (not a command) goes to the first of these that takes it. A guided flow
# waiting for this user comes first, because they were just asked its question: the
# coordinator's (new review, reschedule), an action's (new action, an owner's update),
# the young person's feedback or question. Then the feedback form's text question, and
# last the preparation walk-through, which takes any text as the answer to its current
# question. Nobody: a kind pointer (handlers/common.py router).
TEXT_ROUTES = (
    dsr.typed_text,
    coordinator.typed_text,
    actions.typed_text,
    review_feedback.typed_text,
    feedback.typed_text,
    preparation.typed_text,
)
# Stickers, photos, voice...: a waiting flow asks again for text; else the walk-through
# (which takes voice notes for some questions) has them.
MEDIA_ROUTES = (coordinator.media, preparation.media)


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
        # Every message is Telegram HTML; times without a zone are London's.
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.zone))
        # Stay inside Telegram's flood limits rather than hit them.
        .rate_limiter(SharedRateLimiter(max_retries=2))
        # Long enough for a slow Bot API: a late answer is not taken for a failure
        # (a read timeout is an ambiguous failure: scheduling/delivery.py).
        .connect_timeout(TIMEOUTS[0])
        .read_timeout(settings.send_read_timeout_seconds)
        .write_timeout(TIMEOUTS[2])
        .pool_timeout(TIMEOUTS[3])
        .post_init(on_startup)
        .post_shutdown(on_shutdown)
        # Different people at once, each person's updates in order (telegram/updates.py).
        .concurrent_updates(PerPersonProcessor())
        .build()
    )
    app.bot_data["services"] = svc
    app.bot_data["texts"] = texts
    register_handlers(app)
    dispatcher.install(app, svc)
    retention_job.install(app, svc)
    return app


def register_handlers(app: Application) -> None:
    # Edited messages never reach a command or text handler (see handlers/gate.py).
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    for capability in CAPABILITIES:
        capability.register(app)
    app.add_handler(CallbackQueryHandler(guarded(coordinator.unknown_button)))
    app.add_handler(MessageHandler(private & filters.COMMAND, guarded(common.unknown_command)))
    text, media = common.router(TEXT_ROUTES), common.router(MEDIA_ROUTES)
    app.add_handler(MessageHandler(private & filters.TEXT, guarded(text)))
    app.add_handler(MessageHandler(private & ~filters.TEXT, guarded(media)))
    app.add_error_handler(common.on_error)
    # First of all (group -3): how the sender reads (language, easy-read), so every
    # reply, even the gate's, is in their words; and whether they had blocked us.
    app.add_handler(TypeHandler(Update, common.note_reader), group=-3)
    # Then (group -2): private chats only, and edits are not new input.
    app.add_handler(TypeHandler(Update, gate.gate), group=-2)


async def on_shutdown(app: Application) -> None:
    reminder_dispatcher = app.bot_data.get("dispatcher")
    if reminder_dispatcher is not None:
        await reminder_dispatcher.stop()  # idempotent: nothing held is left claimed
    log.info("bot @%s stopped", app.bot.username)


async def on_startup(app: Application) -> None:
    """Learn our username (for invite links) and publish the command menus."""
    svc: Services = app.bot_data["services"]
    svc.bot_username = app.bot.username
    texts: Texts = app.bot_data["texts"]
    await publish_menus(app.bot, texts)
    for user_id in await teams.all_coordinators(svc):
        reader = await people.reader(svc, user_id, language_code=None)
        await set_coordinator_menu(app.bot, texts.variant(language=reader.language), user_id)
