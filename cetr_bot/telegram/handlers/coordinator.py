"""The coordinator's commands and buttons. Every call goes through a service,
which checks that the user really is a coordinator."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from cetr_bot import web_links
from cetr_bot.domain import parse_role
from cetr_bot.notifications import keyboards
from cetr_bot.notifications.callbacks import (
    CancelReview,
    Invite,
    NewReview,
    Reschedule,
    ShowReview,
)
from cetr_bot.notifications.delivery_policy import Content
from cetr_bot.parsing import parse_id
from cetr_bot.services import flows, invitations, needs, reviews
from cetr_bot.services.errors import Invalid
from cetr_bot.storage.models import PendingInput
from cetr_bot.telegram.replies import (
    Context,
    actor_of,
    callback_data,
    delivery,
    guarded,
    say,
    say_error,
    say_page,
    services,
    settle_button,
    texts,
)

log = logging.getLogger(__name__)


def register(app: Application) -> None:
    """The coordinator's commands and buttons (called before the catch-all handlers)."""
    # Edited messages never reach a command handler (see handlers/gate.py).
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    commands = {
        "newreview": newreview,
        "reviews": list_reviews,
        "review": show_review,
        "invite": invite,
        "reschedule": reschedule,
        "cancelreview": cancel_review,
    }
    for name, handler in commands.items():
        app.add_handler(CommandHandler(name, guarded(handler), filters=private))
    buttons = {
        "nr": newreview_button,
        "rv": review_button,
        "inv": invite_button,
        "rs": reschedule_button,
        "cx": cancel_button,
    }
    for prefix, handler in buttons.items():
        app.add_handler(CallbackQueryHandler(guarded(handler), pattern=f"^{prefix}(:|$)"))


async def typed_text(update: Update, context: Context, flow: PendingInput | None) -> bool:
    """Text for the coordinator's waiting flow (a new review, a reschedule)."""
    return flow is not None and await continue_flow(update, context, flow.kind)


async def media(update: Update, context: Context, flow: PendingInput | None) -> bool:
    """A sticker or photo while any flow waits for text: ask again for text."""
    if flow is None:
        return False
    await say(update, context, "general/text_please")
    await repeat_question(update, context, flow.kind)
    return True


def _review_number(text: str | None) -> int | None:
    return parse_id(text)


# --- /newreview ---------------------------------------------------------------


def _step_keyboard(context: Context, step: flows.Step) -> InlineKeyboardMarkup | None:
    t, name = texts(context), step.name
    if name == "team":
        return keyboards.pick_team(step.data.get("teams", []))
    if name == "type":
        return keyboards.review_types(t)
    if name in ("dob", "admitted", "where"):
        return keyboards.skip(t, name)
    if name == "confirm":
        return keyboards.confirm_new_review(t)
    return None


async def _show_step(update: Update, context: Context, step: flows.Step) -> None:
    if step.error is not None:
        await say_error(update, context, step.error)
    params: dict[str, Any] = {
        "data": step.data,
        "warnings": step.warnings,
        "review_id": step.review_id,
    }
    keyboard = _step_keyboard(context, step)
    await say(update, context, f"newreview/{step.name}", keyboard=keyboard, **params)


async def newreview(update: Update, context: Context) -> None:
    step = await flows.start_new_review(services(context), actor_of(update))
    await _show_step(update, context, step)


async def newreview_button(update: Update, context: Context) -> None:
    pressed = NewReview.parse(callback_data(update))
    await services(context).require_coordinator(actor_of(update))
    await settle_button(update)
    step = await flows.new_review_input(
        services(context), actor_of(update), pressed.value, button_step=pressed.step
    )
    await _show_step(update, context, step)


async def continue_flow(update: Update, context: Context, kind: str) -> bool:
    """Feed typed text to the waiting flow; False if there is no such flow."""
    text = update.effective_message.text if update.effective_message else None
    if text is None:
        return False
    svc, actor = services(context), actor_of(update)
    if kind == flows.NEW_REVIEW:
        await _show_step(update, context, await flows.new_review_input(svc, actor, text))
        return True
    if kind == flows.RESCHEDULE:
        step = await flows.reschedule_input(svc, actor, text)
        if step.error is not None:
            await say_error(update, context, step.error)
            return True
        at = step.data["at"]
        await say(
            update,
            context,
            "coordinator/rescheduled",
            review_id=step.review_id,
            at=at,
            warnings=step.warnings,
        )
        return True
    return False


async def repeat_question(update: Update, context: Context, kind: str) -> None:
    svc, actor = services(context), actor_of(update)
    row = await flows.current(svc, actor)
    if row is None:
        return
    if kind == flows.NEW_REVIEW:
        step = await flows.current_new_review_step(svc, actor)
        if step is not None:
            await _show_step(update, context, step)
    elif kind == flows.RESCHEDULE:
        detail = await reviews.review_detail(svc, actor, int(row.data["review_id"]))
        await say(update, context, "coordinator/reschedule_ask", detail=detail)


# --- /reviews and /review N -----------------------------------------------------


async def list_reviews(update: Update, context: Context) -> None:
    svc = services(context)
    upcoming = await reviews.list_upcoming(svc, actor_of(update))
    # With a web companion the references stay on its pages: numbers and days here.
    discreet = web_links.enabled(svc.settings)
    await say(update, context, "coordinator/reviews", reviews=upcoming, discreet=discreet)


