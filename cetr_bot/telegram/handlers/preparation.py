"""Telegram handlers for preparation: thin, every rule lives in cetr_bot.services.

Buttons all start "pr:"; what they carry is only a hint. Each press goes to a
service that checks the participant is the presser's own and that the question
is still the current one before anything changes.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from cetr_bot.notifications.callbacks import (
    PREP_PREFIX,
    ChangeAnswer,
    ConcernCategory,
    ConcernFor,
    ConsentAnswer,
    PrepAnswer,
    PrepareLater,
    PrepButton,
    ReadFlag,
    SendAnswers,
    StartPreparation,
    StopPreparation,
    parse_prep,
)
from cetr_bot.notifications.keyboards import grid
from cetr_bot.services import preparation
from cetr_bot.services.invitations import Joined
from cetr_bot.services.prep_screens import Choice, Screen
from cetr_bot.services.question_bank import has_questions
from cetr_bot.services.safeguarding import ConcernStep
from cetr_bot.storage.models import PendingInput
from cetr_bot.telegram.handlers import concern
from cetr_bot.telegram.handlers import consent as consent_buttons
from cetr_bot.telegram.prep_buttons import button
from cetr_bot.telegram.replies import (
    Context,
    actor_of,
    callback_data,
    guarded,
    say,
    services,
    settle_button,
)
from cetr_bot.telegram.screens import pick_review, settle_and_show, show

log = logging.getLogger(__name__)

MEDIA = ("voice", "sticker", "photo", "location", "document", "contact", "video", "audio")


def register(app: Application) -> None:
    """Add this module's commands and buttons (called before the catch-all handlers)."""
    private = filters.ChatType.PRIVATE
    commands = {
        "prepare": prepare,
    }
    for name, handler in commands.items():
        app.add_handler(CommandHandler(name, guarded(handler), filters=private))
    app.add_handler(CallbackQueryHandler(guarded(on_button), pattern=f"^{PREP_PREFIX}:"))


# --- entry points -------------------------------------------------------------------------


async def after_join(update: Update, context: Context, joined: Joined) -> None:
    """Called right after someone joins a review by invitation link: offer to start."""
    if not has_questions(joined.role, joined.review_type):
        return
    keyboard = grid(
        [
            button(context, "start", StartPreparation(joined.participant_id)),
            button(context, "later", PrepareLater(joined.participant_id)),
        ],
        width=2,
    )
    await say(update, context, "preparation/offer", keyboard=keyboard, role=joined.role)


async def prepare(update: Update, context: Context) -> None:
    """/prepare: start, or carry on where the stored answers say they are."""
    result = await preparation.open_walkthrough(services(context), actor_of(update))
    if isinstance(result, Choice):
        await pick_review(update, context, result)
        return
    await show(update, context, result)


async def on_text(update: Update, context: Context) -> bool:
    """Typed text nobody else claimed; True if handled here."""
    message = update.effective_message
    if message is None or message.text is None:
        return False
    svc, actor = services(context), actor_of(update)
    result = await preparation.answer_text(svc, actor, message.text)
    if isinstance(result, ConcernStep):
        await concern.show(update, context, result)
        return True
    if result is not None:
        await show(update, context, result)
        return True
    if await preparation.paused_participant(svc, actor) is not None:
        await say(update, context, "preparation/paused_hint")
        return True
    return False


async def on_media(update: Update, context: Context) -> bool:
    """A sticker, photo, voice note...; True if handled here."""
    message = update.effective_message
    if message is None:
        return False
    media = next((kind for kind in MEDIA if getattr(message, kind, None)), "other")
    file_id = message.voice.file_id if message.voice else None
    screen = await preparation.answer_media(services(context), actor_of(update), media, file_id)
    if screen is None:
        return False
    await show(update, context, screen)
    return True


# --- buttons --------------------------------------------------------------------------------


async def on_button(update: Update, context: Context) -> None:
    pressed = parse_prep(callback_data(update))
    await BUTTONS[type(pressed)](update, context, pressed)


async def _go(update: Update, context: Context, pressed: StartPreparation) -> None:
    svc, actor = services(context), actor_of(update)
    result = await preparation.open_walkthrough(svc, actor, pressed.participant_id)
    assert isinstance(result, Screen)
    await settle_and_show(update, context, result)


async def _later(update: Update, context: Context, pressed: PrepareLater) -> None:
    await settle_button(update)
    await say(update, context, "preparation/later")


async def _answer(update: Update, context: Context, pressed: PrepAnswer) -> None:
    svc, actor = services(context), actor_of(update)
    screen = await preparation.answer_button(
        svc, actor, pressed.participant_id, pressed.question_id, pressed.choice
    )
    await settle_and_show(update, context, screen)


async def _stop(update: Update, context: Context, pressed: StopPreparation) -> None:
    screen = await preparation.stop(services(context), actor_of(update), pressed.participant_id)
    await settle_and_show(update, context, screen)


async def _change(update: Update, context: Context, pressed: ChangeAnswer) -> None:
    svc, actor = services(context), actor_of(update)
    screen = await preparation.change(svc, actor, pressed.participant_id, pressed.question_id)
    await settle_and_show(update, context, screen)


async def _send(update: Update, context: Context, pressed: SendAnswers) -> None:
    screen = await preparation.submit(services(context), actor_of(update), pressed.participant_id)
    await settle_and_show(update, context, screen)


# Each kind of "pr:" press and its handler (the codec has already read it).
BUTTONS: dict[type[PrepButton], Any] = {
    StartPreparation: _go,
    PrepareLater: _later,
    PrepAnswer: _answer,
    StopPreparation: _stop,
    ChangeAnswer: _change,
    SendAnswers: _send,
    # The consent questions and concerns share the "pr:" buttons (one handler, above).
    ConsentAnswer: consent_buttons.answer_button,
    ConcernFor: concern.pick_button,
    ConcernCategory: concern.category_button,
    ReadFlag: concern.read_flag_button,
}


async def typed_text(update: Update, context: Context, flow: PendingInput | None) -> bool:
    """Text as the answer to the walk-through's current question, if one is open."""
    return await on_text(update, context)


async def media(update: Update, context: Context, flow: PendingInput | None) -> bool:
    """A voice note, photo...: the walk-through takes some, refuses others kindly."""
    return await on_media(update, context)
