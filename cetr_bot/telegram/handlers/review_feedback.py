"""/writefeedback N (chair or coordinator), /myfeedback and questions back (young person)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from cetr_bot.notifications import keyboards
from cetr_bot.notifications.callbacks import (
    AskFeedback,
    PlainWordsChoice,
    ReplyQuestion,
    SendFeedback,
)
from cetr_bot.notifications.delivery_policy import Content
from cetr_bot.parsing import parse_id
from cetr_bot.services import review_feedback as rf
from cetr_bot.services import yp_questions
from cetr_bot.services.plain_words import HardToRead
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
    app.add_handler(CommandHandler("writefeedback", guarded(write_command), filters=private))
    app.add_handler(CommandHandler("myfeedback", guarded(my_feedback), filters=private))
    app.add_handler(CallbackQueryHandler(guarded(send_button), pattern="^yf:"))
    app.add_handler(CallbackQueryHandler(guarded(ask_button), pattern="^yq:"))
    app.add_handler(CallbackQueryHandler(guarded(reply_button), pattern="^yr:"))
    app.add_handler(CommandHandler("questions", guarded(questions_command), filters=private))
    app.add_handler(CallbackQueryHandler(guarded(plain_words_button), pattern="^pw:f:"))
    app.add_handler(CallbackQueryHandler(guarded(reply_words_button), pattern="^pw:r:"))


async def _show(update: Update, context: Context, draft: rf.Draft) -> None:
    if draft.hard is not None:
        await say(
            update,
            context,
            "writer/hard_to_read",
            hard=draft.hard,
            keyboard=keyboards.plain_words(texts(context), "f"),
            protect=True,
        )
        return
    if draft.next is not None:
        await say(update, context, f"ypfeedback/ask_{draft.next}", review_id=draft.review_id)
        return
    await say(
        update,
        context,
        "ypfeedback/preview",
        answers=draft.answers,
        keyboard=keyboards.send_feedback(texts(context), draft.review_id),
    )


async def write_command(update: Update, context: Context) -> None:
    review_id = parse_id((context.args or [""])[0])
    if review_id is None:
        await say(update, context, "ypfeedback/usage")
        return
    await _show(
        update, context, await rf.start(services(context), actor_of(update), review_id=review_id)
    )


async def send_button(update: Update, context: Context) -> None:
    pressed = SendFeedback.parse(callback_data(update))
    draft = await rf.send(services(context), actor_of(update), review_id=pressed.review_id)
    await settle_button(update)
    await say(update, context, "ypfeedback/sent", review_id=draft.review_id)


async def plain_words_button(update: Update, context: Context) -> None:
    """pw:f:send|simplify: the writer's choice on feedback words that read as hard."""
    pressed = PlainWordsChoice.parse(callback_data(update))
    svc, actor = services(context), actor_of(update)
    if pressed.choice == "send":
        draft = await rf.send_held_anyway(svc, actor)
    else:
        draft = await rf.simplify_held(svc, actor)
    await settle_button(update)
    if pressed.choice == "simplify":
        await say(update, context, "writer/simplify")
    await _show(update, context, draft)


async def _replied(
    update: Update, context: Context, done: yp_questions.Answered | HardToRead
) -> None:
    if isinstance(done, HardToRead):
        keyboard = keyboards.plain_words(texts(context), "r")
        await say(update, context, "writer/hard_to_read", hard=done, keyboard=keyboard)
        return
    await say(
        update, context, "ypfeedback/reply_sent", review_id=done.review_id, reachable=done.reachable
    )


async def reply_words_button(update: Update, context: Context) -> None:
    """pw:r:send|simplify: the coordinator's choice on an answer that reads as hard."""
    pressed = PlainWordsChoice.parse(callback_data(update))
    svc, actor = services(context), actor_of(update)
    if pressed.choice == "send":
        done = await yp_questions.send_held_anyway(svc, actor)
        await settle_button(update)
        await _replied(update, context, done)
        return
    await yp_questions.simplify_held(svc, actor)
    await settle_button(update)
    await say(update, context, "writer/simplify")


async def my_feedback(update: Update, context: Context) -> None:
    found = await rf.sent_to_young_person(services(context), actor_of(update))
    if found is None:
        await say(update, context, "ypfeedback/none")
        return
    ask = keyboards.young_person_feedback(texts(context))
    via = delivery(context, Content.FEEDBACK, found.review_id)
    if via.url is not None:
        await say_page(
            update,
            context,
            "links/feedback_for_young_person",
            Content.FEEDBACK,
            via.url,
            easy=True,
            then=ask,
        )
        return
    await say(
        update,
        context,
        "ypfeedback/for_young_person",
        answers=found.answers,
        keyboard=ask,
        protect=via.protect_content,
    )


async def ask_button(update: Update, context: Context) -> None:
    AskFeedback.parse(callback_data(update))
    await rf.start_question(services(context), actor_of(update))
    await settle_button(update)
    await say(update, context, "ypfeedback/ask_question")


async def reply_button(update: Update, context: Context) -> None:
    pressed = ReplyQuestion.parse(callback_data(update))
    started = await yp_questions.start_reply(
        services(context), actor_of(update), pressed.question_id
    )
    await settle_button(update)
    # With a web companion the question's words stay on the page (discreet).
    shown = (
        None if delivery(context, Content.FEEDBACK, started.review_id).as_link else started.question
    )
    await say(update, context, "ypfeedback/reply_ask", review_id=started.review_id, question=shown)


async def questions_command(update: Update, context: Context) -> None:
    """The young person's thread: theirs (no number), or review N's for its coordinators."""
    svc, actor = services(context), actor_of(update)
    args = context.args or []
    if args:
        review_id = parse_id(args[0])
        if review_id is None:
            await say(update, context, "ypfeedback/questions_usage")
            return
        thread = await yp_questions.for_coordinator(svc, actor, review_id)
        easy = False
    else:
        found = await yp_questions.mine(svc, actor)
        if found is None:
            if await svc.is_coordinator(actor):
                await say(update, context, "ypfeedback/questions_usage")
            else:
                await say(update, context, "ypfeedback/no_questions", coordinator=False)
            return
        thread, easy = found, True
    if not thread.items:
        await say(
            update, context, "ypfeedback/no_questions", coordinator=True, review_id=thread.review_id
        )
        return
    via = delivery(context, Content.FEEDBACK, thread.review_id)
    if via.url is not None:
        await say_page(
            update,
            context,
            "links/yp_questions",
            Content.FEEDBACK,
            via.url,
            easy=easy,
            young=easy,
            review_id=thread.review_id,
        )
        return
    await say(update, context, "ypfeedback/questions", thread=thread, easy=easy, protect=True)


async def continue_flow(update: Update, context: Context, kind: str) -> bool:
    message = update.effective_message
    if (
        message is None
        or message.text is None
        or kind not in (rf.WRITE, rf.ASK, yp_questions.REPLY)
    ):
        return False
    svc, actor = services(context), actor_of(update)
    if kind == rf.WRITE:
        await _show(update, context, await rf.write(svc, actor, message.text))
    elif kind == yp_questions.REPLY:
        await _replied(update, context, await yp_questions.reply(svc, actor, message.text))
    else:
        await rf.ask(svc, actor, message.text)
        await say(update, context, "ypfeedback/question_sent")
    return True


async def typed_text(update: Update, context: Context, flow: PendingInput | None) -> bool:
    """Text for the young person's feedback being written, or their question."""
    return flow is not None and await continue_flow(update, context, flow.kind)