async def _on_one_review(
    update: Update,
    context: Context,
    purpose: str,
    prefix: str,
    then: Callable[[Update, Context, int], Awaitable[None]],
) -> None:
    """A coordinator's command about one review: `/command N` goes on with review N,
    a bare `/command` lists their reviews as buttons to pick from."""
    await services(context).require_coordinator(actor_of(update))
    number = _review_number(context.args[0] if context.args else None)
    if number is None:
        await _pick(update, context, purpose, prefix)
        return
    await then(update, context, number)


async def show_review(update: Update, context: Context) -> None:
    await _on_one_review(update, context, "review", "rv", _send_detail)


async def _send_detail(update: Update, context: Context, review_id: int) -> None:
    detail = await reviews.review_detail(services(context), actor_of(update), review_id)
    via = delivery(context, Content.REVIEW, review_id)
    if via.url is not None:
        await say_page(update, context, "links/review", Content.REVIEW, via.url, detail=detail)
        return
    await say(update, context, "coordinator/review", detail=detail, protect=via.protect_content)


async def review_button(update: Update, context: Context) -> None:
    number = ShowReview.parse(callback_data(update)).review_id
    await services(context).require_coordinator(actor_of(update))
    await settle_button(update)
    await _send_detail(update, context, number)


async def _pick(update: Update, context: Context, purpose: str, action: str) -> None:
    svc = services(context)
    upcoming = await reviews.list_upcoming(svc, actor_of(update))
    discreet = web_links.enabled(svc.settings)
    keyboard = (
        keyboards.pick_review(texts(context), upcoming, action, discreet=discreet)
        if upcoming
        else None
    )
    await say(
        update,
        context,
        "coordinator/pick_review",
        any=bool(upcoming),
        purpose=purpose,
        keyboard=keyboard,
    )


# --- /invite ----------------------------------------------------------------------


async def invite(update: Update, context: Context) -> None:
    svc, actor = services(context), actor_of(update)
    await svc.require_coordinator(actor)
    args = context.args or []
    number = _review_number(args[0] if args else None)
    if number is None:
        await _pick(update, context, "invite", "inv")
        return
    role = parse_role(args[1]) if len(args) > 1 else None
    if role is None:
        await _pick_role(update, context, number)
        return
    await _make_invite(update, context, number, role)


async def _pick_role(update: Update, context: Context, review_id: int) -> None:
    """Who to invite, with the communication needs known around this young person."""
    svc, actor = services(context), actor_of(update)
    await reviews.review_detail(svc, actor, review_id)  # a clear answer for a wrong number
    await say(
        update,
        context,
        "coordinator/pick_role",
        review_id=review_id,
        needs=await needs.planning_for_review(svc, actor, review_id),
        keyboard=keyboards.pick_role(texts(context), review_id),
    )


async def invite_button(update: Update, context: Context) -> None:
    pressed = Invite.parse(callback_data(update))
    number, role = pressed.review_id, pressed.role
    svc, actor = services(context), actor_of(update)
    await svc.require_coordinator(actor)
    await settle_button(update)
    if role is None:
        await _pick_role(update, context, number)
        return
    await _make_invite(update, context, number, role)


async def _make_invite(update: Update, context: Context, review_id: int, role: object) -> None:
    created = await invitations.create_invitation(
        services(context),
        actor_of(update),
        review_id=review_id,
        role=role,  # type: ignore[arg-type]
    )
    await say(update, context, "coordinator/invite_created", invite=created)


# --- /reschedule and /cancelreview ------------------------------------------------------


async def reschedule(update: Update, context: Context) -> None:
    await _on_one_review(update, context, "reschedule", "rs", _ask_new_time)


async def _ask_new_time(update: Update, context: Context, review_id: int) -> None:
    detail = await flows.start_reschedule(services(context), actor_of(update), review_id)
    await say(update, context, "coordinator/reschedule_ask", detail=detail)


async def reschedule_button(update: Update, context: Context) -> None:
    number = Reschedule.parse(callback_data(update)).review_id
    await services(context).require_coordinator(actor_of(update))
    await settle_button(update)
    await _ask_new_time(update, context, number)


async def cancel_review(update: Update, context: Context) -> None:
    await _on_one_review(update, context, "cancel", "cx", _ask_cancel)


async def _ask_cancel(update: Update, context: Context, review_id: int) -> None:
    detail = await reviews.review_detail(services(context), actor_of(update), review_id)
    if detail.summary.status != "scheduled":
        raise Invalid("review_not_scheduled", status=detail.summary.status)
    await say(
        update,
        context,
        "coordinator/cancel_confirm",
        detail=detail,
        # The delivery policy: with a web companion the chat names the review by number only.
        discreet=web_links.enabled(services(context).settings),
        keyboard=keyboards.confirm_cancel(texts(context), review_id),
    )


async def cancel_button(update: Update, context: Context) -> None:
    pressed = CancelReview.parse(callback_data(update))
    number = pressed.review_id
    svc, actor = services(context), actor_of(update)
    await svc.require_coordinator(actor)
    await settle_button(update)
    if pressed.answer is None:
        await _ask_cancel(update, context, number)
    elif pressed.answer == "yes":
        summary = await reviews.cancel_review(svc, actor, review_id=number)
        await say(update, context, "coordinator/cancelled", summary=summary)
    else:
        await say(update, context, "coordinator/kept")


async def unknown_button(update: Update, context: Context) -> None:
    """A button we never made (forged or from an old version): change nothing."""
    raise Invalid("stale_button")
