"""/mydata and /forgetme: a person asks for a copy of their data or for erasure; the
coordinators of their reviews are told (a reminder row each, sent once) with buttons to
approve or decline, and `dq:` presses decide (services/subject_access.py re-checks who
may). An approved copy is sent to the person by the dispatcher as protected documents;
an approved erasure happens at once, and the bot says so once in the person's old chat."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from cetr_bot.notifications.callbacks import DecideDataRequest
from cetr_bot.services import subject_access
from cetr_bot.telegram.replies import (
    Context,
    actor_of,
    base_texts,
    callback_data,
    guarded,
    say,
    services,
    settle_button,
)


def register(app: Application) -> None:
    """Add this module's commands and buttons (called before the catch-all handlers)."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("mydata", guarded(my_data), filters=private))
    app.add_handler(CommandHandler("forgetme", guarded(forget_me), filters=private))
    app.add_handler(CallbackQueryHandler(guarded(decide_button), pattern="^dq:"))


async def my_data(update: Update, context: Context) -> None:
    await _ask(update, context, subject_access.EXPORT)


async def forget_me(update: Update, context: Context) -> None:
    await _ask(update, context, subject_access.ERASE)


async def _ask(update: Update, context: Context, kind: str) -> None:
    asked = await subject_access.request(services(context), actor_of(update), kind)
    await say(
        update,
        context,
        "mydata/requested",
        kind=kind,
        request_id=asked.request_id,
        coordinators=asked.coordinators,
        again=asked.again,
        young=asked.young_person,
    )


async def decide_button(update: Update, context: Context) -> None:
    pressed = DecideDataRequest.parse(callback_data(update))
    svc = services(context)
    decision = await subject_access.decide(
        svc, actor_of(update), pressed.request_id, approve=pressed.choice == "yes"
    )
    await settle_button(update)
    await say(update, context, "mydata/decided", decision=decision)
    if decision.outcome == "erased" and decision.former_chat_id:
        await context.bot.send_message(
            decision.former_chat_id,
            base_texts(context).render("mydata/forgotten", young=decision.young_person),
            parse_mode=ParseMode.HTML,
        )
