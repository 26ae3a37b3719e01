"""Telegram handlers for preparation: thin, every rule lives in cetr_bot.services.

Buttons all start "pr:"; what they carry is only a hint. Each press goes to a
service that checks the participant is the presser's own and that the question
is still the current one before anything changes.
"""

from __future__ import annotations

import asyncio
import logging
import re
from functools import lru_cache
from typing import Any

from jinja2 import Template
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from cetr_bot.domain import Role
from cetr_bot.notifications.keyboards import data, grid
from cetr_bot.parsing import parse_id
from cetr_bot.services import consent, preparation, safeguarding
from cetr_bot.services.errors import Invalid
from cetr_bot.services.invitations import Joined
from cetr_bot.services.preparation import Choice, Screen
from cetr_bot.services.question_bank import Question, library, render_question
from cetr_bot.services.safeguarding import Alert, ConcernStep
from cetr_bot.telegram.replies import (
    Context,
    actor_of,
    callback_parts,
    say,
    say_error,
    services,
    settle_button,
    texts,
)
from cetr_bot.text import Texts

log = logging.getLogger(__name__)

PREFIX = "pr"
SUMMARY_CHUNK = 3500  # characters of HTML per summary message, well inside Telegram's 4096
ANSWER_PREVIEW = 300  # characters of each typed answer shown in the summary
MEDIA = ("voice", "sticker", "photo", "location", "document", "contact", "video", "audio")


def register(app: Application) -> None:
    """Add this module's commands and buttons (called before the catch-all handlers)."""
    from cetr_bot.telegram.application import guarded  # here: application imports us

    private = filters.ChatType.PRIVATE
    commands = {
        "prepare": prepare,
        "consent": consent_command,
        "concern": concern,
        "bestinterests": best_interests,
    }
    for name, handler in commands.items():
        app.add_handler(CommandHandler(name, guarded(handler), filters=private))
    app.add_handler(CallbackQueryHandler(guarded(on_button), pattern=f"^{PREFIX}:"))


# --- entry points -------------------------------------------------------------------------


async def after_join(update: Update, context: Context, joined: Joined) -> None:
    """Called right after someone joins a review by invitation link: offer to start."""
    if not preparation.has_questions(joined.role, joined.review_type):
        return
    keyboard = grid(
        [
            _button(context, "start", "go", joined.participant_id),
            _button(context, "later", "later", joined.participant_id),
        ],
        width=2,
    )
    await say(update, context, "preparation/offer", keyboard=keyboard, role=joined.role)


async def prepare(update: Update, context: Context) -> None:
    """/prepare: start, or carry on where the stored answers say they are."""
    result = await preparation.open_walkthrough(services(context), actor_of(update))
    if isinstance(result, Choice):
        await _pick_review(update, context, result)
        return
    await show(update, context, result)


async def on_text(update: Update, context: Context) -> bool:
    """Typed text nobody else claimed; True if handled here."""
    message = update.effective_message
    if message is None or message.text is None:
        return False
    svc, actor = services(context), actor_of(update)
    result = await preparation.answer_text(svc, actor, message.text)
    if isinstance(result, ConcernStep):
        await _show_concern(update, context, result)
        return True
    if result is not None:
        await show(update, context, result)
        return True
    if await preparation.paused_participant(svc, actor) is not None:
        await say(update, context, "preparation/paused_hint")
        return True
    return False


async def on_media(update: Update, context: Context) -> bool:
    """A sticker, photo, voice note...; True if handled here."""
    message = update.effective_message
    if message is None:
        return False
    media = next((kind for kind in MEDIA if getattr(message, kind, None)), "other")
    file_id = message.voice.file_id if message.voice else None
    screen = await preparation.answer_media(services(context), actor_of(update), media, file_id)
    if screen is None:
        return False
    await show(update, context, screen)
    return True


# --- buttons --------------------------------------------------------------------------------


async def on_button(update: Update, context: Context) -> None:
    parts = callback_parts(update)[1:]
    action, args = (parts[0], parts[1:]) if parts else ("", [])
    handler = BUTTONS.get(action)
    if handler is None:
        raise Invalid("stale_button")
    await handler(update, context, args)


def _ints(args: list[str], count: int) -> list[int]:
    """The first `count` arguments as ids; anything else is a button we never made."""
    ids = [parse_id(a, prefixes="") for a in args[:count]]
    if len(ids) < count or any(i is None for i in ids):
        raise Invalid("stale_button")
    return [i for i in ids if i is not None]


async def _go(update: Update, context: Context, args: list[str]) -> None:
    [pid] = _ints(args, 1)
    result = await preparation.open_walkthrough(services(context), actor_of(update), pid)
    assert isinstance(result, Screen)
    await _settle_and_show(update, context, result)


