"""/bestinterests N reason: the coordinator records a best-interests decision."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from cetr_bot.parsing import parse_id
from cetr_bot.services import consent
from cetr_bot.telegram.replies import Context, actor_of, guarded, rest_of, say, services


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("bestinterests", guarded(best_interests), filters=private))


async def best_interests(update: Update, context: Context) -> None:
    """/bestinterests N reason: the coordinator records a best-interests decision."""
    svc, actor = services(context), actor_of(update)
    await svc.require_coordinator(actor)
    number, reason = _number_and_rest(update)
    if number is None or not reason:
        await say(update, context, "preparation/best_interests_usage")
        return
    state = await consent.record_best_interests(svc, actor, review_id=number, reason=reason)
    await say(update, context, "preparation/best_interests_recorded", state=state)


def _number_and_rest(update: Update) -> tuple[int | None, str]:
    first, _, reason = rest_of(update).partition(" ")
    return parse_id(first), reason.strip()
