"""Actions in the bot: the coordinator records and changes them, owners answer,
families see a plain summary. Every press is re-checked by cetr_bot.services.actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from cetr_bot.domain import Role
from cetr_bot.notifications import keyboards
from cetr_bot.notifications.callbacks import (
    ActionMenu,
    ActionOwner,
    AskNewOwner,
    MenuChoice,
    NewOwnerRole,
    OwnerIsParticipant,
    PlainWordsChoice,
    ReassignAction,
    parse_action_menu,
    parse_owner_pick,
)
from cetr_bot.parsing import parse_date, parse_id, parse_time
from cetr_bot.services import action_flows, actions, preferences
from cetr_bot.services.errors import Invalid
from cetr_bot.storage.models import PendingInput
from cetr_bot.telegram.replies import (
    Context,
    actor_of,
    callback_data,
    guarded,
    say,
    say_error,
    services,
    settle_button,
    texts,
)

OWNER_VERBS = {
    "d": actions.Response.DONE,
    "u": actions.Response.UPDATE,
    "h": actions.Response.HELP,
    "n": actions.Response.NOT_MINE,
}
ASK_TEMPLATE = {
    actions.Response.UPDATE: "actions/ask_update",
    actions.Response.HELP: "actions/ask_help",
    actions.Response.NOT_MINE: "actions/ask_not_mine",
}
# The coordinator's menu on an open action (its "cancel" asks before "yes").
MENU: tuple[MenuChoice, ...] = ("change_due", "change_what", "reassign", "cancel")


def register(app: Application) -> None:
    """Add this module's commands and buttons (called before the catch-all handlers)."""
    private = filters.ChatType.PRIVATE
    commands = {
        "held": held,
        "addaction": add_action,
        "actions": list_actions,
        "action": show_action,
        "myactions": my_actions,
        "digest": digest,
        "reportsent": report_sent,
    }
    for name, handler in commands.items():
        app.add_handler(CommandHandler(name, guarded(handler), filters=private))
    buttons = {
        "ao": owner_button,
        "ah": owner_pick_button,
        ActionMenu.PREFIX: manage_button,
        "pw:a": plain_words_button,
        "pw:e": plain_words_edit_button,
    }
    for prefix, handler in buttons.items():
        app.add_handler(CallbackQueryHandler(guarded(handler), pattern=f"^{prefix}:"))


def _number(text: str | None) -> int | None:
    return parse_id((text or "").strip().lstrip("#"), prefixes="Aa")


def _example_date(context: Context) -> str:
    svc = services(context)
    return f"{(svc.now() + timedelta(days=28)).astimezone(svc.settings.zone):%d/%m/%Y}"


def owner_keyboard(context: Context, view: actions.ActionView) -> InlineKeyboardMarkup:
    return keyboards.action_owner(texts(context), view.id, view.version)


# --- the coordinator ------------------------------------------------------------------


async def held(update: Update, context: Context) -> None:
    svc, actor = services(context), actor_of(update)
    await svc.require_coordinator(actor)
    args = context.args or []
    review_id = _number(args[0] if args else None)
    if review_id is None:
        await say(update, context, "coordinator/usage_review")
        return
    on = parse_date(" ".join(args[1:])) if len(args) > 1 else None
    if len(args) > 1 and on is None:
        raise Invalid("bad_date")
    on = await actions.mark_held(svc, actor, review_id=review_id, held_on=on)
    await say(update, context, "actions/held", review_id=review_id, held_on=on)


async def report_sent(update: Update, context: Context) -> None:
    svc, actor = services(context), actor_of(update)
    review_id = _number(context.args[0] if context.args else None)
    if review_id is None:
        await svc.require_coordinator(actor)
        await say(update, context, "coordinator/usage_review")
        return
    await actions.mark_report_sent(svc, actor, review_id=review_id)
    await say(update, context, "actions/report_marked", review_id=review_id)


async def add_action(update: Update, context: Context) -> None:
    svc, actor = services(context), actor_of(update)
    await svc.require_coordinator(actor)
    review_id = _number(context.args[0] if context.args else None)
    if review_id is None:
        await say(update, context, "coordinator/usage_review")
        return
    step = await action_flows.start_add_action(svc, actor, review_id)
    await say(update, context, "actions/ask_what", review_id=step.review_id)


async def show_add_step(update: Update, context: Context, step: action_flows.ActionStep) -> None:
    if step.error is not None:
        await say_error(update, context, step.error)
    if step.hard is not None:
        await say(
            update,
            context,
            "writer/hard_to_read",
            hard=step.hard,
            keyboard=keyboards.plain_words(texts(context), "a"),
            protect=True,
        )
    elif step.name == "what":
        await say(update, context, "actions/ask_what", review_id=step.review_id)
    elif step.name == "owner":
        await _ask_owner(update, context, step.review_id)
    elif step.name == "due":
        await say(
            update, context, "actions/ask_due", invite=step.invite, example=_example_date(context)
        )
    elif step.action is not None:
        await say(update, context, "actions/added", action=step.action)


