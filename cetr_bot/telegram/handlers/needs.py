"""/needs: a person's own communication needs, or (coordinators) someone's in their review:
/needs N picks a participant of review N, /needs P12 opens participant P12. Each `nd:`
press toggles one need; the language or the times are typed next."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from cetr_bot.notifications import keyboards
from cetr_bot.notifications.callbacks import NeedButton
from cetr_bot.parsing import parse_id
from cetr_bot.services import needs
from cetr_bot.services.errors import NotFound
from cetr_bot.storage.models import PendingInput
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


def register(app: Application) -> None:
    """Add this module's commands and buttons (called before the catch-all handlers)."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("needs", guarded(needs_command), filters=private))
    app.add_handler(CallbackQueryHandler(guarded(needs_button), pattern="^nd:"))


async def _screen(update: Update, context: Context, view: needs.NeedsView) -> None:
    keyboard = keyboards.needs_choices(
        texts(context), view.participant_id, [line.need for line in view.needs], easy=view.easy
    )
    await say(update, context, "needs/screen", view=view, keyboard=keyboard)


async def needs_command(update: Update, context: Context) -> None:
    svc, actor = services(context), actor_of(update)
    arg = (context.args or [""])[0].strip()
    if arg[:1] in ("P", "p"):
        participant = parse_id(arg, prefixes="Pp")
        if participant is None:
            await say(update, context, "needs/usage")
            return
        await _screen(update, context, await needs.show(svc, actor, participant))
        return
    if arg:
        review_id = parse_id(arg)
        if review_id is None:
            await say(update, context, "needs/usage")
            return
        people = await needs.people_of_review(svc, actor, review_id)
        keyboard = keyboards.needs_people(
            texts(context), [(p.participant_id, p.role, p.name) for p in people]
        )
        await say(
            update,
            context,
            "needs/pick_person",
            review_id=review_id,
            people=people,
            keyboard=keyboard if people else None,
        )
        return
    try:
        view = await needs.show(svc, actor)
    except NotFound:
        if await svc.is_coordinator(actor):  # a coordinator who takes part in no review
            await say(update, context, "needs/usage")
            return
        raise
    await _screen(update, context, view)


async def needs_button(update: Update, context: Context) -> None:
    pressed = NeedButton.parse(callback_data(update))
    done = await needs.press(
        services(context), actor_of(update), pressed.participant_id, pressed.choice
    )
    await settle_button(update)
    if done.ask is not None:
        await say(
            update,
            context,
            "needs/ask_detail",
            need=str(done.ask),
            easy=done.view.easy,
            for_someone=done.view.for_someone,
        )
        return
    await _screen(update, context, done.view)


async def typed_text(update: Update, context: Context, flow: PendingInput | None) -> bool:
    """The language or the times, after pressing that need."""
    message = update.effective_message
    if flow is None or flow.kind != needs.DETAIL or message is None or message.text is None:
        return False
    view = await needs.type_detail(services(context), actor_of(update), message.text)
    await _screen(update, context, view)
    return True
