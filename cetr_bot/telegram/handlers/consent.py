"""/consent: the young person sees their decisions and can change or withdraw them;
and the consent buttons ("pr:cs:…"), also shown inside the walk-through."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler, filters

from cetr_bot.notifications.callbacks import ConsentAnswer
from cetr_bot.services import consent, preparation
from cetr_bot.telegram.prep_buttons import label
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
                callback_data=ConsentAnswer(pid, subject, value, version).pack(),
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


async def answer_button(update: Update, context: Context, pressed: ConsentAnswer) -> None:
    screen = await preparation.consent_answer(
        services(context),
        actor_of(update),
        pressed.participant_id,
        pressed.subject,
        pressed.value,
        pressed.version,
    )
    await settle_and_show(update, context, screen)