async def _ask_owner(
    update: Update, context: Context, review_id: int, *, action_id: int = 0
) -> None:
    svc, actor, t = services(context), actor_of(update), texts(context)
    choices = await actions.participants_for_owner_choice(svc, actor, review_id=review_id)
    buttons = [
        InlineKeyboardButton(
            t.label("action_buttons.owner_choice", role=t.role(role), name=name, joined=joined),
            callback_data=(
                ReassignAction(action_id, pid) if action_id else OwnerIsParticipant(pid)
            ).pack(),
        )
        for pid, role, name, joined in choices
    ]
    if not action_id:
        buttons.append(
            InlineKeyboardButton(
                t.label("action_buttons.new_owner"), callback_data=AskNewOwner().pack()
            )
        )
    template = "actions/ask_reassign" if action_id else "actions/ask_owner"
    await say(update, context, template, keyboard=keyboards.grid(buttons), a={"id": action_id})


async def plain_words_button(update: Update, context: Context) -> None:
    """pw:a:send|simplify: the coordinator's choice on an action's words that read as
    hard for the young person."""
    pressed = PlainWordsChoice.parse(callback_data(update))
    keep = pressed.choice == "send"
    step = await action_flows.keep_held_what(services(context), actor_of(update), keep=keep)
    await settle_button(update)
    if not keep:
        await say(update, context, "writer/simplify")
    await show_add_step(update, context, step)


async def owner_pick_button(update: Update, context: Context) -> None:
    """ah:new, ah:p:<participant>, ah:r:<role> (the coordinator's check comes first)"""
    svc, actor, t = services(context), actor_of(update), texts(context)
    await svc.require_coordinator(actor)
    pressed = parse_owner_pick(callback_data(update))
    await settle_button(update)
    if isinstance(pressed, AskNewOwner):
        roles = [
            InlineKeyboardButton(t.role(r), callback_data=NewOwnerRole(r).pack())
            for r in action_flows.ROLES_FOR_NEW_OWNER
        ]
        await say(
            update, context, "actions/ask_new_owner_role", keyboard=keyboards.grid(roles, width=2)
        )
        return
    if isinstance(pressed, OwnerIsParticipant):
        step = await action_flows.add_action_owner(
            svc, actor, participant_id=pressed.participant_id
        )
    else:
        step = await action_flows.add_action_owner(svc, actor, new_role=pressed.role)
    await show_add_step(update, context, step)


async def list_actions(update: Update, context: Context) -> None:
    """Coordinator: /actions N lists a review's actions. Others: their family summary."""
    svc, actor = services(context), actor_of(update)
    if not await svc.is_coordinator(actor):
        await family_summary(update, context)
        return
    review_id = _number(context.args[0] if context.args else None)
    if review_id is None:
        await say(update, context, "coordinator/usage_review")
        return
    items = await actions.list_actions(svc, actor, review_id=review_id)
    await say(update, context, "actions/list", review_id=review_id, items=items)


async def show_action(update: Update, context: Context) -> None:
    svc, actor, t = services(context), actor_of(update), texts(context)
    action_id = _number(context.args[0] if context.args else None)
    if action_id is None:
        await my_actions(update, context)
        return
    view, history = await actions.show_action(svc, actor, action_id=action_id)
    keyboard = None
    if view.status is actions.ActionStatus.OPEN:
        if await svc.is_coordinator(actor):
            keyboard = keyboards.grid(
                [
                    InlineKeyboardButton(
                        t.label(f"action_buttons.{name}"),
                        callback_data=ActionMenu(view.id, name).pack(),
                    )
                    for name in MENU
                ],
                width=2,
            )
        else:
            keyboard = owner_keyboard(context, view)
    await say(update, context, "actions/detail", a=view, history=history, keyboard=keyboard)


async def manage_button(update: Update, context: Context) -> None:
    """am:<action>:change_due|change_what|reassign|cancel|yes|keep, am:<action>:to:<participant>

    In this order: the coordinator check; the action (looked up, so one outside their
    team is "not found"); only then the rest of the press."""
    data = callback_data(update)
    svc, actor, t = services(context), actor_of(update), texts(context)
    await svc.require_coordinator(actor)
    action_id = ActionMenu.action_of(data)
    await settle_button(update)
    view, _ = await actions.show_action(svc, actor, action_id=action_id)
    pressed = parse_action_menu(data)
    if isinstance(pressed, ReassignAction):
        changed = await actions.reassign_action(
            svc, actor, action_id=action_id, owner_participant_id=pressed.owner_participant_id
        )
        await say(update, context, "actions/coordinator_changed", a=changed, reason="reassigned")
        return
    choice = pressed.choice
    if choice in ("change_due", "change_what"):
        await action_flows.start_edit(svc, actor, action_id=action_id, field=choice)
        template = "actions/ask_edit_due" if choice == "change_due" else "actions/ask_edit_what"
        await say(update, context, template, a=view, example=_example_date(context))
    elif choice == "reassign":
        await _ask_owner(update, context, view.review_id, action_id=action_id)
    elif choice == "cancel":
        keyboard = keyboards.grid(
            [
                InlineKeyboardButton(
                    t.label("action_buttons.yes_cancel"),
                    callback_data=ActionMenu(action_id, "yes").pack(),
                ),
                InlineKeyboardButton(
                    t.label("action_buttons.keep"),
                    callback_data=ActionMenu(action_id, "keep").pack(),
                ),
            ]
        )
        await say(update, context, "actions/confirm_cancel", a=view, keyboard=keyboard)
    elif choice == "yes":
        changed = await actions.cancel_action(svc, actor, action_id=action_id)
        await say(update, context, "actions/coordinator_changed", a=changed, reason="cancelled")
    else:
        await say(update, context, "coordinator/kept")