async def _later(update: Update, context: Context, args: list[str]) -> None:
    await settle_button(update)
    await say(update, context, "preparation/later")


async def _answer(update: Update, context: Context, args: list[str]) -> None:
    [pid] = _ints(args, 1)
    if len(args) != 3:
        raise Invalid("stale_button")
    svc, actor = services(context), actor_of(update)
    screen = await preparation.answer_button(svc, actor, pid, args[1], args[2])
    await _settle_and_show(update, context, screen)


async def _stop(update: Update, context: Context, args: list[str]) -> None:
    [pid] = _ints(args, 1)
    screen = await preparation.stop(services(context), actor_of(update), pid)
    await _settle_and_show(update, context, screen)


async def _change(update: Update, context: Context, args: list[str]) -> None:
    [pid] = _ints(args, 1)
    if len(args) != 2:
        raise Invalid("stale_button")
    screen = await preparation.change(services(context), actor_of(update), pid, args[1])
    await _settle_and_show(update, context, screen)


async def _send(update: Update, context: Context, args: list[str]) -> None:
    [pid] = _ints(args, 1)
    screen = await preparation.submit(services(context), actor_of(update), pid)
    await _settle_and_show(update, context, screen)


async def _consent(update: Update, context: Context, args: list[str]) -> None:
    if len(args) != 4:
        raise Invalid("stale_button")
    pid, version = _ints([args[0], args[3]], 2)
    screen = await preparation.consent_answer(
        services(context), actor_of(update), pid, args[1], args[2], version
    )
    await _settle_and_show(update, context, screen)


async def _concern_pick(update: Update, context: Context, args: list[str]) -> None:
    [pid] = _ints(args, 1)
    step = await safeguarding.pick_for_concern(services(context), actor_of(update), pid)
    await settle_button(update)
    await _show_concern(update, context, step)


async def _concern_category(update: Update, context: Context, args: list[str]) -> None:
    [pid] = _ints(args, 1)
    if len(args) != 2:
        raise Invalid("stale_button")
    svc, actor = services(context), actor_of(update)
    step = await safeguarding.concern_category(svc, actor, pid, args[1])
    await settle_button(update)
    await _show_concern(update, context, step)


async def _read_flag(update: Update, context: Context, args: list[str]) -> None:
    [flag_id] = _ints(args, 1)
    detail = await safeguarding.read_flag(services(context), actor_of(update), flag_id)
    await settle_button(update)
    await say(update, context, "preparation/flag_detail", flag=detail)


async def _settle_and_show(update: Update, context: Context, screen: Screen) -> None:
    """Take the buttons off the pressed message while the answer goes out: the two
    round trips overlap, which matters because updates are handled one at a time."""
    await asyncio.gather(settle_button(update), show(update, context, screen))


BUTTONS: dict[str, Any] = {
    "go": _go,
    "later": _later,
    "a": _answer,
    "stop": _stop,
    "ch": _change,
    "send": _send,
    "cs": _consent,
    "cr": _concern_pick,
    "cc": _concern_category,
    "rf": _read_flag,
}


# --- showing a screen -------------------------------------------------------------------------


async def show(update: Update, context: Context, screen: Screen) -> None:
    """Whatever went wrong first, then help and alerts at once, then where they are now."""
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
    await say(
        update,
        context,
        "preparation/question",
        keyboard=_answer_keyboard(context, screen, question),
        screen=screen,
        question=question,
        body=body,
    )


def _answer_keyboard(context: Context, screen: Screen, question: Question) -> InlineKeyboardMarkup:
    pid, qid = screen.participant_id, question.id
    t = texts(context)
    rows = [
        [InlineKeyboardButton(o.label, callback_data=data(PREFIX, "a", pid, qid, i))]
        for i, o in enumerate(question.options)
    ]
    rows.append(
        [
            InlineKeyboardButton(
                _label(t, "not_sure"), callback_data=data(PREFIX, "a", pid, qid, "n")
            ),
            InlineKeyboardButton(_label(t, "skip"), callback_data=data(PREFIX, "a", pid, qid, "s")),
        ]
    )
    rows.append([_button(context, "stop", "stop", pid)])
    return InlineKeyboardMarkup(rows)


