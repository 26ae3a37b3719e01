"""/consent: the young person sees their decisions and can change or withdraw them;
and the consent buttons ("pr:cs:…"), also shown inside the walk-through."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler, filters

from cetr_bot.notifications.keyboards import data
from cetr_bot.services import consent, preparation
from cetr_bot.services.errors import Invalid
from cetr_bot.telegram.prep_buttons import PREFIX, ints, label
from cetr_bot.telegram.replies import Context, actor_of, guarded, say, services, texts
from cetr_bot.telegram.screens import settle_and_show


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("consent", guarded(consent_command), filters=private))


async def consent_command(update: Update, context: Context) -> None:
    """/consent: the young person sees their decisions and can change or withdraw them."""
    view = await consent.consent_view(services(context), actor_of(update))
    t = texts(context)
    pid, version = view.participant_id, view.state.version
    rows = [
        [
            InlineKeyboardButton(
                label(t, f"{subject}_{value}"),
                callback_data=data(PREFIX, "cs", pid, subject, value, version),
            )
            for value in ("yes", "no")
        ]
        for subject in consent.SUBJECTS
    ]
    await say(
        update,
        context,
        "preparation/consent_view",
        keyboard=InlineKeyboardMarkup(rows),
        state=view.state,
    )


async def answer_button(update: Update, context: Context, args: list[str]) -> None:
    if len(args) != 4:
        raise Invalid("stale_button")
    pid, version = ints([args[0], args[3]], 2)
    screen = await preparation.consent_answer(
        services(context), actor_of(update), pid, args[1], args[2], version
    )
    await settle_and_show(update, context, screen)
