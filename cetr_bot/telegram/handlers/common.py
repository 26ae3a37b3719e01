"""/start, /help, /cancel, and whatever does not match anything else."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from telegram import Update
from telegram.error import Forbidden
from telegram.ext import Application, CommandHandler, filters

from cetr_bot.domain import FAMILY_ROLES, PANEL_ROLES, Role
from cetr_bot.services import flows, invitations, people, teams
from cetr_bot.services import preparation as prep_service
from cetr_bot.services.errors import ServiceError
from cetr_bot.storage.models import PendingInput
from cetr_bot.telegram import updates
from cetr_bot.telegram.handlers import attendance, preparation
from cetr_bot.telegram.menus import set_coordinator_menu
from cetr_bot.telegram.replies import (
    Context,
    Handler,
    actor_of,
    guarded,
    read_as,
    say,
    say_error,
    services,
    texts,
)
from cetr_bot.telegram.screens import show

log = logging.getLogger(__name__)


def register(app: Application) -> None:
    """/start, /help and /cancel (the catch-alls are added last, by application.py)."""
    # Edited messages never reach a command handler (see handlers/gate.py).
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    for name, handler in (("start", start), ("help", help_command), ("cancel", cancel)):
        app.add_handler(CommandHandler(name, guarded(handler), filters=private))


def joined_template(role: Role, *, deputy: bool = False) -> str:
    if deputy:
        return "start/joined_deputy"
    if role is Role.SUPPORTER:
        return "start/joined_supporter"
    if role is Role.YOUNG_PERSON:
        return "start/joined_young_person"
    if role in FAMILY_ROLES:
        return "start/joined_family"
    if role in PANEL_ROLES:
        return "start/joined_panel"
    return "start/joined_professional"


async def start(update: Update, context: Context) -> None:
    actor = actor_of(update)
    if context.args:
        try:
            joined = await invitations.redeem(services(context), actor, token=context.args[0])
        except ServiceError as error:
            await say_error(update, context, error)
            return
        log.info("user %s joined review %s", actor.telegram_user_id, joined.review_id)
        await read_as(update, context)  # the young person reads easy-read from now on
        await say(
            update,
            context,
            joined_template(joined.role, deputy=joined.deputy_for is not None),
            name=joined.name,
            role=joined.role,
            joined=joined,
            at=joined.at,
            review_type=joined.review_type,
        )
        await attendance.after_join(update, context, joined)
        await preparation.after_join(update, context, joined)
        return
    svc = services(context)
    coordinator_, admin_ = await svc.is_coordinator(actor), await teams.is_admin(svc, actor)
    if (coordinator_ or admin_) and actor.telegram_user_id:
        await set_coordinator_menu(
            context.bot,
            texts(context),
            actor.telegram_user_id,
            coordinator=coordinator_,
            admin=admin_,
        )
    memberships = await invitations.memberships(svc, actor)
    await say(update, context, "start/welcome", name=actor.first_name, memberships=memberships)


async def help_command(update: Update, context: Context) -> None:
    svc, actor = services(context), actor_of(update)
    coordinator_, admin_ = await svc.is_coordinator(actor), await teams.is_admin(svc, actor)
    await say(update, context, "start/help", coordinator=coordinator_, admin=admin_)


async def cancel(update: Update, context: Context) -> None:
    """/cancel: a guided flow is dropped; else an open walk-through stops for now."""
    svc, actor = services(context), actor_of(update)
    if await flows.clear(svc, actor):
        await say(update, context, "general/cancelled")
        return
    stopped = await prep_service.stop_active(svc, actor)
    if stopped is not None:
        await show(update, context, stopped)
        return
    await say(update, context, "general/nothing_to_cancel")


Route = Callable[[Update, Context, PendingInput | None], Awaitable[bool]]


def router(routes: Sequence[Route]) -> Handler:
    """A handler that offers the message to each route in turn (with the guided flow
    waiting for this user, if any) until one takes it; nobody: a kind pointer."""

    async def route(update: Update, context: Context) -> None:
        flow = await flows.current(services(context), actor_of(update))
        for taker in routes:
            if await taker(update, context, flow):
                return
        await say(update, context, "general/not_expected")

    return route


async def unknown_command(update: Update, context: Context) -> None:
    await say(update, context, "general/unknown_command")


async def note_reader(update: Update, context: Context) -> None:
    """How the sender reads (their language, easy-read), for every reply to this
    update; and a message from someone marked unreachable means they can hear us again."""
    reader = await read_as(update, context)
    if reader is not None and reader.unreachable and update.effective_user is not None:
        user_id = update.effective_user.id
        if await people.seen(services(context), user_id):
            log.info("user %s is reachable again", user_id)


async def on_error(update: object, context: Context) -> None:
    """Log by id only, and tell the user something went wrong without details."""
    update_id = update.update_id if isinstance(update, Update) else None
    updates.mark_failed()  # the metrics count it as an error, whatever follows
    if isinstance(context.error, Forbidden) and isinstance(update, Update):
        await _blocked(update, context)
        return
    log.error("error while handling update %s", update_id, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await say(update, context, "errors/internal")
        except Exception:  # noqa: BLE001 - the error handler must never raise
            log.exception("could not tell the user about the error")


async def _blocked(update: Update, context: Context) -> None:
    """A reply was refused with 403: they blocked the bot. Not a fault of ours."""
    user = update.effective_user
    if user is None:
        log.info("reply refused (403) on update %s", update.update_id)
        return
    marked = await people.blocked(services(context), user.id)
    log.info("user %s has blocked the bot%s", user.id, "; marked unreachable" if marked else "")