async def _consent_question(update: Update, context: Context, screen: Screen) -> None:
    pid, subject, version = screen.participant_id, screen.subject, screen.consent_version
    t = texts(context)
    choices = (("consent_yes", "yes"), ("consent_no", "no"), ("not_sure", "not_sure"))
    buttons = [
        InlineKeyboardButton(
            _label(t, label),
            callback_data=data(PREFIX, "cs", pid, subject, value, version),
        )
        for label, value in choices
    ]
    keyboard = InlineKeyboardMarkup([buttons, [_button(context, "stop", "stop", pid)]])
    await say(update, context, f"preparation/consent_{subject}", keyboard=keyboard, screen=screen)


async def _summary(update: Update, context: Context, screen: Screen) -> None:
    """The answers, grouped by area, split over messages if long; buttons on the last."""
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
                _label(t, "change", number=line.number, short=line.question.short),
                callback_data=data(PREFIX, "ch", pid, line.question.id),
            )
            for line in screen.lines
        ]
    if not screen.submitted:
        buttons.append(_button(context, "send", "send", pid))
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


async def _pick_review(update: Update, context: Context, choice: Choice) -> None:
    t = texts(context)
    buttons = [
        InlineKeyboardButton(
            _label(t, "pick", role=t.role(m.role), at=m.at),
            callback_data=data(PREFIX, "go", m.participant_id),
        )
        for m in choice.memberships
    ]
    await say(update, context, "preparation/pick", keyboard=grid(buttons))


async def _send_html(
    update: Update, context: Context, html: str, keyboard: InlineKeyboardMarkup | None = None
) -> None:
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(chat.id, html, parse_mode=ParseMode.HTML, reply_markup=keyboard)


def _label(t: Texts, key: str, **params: Any) -> str:
    """A [prep_buttons] label; compiled once, as a question is shown on every update."""
    return _label_template(t, key).render(**params)


@lru_cache(maxsize=256)
def _label_template(t: Texts, key: str) -> Template:
    return t.plain_env.from_string(str(t.labels["prep_buttons"][key]))


def _button(context: Context, label: str, *parts: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(_label(texts(context), label), callback_data=data(PREFIX, *parts))


async def send_alerts(context: Context, alerts: list[Alert], flag_id: int | None) -> None:
    """Tell the coordinator(s) and clinician now; a chat we cannot reach is counted, not fatal."""
    if not alerts:
        return
    counts: dict[int | None, list[int]] = {}
    for alert in alerts:
        tally = counts.setdefault(alert.counts_for or flag_id, [0, 0])
        keyboard = (
            grid([_button(context, "read_flag", "rf", alert.flag_id)]) if alert.flag_id else None
        )
        try:
            await context.bot.send_message(
                alert.chat_id,
                texts(context).render(alert.template, **alert.params),
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
            )
            tally[0] += 1
        except TelegramError:
            tally[1] += 1
            log.warning("alert for flag %s not delivered to chat %s", flag_id, alert.chat_id)
    for counted, (sent, failed) in counts.items():
        if counted is not None:
            await safeguarding.record_delivery(services(context), counted, sent=sent, failed=failed)


# --- /consent and /bestinterests ---------------------------------------------------------------


async def consent_command(update: Update, context: Context) -> None:
    """/consent: the young person sees their decisions and can change or withdraw them."""
    view = await preparation.consent_view(services(context), actor_of(update))
    t = texts(context)
    pid, version = view.participant_id, view.state.version
    rows = [
        [
            InlineKeyboardButton(
                _label(t, f"{subject}_{value}"),
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


def _rest(update: Update) -> str:
    """The message after its /command, newlines kept."""
    text = update.effective_message.text if update.effective_message else None
    parts = re.split(r"\s+", text or "", maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def _number_and_rest(update: Update) -> tuple[int | None, str]:
    first, _, reason = _rest(update).partition(" ")
    return parse_id(first), reason.strip()


# --- /concern ---------------------------------------------------------------------------------


async def concern(update: Update, context: Context) -> None:
    """/concern [words]: anyone in a review can say rights are not being respected."""
    step = await safeguarding.start_concern(
        services(context), actor_of(update), _rest(update) or None
    )
    await _show_concern(update, context, step)


async def _show_concern(update: Update, context: Context, step: ConcernStep) -> None:
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
                _label(t, "pick", role=t.role(m.role), at=m.at),
                callback_data=data(PREFIX, "cr", m.participant_id),
            )
            for m in step.memberships
        ]
        await say(update, context, "preparation/concern_pick", keyboard=grid(buttons))
    elif step.kind == "ask":
        buttons = [
            InlineKeyboardButton(
                c.label, callback_data=data(PREFIX, "cc", step.participant_id, c.value)
            )
            for c in library().concerns
        ]
        await say(update, context, "preparation/concern_ask", keyboard=grid(buttons))
    else:
        await say(update, context, "preparation/concern_none")
