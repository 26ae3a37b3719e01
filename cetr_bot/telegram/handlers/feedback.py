"""The young person's feedback after the review; the coordinator reads it with /feedback N."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from cetr_bot.notifications import keyboards
from cetr_bot.notifications.callbacks import FeedbackAnswer
from cetr_bot.notifications.delivery_policy import Content
from cetr_bot.parsing import parse_id
from cetr_bot.services import feedback
from cetr_bot.services.errors import Invalid
from cetr_bot.storage.models import PendingInput
from cetr_bot.telegram.replies import (
    Context,
    actor_of,
    callback_data,
    delivery,
    guarded,
    say,
    say_page,
    services,
    settle_button,
    texts,
)


def register(app: Application) -> None:
    """Add this module's commands and buttons (called before the catch-all handlers)."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("feedback", guarded(feedback_command), filters=private))
    app.add_handler(CallbackQueryHandler(guarded(feedback_button), pattern="^fb:"))


async def show(update: Update, context: Context, step: feedback.FeedbackStep) -> None:
    step = feedback.in_language(step, texts(context).language)
    if step.question is None:
        await say(update, context, "feedback/thanks")
        return
    keyboard = keyboards.feedback_question(
        step.participant_id, step.question.id, step.question.options
    )
    await say(update, context, "feedback/question", step=step, keyboard=keyboard)


async def feedback_command(update: Update, context: Context) -> None:
    svc, actor = services(context), actor_of(update)
    review_id = parse_id((context.args or [""])[0])
    if await svc.is_coordinator(actor) and review_id is not None:
        lines = await feedback.for_coordinator(svc, actor, review_id=review_id)
        via = delivery(context, Content.FEEDBACK, review_id)
        if lines and via.url is not None:
            await say_page(
                update,
                context,
                "links/feedback_from_young_person",
                Content.FEEDBACK,
                via.url,
                review_id=review_id,
            )
            return
        await say(
            update,
            context,
            "feedback/coordinator",
            lines=lines,
            review_id=review_id,
            protect=via.protect_content,
        )
        return
    step = await feedback.current(svc, actor)
    if step is None or step.question is None:
        await say(update, context, "feedback/none")
        return
    await show(update, context, step)


async def feedback_button(update: Update, context: Context) -> None:
    """fb:<participant>:<question>:<value>; the service re-checks all three."""
    pressed = FeedbackAnswer.parse(callback_data(update))
    await settle_button(update)
    svc, actor = services(context), actor_of(update)
    try:
        step = await feedback.answer(
            svc,
            actor,
            participant_id=pressed.participant_id,
            question_id=pressed.question_id,
            value=pressed.value,
        )
    except Invalid as error:
        if error.key != "feedback_moved_on":
            raise
        await say(update, context, "errors/feedback_moved_on")
        current = await feedback.current(svc, actor)
        if current is not None:
            await show(update, context, current)
        return
    await show(update, context, step)


async def on_text(update: Update, context: Context) -> bool:
    """Typed text while the young person is at the feedback's text question."""
    message = update.effective_message
    if message is None or message.text is None:
        return False
    svc, actor = services(context), actor_of(update)
    step = await feedback.current(svc, actor)
    if step is None or step.question is None or step.question.kind != "text":
        return False
    await show(
        update,
        context,
        await feedback.answer(
            svc, actor, participant_id=None, question_id=None, value=message.text
        ),
    )
    return True


async def typed_text(update: Update, context: Context, flow: PendingInput | None) -> bool:
    """Text at the feedback form's text question (no guided flow involved)."""
    return await on_text(update, context)
