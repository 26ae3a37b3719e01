"""/concern [words]: anyone in a review can say rights are not being respected; the
concern's buttons ("pr:cr:…", "pr:cc:…") and reading a flag ("pr:rf:…")."""

from __future__ import annotations

from telegram import InlineKeyboardButton, Update
from telegram.ext import Application, CommandHandler, filters

from cetr_bot.domain import Role
from cetr_bot.notifications.callbacks import ConcernCategory, ConcernFor, ReadFlag
from cetr_bot.notifications.delivery_policy import Content
from cetr_bot.notifications.keyboards import grid
from cetr_bot.services import safeguarding
from cetr_bot.services.question_bank import library
from cetr_bot.services.safeguarding import ConcernStep
from cetr_bot.telegram.alerts import send_alerts
from cetr_bot.telegram.prep_buttons import label
from cetr_bot.telegram.replies import (
    Context,
    actor_of,
    delivery,
    guarded,
    rest_of,
    say,
    say_error,
    say_page,
    services,
    settle_button,
    texts,
)


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("concern", guarded(concern), filters=private))


async def concern(update: Update, context: Context) -> None:
    """/concern [words]: anyone in a review can say rights are not being respected."""
    step = await safeguarding.start_concern(
        services(context), actor_of(update), rest_of(update) or None
    )
    await show(update, context, step)


async def show(update: Update, context: Context, step: ConcernStep) -> None:
    if step.error is not None:
        await say_error(update, context, step.error)
    if step.kind == "recorded":
        await say(update, context, "preparation/concern_recorded")
        if step.harm:
            young = step.role is Role.YOUNG_PERSON
            safety = f"preparation/safe_help_{'young_person' if young else 'family'}"
            await say(update, context, safety, **step.safety_people)
        await send_alerts(context, step.alerts, step.flag_id)
    elif step.kind == "pick":
        t = texts(context)
        buttons = [
            InlineKeyboardButton(
                label(t, "pick", role=t.role(m.role), at=m.at),
                callback_data=ConcernFor(m.participant_id).pack(),
            )
            for m in step.memberships
        ]
        await say(update, context, "preparation/concern_pick", keyboard=grid(buttons))
    elif step.kind == "ask":
        pid = step.participant_id
        assert pid is not None  # asking is always about one review
        buttons = [
            InlineKeyboardButton(c.label, callback_data=ConcernCategory(pid, c.value).pack())
            for c in library().concerns
        ]
        await say(update, context, "preparation/concern_ask", keyboard=grid(buttons))
    else:
        await say(update, context, "preparation/concern_none")


async def pick_button(update: Update, context: Context, pressed: ConcernFor) -> None:
    svc, actor = services(context), actor_of(update)
    step = await safeguarding.pick_for_concern(svc, actor, pressed.participant_id)
    await settle_button(update)
    await show(update, context, step)


async def category_button(update: Update, context: Context, pressed: ConcernCategory) -> None:
    svc, actor = services(context), actor_of(update)
    step = await safeguarding.concern_category(svc, actor, pressed.participant_id, pressed.category)
    await settle_button(update)
    await show(update, context, step)


async def read_flag_button(update: Update, context: Context, pressed: ReadFlag) -> None:
    svc, actor = services(context), actor_of(update)
    detail = await safeguarding.read_flag(svc, actor, pressed.flag_id)
    await settle_button(update)
    via = delivery(context, Content.FLAG, detail.review_id)
    if via.url is not None:  # an alert's button from before the web companion was set up
        await say_page(
            update,
            context,
            "links/flag",
            Content.FLAG,
            via.url,
            kind=detail.line.kind,
            review_id=detail.review_id,
        )
        return
    await say(update, context, "preparation/flag_detail", flag=detail, protect=via.protect_content)
