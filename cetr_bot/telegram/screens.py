"""Shows a walk-through screen (a question, the summary, consent, a choice of review)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from cetr_bot.notifications.callbacks import (
    ChangeAnswer,
    ConsentAnswer,
    PrepAnswer,
    SendAnswers,
    StartPreparation,
    StopPreparation,
)
from cetr_bot.notifications.delivery_policy import Content
from cetr_bot.notifications.keyboards import grid
from cetr_bot.services.prep_screens import Choice, Screen, in_language
from cetr_bot.services.question_bank import Question, render_question
from cetr_bot.telegram.alerts import send_alerts
from cetr_bot.telegram.prep_buttons import button, label
from cetr_bot.telegram.replies import (
    Context,
    delivery,
    say,
    say_error,
    say_page,
    settle_button,
    texts,
)

log = logging.getLogger(__name__)

SUMMARY_CHUNK = 3500  # characters of HTML per summary message, well inside Telegram's 4096
ANSWER_PREVIEW = 300  # characters of each typed answer shown in the summary


async def settle_and_show(update: Update, context: Context, screen: Screen) -> None:
    """Take the buttons off the pressed message while the answer goes out: the two
    round trips overlap, which matters because updates are handled one at a time."""
    await asyncio.gather(settle_button(update), show(update, context, screen))


async def show(update: Update, context: Context, screen: Screen) -> None:
    """Whatever went wrong first, then help and alerts at once, then where they are now."""
    screen = in_language(screen, texts(context).language)
    if screen.error is not None:
        await say_error(update, context, screen.error)
    if screen.safety is not None:
        await say(update, context, screen.safety, **screen.safety_people)
    await send_alerts(context, screen.alerts, screen.flag_id)
    for notice in screen.notices:
        await say(update, context, notice, screen=screen)
    await RENDER[screen.kind](update, context, screen)


async def _question(update: Update, context: Context, screen: Screen) -> None:
    question = screen.question
    assert question is not None
    body = render_question(texts(context), question, at=screen.at, review_type=screen.review_type)
    keyboard = _answer_keyboard(context, screen, question)
    via = delivery(context, Content.ANSWERS, screen.review_id)
    if screen.current is not None and via.url is not None:
        # Changing an answer, with a web companion: the answer so far is read on the
        # answers page (the delivery policy), not repeated in the chat.
        await say_page(
            update,
            context,
            "preparation/question",
            Content.ANSWERS,
            via.url,
            easy=screen.easy_read,
            then=keyboard,
            screen=screen,
            question=question,
            body=body,
            answer_on_page=True,
        )
        return
    await say(
        update,
        context,
        "preparation/question",
        keyboard=keyboard,
        screen=screen,
        question=question,
        body=body,
    )


def _answer_keyboard(context: Context, screen: Screen, question: Question) -> InlineKeyboardMarkup:
    pid, qid = screen.participant_id, question.id
    t = texts(context)
    rows = [
        [InlineKeyboardButton(o.label, callback_data=PrepAnswer(pid, qid, str(i)).pack())]
        for i, o in enumerate(question.options)
    ]
    rows.append(
        [
            InlineKeyboardButton(
                label(t, "not_sure"), callback_data=PrepAnswer(pid, qid, "n").pack()
            ),
            InlineKeyboardButton(label(t, "skip"), callback_data=PrepAnswer(pid, qid, "s").pack()),
        ]
    )
    rows.append([button(context, "stop", StopPreparation(pid))])
    return InlineKeyboardMarkup(rows)


async def _consent_question(update: Update, context: Context, screen: Screen) -> None:
    pid, subject, version = screen.participant_id, screen.subject, screen.consent_version
    assert subject is not None  # a consent screen always names its subject
    t = texts(context)
    choices = (("consent_yes", "yes"), ("consent_no", "no"), ("not_sure", "not_sure"))
    buttons = [
        InlineKeyboardButton(
            label(t, key),
            callback_data=ConsentAnswer(pid, subject, value, version).pack(),
        )
        for key, value in choices
    ]
    keyboard = InlineKeyboardMarkup([buttons, [button(context, "stop", StopPreparation(pid))]])
    await say(update, context, f"preparation/consent_{subject}", keyboard=keyboard, screen=screen)


async def _summary(update: Update, context: Context, screen: Screen) -> None:
    """The answers, grouped by area, split over messages if long; buttons on the last.
    With a web companion: one discreet message, the page's button, then the same buttons."""
    via = delivery(context, Content.ANSWERS, screen.review_id)
    if via.url is not None:
        await say_page(
            update,
            context,
            "links/answers",
            Content.ANSWERS,
            via.url,
            easy=screen.easy_read,
            then=_summary_keyboard(context, screen),
            screen=screen,
        )
        return
    t = texts(context)
    head = t.render("preparation/summary_head", screen=screen)
    blocks = [
        t.render("preparation/summary_area", area=label, lines=lines, preview=ANSWER_PREVIEW)
        for area, label in screen.areas.items()
        if (lines := [line for line in screen.lines if line.question.area == area])
    ]
    blocks.append(t.render("preparation/summary_foot", screen=screen))
    chunks = _chunks([b for b in (head, *blocks) if b.strip()])  # Telegram refuses empty text
    for chunk in chunks[:-1]:
        await _send_html(update, context, chunk)
    await _send_html(update, context, chunks[-1], _summary_keyboard(context, screen))


def _chunks(blocks: list[str]) -> list[str]:
    chunks: list[str] = []
    for block in blocks:
        if chunks and len(chunks[-1]) + len(block) + 2 <= SUMMARY_CHUNK:
            chunks[-1] += "\n\n" + block
        else:
            chunks.append(block)
    return chunks


def _summary_keyboard(context: Context, screen: Screen) -> InlineKeyboardMarkup | None:
    t = texts(context)
    pid = screen.participant_id
    buttons = []
    if screen.can_change:
        buttons = [
            InlineKeyboardButton(
                label(t, "change", number=line.number, short=line.question.short),
                callback_data=ChangeAnswer(pid, line.question.id).pack(),
            )
            for line in screen.lines
        ]
    if not screen.submitted:
        buttons.append(button(context, "send", SendAnswers(pid)))
    return grid(buttons) if buttons else None


async def _submitted(update: Update, context: Context, screen: Screen) -> None:
    await say(update, context, "preparation/submitted", screen=screen)


async def _stopped(update: Update, context: Context, screen: Screen) -> None:
    await say(update, context, "preparation/stopped", screen=screen)


async def _consent_saved(update: Update, context: Context, screen: Screen) -> None:
    await say(update, context, "preparation/consent_saved", screen=screen)


RENDER: dict[str, Any] = {
    "question": _question,
    "consent": _consent_question,
    "summary": _summary,
    "submitted": _submitted,
    "stopped": _stopped,
    "consent_saved": _consent_saved,
}


async def pick_review(update: Update, context: Context, choice: Choice) -> None:
    t = texts(context)
    buttons = [
        InlineKeyboardButton(
            label(t, "pick", role=t.role(m.role), at=m.at),
            callback_data=StartPreparation(m.participant_id).pack(),
        )
        for m in choice.memberships
    ]
    await say(update, context, "preparation/pick", keyboard=grid(buttons))


async def _send_html(
    update: Update, context: Context, html: str, keyboard: InlineKeyboardMarkup | None = None
) -> None:
    chat = update.effective_chat
    assert chat is not None
    # Their answers read back: sensitive content (notifications/delivery_policy.py).
    await context.bot.send_message(chat.id, html, reply_markup=keyboard, protect_content=True)