async def show_edit_step(update: Update, context: Context, step: action_flows.EditStep) -> None:
    if step.hard is not None:
        await say(
            update,
            context,
            "writer/hard_to_read",
            hard=step.hard,
            keyboard=keyboards.plain_words(texts(context), "e"),
            protect=True,
        )
    elif step.changed is not None:
        await say(update, context, "actions/coordinator_changed", a=step.changed, reason="edited")
    else:
        await say(update, context, "actions/ask_edit_what", a={"id": step.action_id})


async def plain_words_edit_button(update: Update, context: Context) -> None:
    """pw:e:send|simplify: the coordinator's choice on an action's new words that read
    as hard for the young person."""
    pressed = PlainWordsChoice.parse(callback_data(update))
    keep = pressed.choice == "send"
    step = await action_flows.keep_held_edit(services(context), actor_of(update), keep=keep)
    await settle_button(update)
    if not keep:
        await say(update, context, "writer/simplify")
    await show_edit_step(update, context, step)


# --- the owner --------------------------------------------------------------------------


async def my_actions(update: Update, context: Context) -> None:
    items = await actions.my_actions(services(context), actor_of(update))
    await say(update, context, "actions/mine", items=items)
    for view in items[:10]:
        await say(update, context, "actions/one", a=view, keyboard=owner_keyboard(context, view))


async def owner_button(update: Update, context: Context) -> None:
    """ao:<action>:<d|u|h|n>:<version>"""
    pressed = ActionOwner.parse(callback_data(update))
    action_id, version, response = pressed.action_id, pressed.version, OWNER_VERBS[pressed.verb]
    svc, actor = services(context), actor_of(update)
    if response is actions.Response.DONE:
        view = await actions.respond(
            svc, actor, action_id=action_id, response=response, version=version
        )
        await settle_button(update)
        await say(update, context, "actions/thanks_done", a=view)
        return
    view = await action_flows.ask_owner_text(
        svc, actor, action_id=action_id, response=response, version=version
    )
    await settle_button(update)
    await say(update, context, ASK_TEMPLATE[response], a=view)


async def owner_text(update: Update, context: Context, text: str) -> None:
    view, response = await action_flows.owner_text(services(context), actor_of(update), text)
    await say(update, context, f"actions/thanks_{response}", a=view)


async def digest(update: Update, context: Context) -> None:
    svc, actor = services(context), actor_of(update)
    arg = (context.args or [""])[0].lower()
    if arg in ("off", "stop", "none"):
        await preferences.set_digest(svc, actor, at=None)
        await say(update, context, "actions/digest_set", at=None)
        return
    at = parse_time(arg) if arg else None
    if at is None:
        await say(update, context, "actions/digest_usage")
        return
    await preferences.set_digest(svc, actor, at=at)
    await say(update, context, "actions/digest_set", at=at)


# --- the family and the young person --------------------------------------------------------


async def family_summary(update: Update, context: Context) -> None:
    summary = await actions.family_summary(services(context), actor_of(update))
    template = (
        "actions/young_person_summary"
        if summary.role is Role.YOUNG_PERSON
        else "actions/family_summary"
    )
    await say(update, context, template, items=summary.items, contacts=summary.contacts)


async def continue_flow(update: Update, context: Context, kind: str, data: dict[str, Any]) -> bool:
    """Typed text for one of this module's waiting flows."""
    message = update.effective_message
    text = message.text if message else None
    if text is None:
        return False
    if kind == action_flows.ADD_ACTION:
        step = await action_flows.add_action_text(services(context), actor_of(update), text)
        await show_add_step(update, context, step)
    elif kind == action_flows.OWNER_TEXT:
        await owner_text(update, context, text)
    elif kind == action_flows.EDIT_ACTION:
        edit = await action_flows.edit_text(services(context), actor_of(update), text)
        await show_edit_step(update, context, edit)
    else:
        return False
    return True


async def typed_text(update: Update, context: Context, flow: PendingInput | None) -> bool:
    """Text for an action's waiting flow (a new action, an owner's update)."""
    return flow is not None and await continue_flow(update, context, flow.kind, dict(flow.data))
