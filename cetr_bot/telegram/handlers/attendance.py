"""Telegram handlers for attendance: thin, every rule lives in cetr_bot.services.attendance.

Buttons carry `at:<participant id>:<choice>`; the service re-checks on every press
that the presser is the person who joined as that participant.
"""

from __future__ import annotations

import logging

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from cetr_bot.domain import Answer
from cetr_bot.notifications.callbacks import Rsvp
from cetr_bot.notifications.keyboards import (
    CHOICES,
    PREFIX,
    alternatives_keyboard,
    rsvp_keyboard,
)
from cetr_bot.scheduling import calendar
from cetr_bot.services import attendance
from cetr_bot.services.errors import Invalid, ServiceError
from cetr_bot.services.invitations import Joined
from cetr_bot.telegram.replies import (
    Context,
    actor_of,
    callback_data,
    guarded,
    say,
    services,
    settle_button,
    texts,
)

log = logging.getLogger(__name__)


def register(app: Application) -> None:
    """Add this module's commands and buttons (called before the catch-all handlers)."""
    app.add_handler(CommandHandler("attend", guarded(attend), filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(guarded(rsvp_button), pattern=f"^{PREFIX}:"))


async def after_join(update: Update, context: Context, joined: Joined) -> None:
    """Right after joining: the calendar file, with the question "can you come?"."""
    try:
        rsvp = await attendance.current(
            services(context), actor_of(update), participant_id=joined.participant_id
        )
    except ServiceError as error:  # e.g. the review has already started
        log.info("no RSVP offered after join: %s", error.key)
        return
    await _send_card(update, context, "attendance/ask", rsvp, keyboard=True)


async def _send_card(
    update: Update, context: Context, template: str, rsvp: attendance.Rsvp, *, keyboard: bool
) -> None:
    """A message with the review's .ics attached (the text is its caption)."""
    chat = update.effective_chat
    assert chat is not None
    svc, t = services(context), texts(context)
    ics = calendar.review_ics(
        review_id=rsvp.review_id,
        at=rsvp.at,
        sequence=rsvp.sequence,
        location=rsvp.location,
        settings=svc.settings,
        now=svc.now(),
        words=calendar.words(t),
        participant_id=rsvp.participant_id,
        answer=rsvp.status,
    )
    await context.bot.send_document(
        chat.id,
        InputFile(ics, filename=calendar.FILENAME),
        caption=t.render(template, rsvp=rsvp, young=rsvp.young),
        reply_markup=rsvp_keyboard(t, rsvp.participant_id) if keyboard else None,
    )


async def attend(update: Update, context: Context) -> None:
    """/attend: each upcoming review with the current answer and buttons to change it."""
    rsvps = await attendance.my_reviews(services(context), actor_of(update))
    if not rsvps:
        await say(update, context, "attendance/none")
        return
    t = texts(context)
    for rsvp in rsvps:
        await say(
            update,
            context,
            "attendance/current",
            rsvp=rsvp,
            young=rsvp.young,
            keyboard=rsvp_keyboard(t, rsvp.participant_id),
        )


async def rsvp_button(update: Update, context: Context) -> None:
    pressed = Rsvp.parse(callback_data(update))
    participant_id, code = pressed.participant_id, pressed.code
    svc, actor = services(context), actor_of(update)
    if code in CHOICES:
        rsvp = await attendance.record(
            svc, actor, participant_id=participant_id, status=CHOICES[code]
        )
        await settle_button(update)
        await _answered(update, context, rsvp)
    elif code == "d":
        link = await attendance.send_deputy(svc, actor, participant_id=participant_id)
        await settle_button(update)
        await say(update, context, "attendance/deputy", link=link, young=link.rsvp.young)
    elif code == "s":
        link = await attendance.send_supporter(svc, actor, participant_id=participant_id)
        await settle_button(update)
        await say(update, context, "attendance/supporter", link=link)
    elif code == "w":
        rsvp = await attendance.send_written(svc, actor, participant_id=participant_id)
        await settle_button(update)
        await say(update, context, "attendance/written", rsvp=rsvp, young=rsvp.young)
    else:
        raise Invalid("stale_button")


async def _answered(update: Update, context: Context, rsvp: attendance.Rsvp) -> None:
    if rsvp.status == Answer.CANNOT:
        await say(
            update,
            context,
            "attendance/cannot",
            rsvp=rsvp,
            young=rsvp.young,
            keyboard=alternatives_keyboard(texts(context), rsvp.participant_id, young=rsvp.young),
        )
        return
    # A confirmation carries the calendar file, so it is easy to add.
    await _send_card(update, context, "attendance/confirmed", rsvp, keyboard=False)


async def on_text(update: Update, context: Context) -> bool:
    """Typed text nobody else claimed; True if handled here."""
    return False


async def on_media(update: Update, context: Context) -> bool:
    """A sticker, photo, voice note...; True if handled here."""
    return False
