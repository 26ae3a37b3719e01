"""/approve P and its button: a coordinator lets a deputy for the panel read the papers.
The service re-checks everything on every press."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from cetr_bot.notifications.callbacks import ApproveDeputy
from cetr_bot.parsing import parse_id
from cetr_bot.services import deputies
from cetr_bot.telegram.replies import (
    Context,
    actor_of,
    callback_data,
    guarded,
    say,
    services,
    settle_button,
)


def register(app: Application) -> None:
    """Add this module's commands and buttons (called before the catch-all handlers)."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("approve", guarded(approve_command), filters=private))
    app.add_handler(CallbackQueryHandler(guarded(approve_button), pattern="^ap:"))


def participant_number(text: str) -> int | None:
    """'P12', 'p12', '#12' or '12'."""
    return parse_id(text, prefixes="#Pp")


async def approve_command(update: Update, context: Context) -> None:
    await services(context).require_coordinator(actor_of(update))
    args = context.args or []
    number = participant_number(args[0]) if len(args) == 1 else None
    if number is None:
        await say(update, context, "coordinator/approve_usage")
        return
    await _approve(update, context, number)


async def approve_button(update: Update, context: Context) -> None:
    pressed = ApproveDeputy.parse(callback_data(update))
    await _approve(update, context, pressed.participant_id)
    await settle_button(update)


async def _approve(update: Update, context: Context, participant_id: int) -> None:
    svc, actor = services(context), actor_of(update)
    done = await deputies.approve(svc, actor, participant_id=participant_id)
    await say(update, context, "coordinator/approved", approved=done)
