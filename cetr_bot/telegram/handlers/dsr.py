"""/dsr: the Dynamic Support Register for coordinators (their teams' entries only).

/dsr lists it by colour with what is due next; /dsr N shows one entry with buttons to
change the rating (the reason is typed next), record an admission (today, in or out
of area) or the discharge (today, back to a colour), and its history. References
only: the reason, key worker and date of birth stay off the chat (the CLI shows them).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from cetr_bot.domain import Rag
from cetr_bot.notifications import keyboards
from cetr_bot.notifications.callbacks import DsrButton
from cetr_bot.parsing import parse_id
from cetr_bot.services import dsr, flows
from cetr_bot.services.errors import Invalid
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

RATE_REASON = "dsrrate"


def register(app: Application) -> None:
    """Add this module's commands and buttons (called before the catch-all handlers)."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("dsr", guarded(dsr_command), filters=private))
    app.add_handler(CallbackQueryHandler(guarded(dsr_button), pattern=f"^{DsrButton.PREFIX}:"))


async def dsr_command(update: Update, context: Context) -> None:
    svc, actor = services(context), actor_of(update)
    args = context.args or []
    if not args:
        await say(update, context, "dsr/register", reg=await dsr.register(svc, actor))
        return
    entry_id = parse_id(args[0], prefixes="#")
    if entry_id is None:
        await svc.require_coordinator(actor)
        await say(update, context, "dsr/usage")
        return
    await show(update, context, entry_id)


async def show(update: Update, context: Context, entry_id: int) -> None:
    view = await dsr.show_entry(services(context), actor_of(update), entry_id)
    keyboard = keyboards.dsr_detail(texts(context), view.id, view.version, view.in_hospital)
    await say(update, context, "dsr/detail", v=view, full=False, keyboard=keyboard)


async def dsr_button(update: Update, context: Context) -> None:
    press = DsrButton.parse(callback_data(update))
    svc, actor = services(context), actor_of(update)
    await svc.require_coordinator(actor)
    await settle_button(update)
    if press.verb == "show":
        await show(update, context, press.entry_id)
        return
    view = await dsr.show_entry(svc, actor, press.entry_id)
    if press.version != view.version and press.verb != "hist":
        raise Invalid("stale_button")
    if press.verb == "hist":
        view, lines = await dsr.history(svc, actor, press.entry_id)
        await say(update, context, "dsr/history", v=view, lines=lines)
    elif press.verb in ("rate", "admit", "dis"):
        verb = {"rate": "r", "admit": "a", "dis": "d"}[press.verb]
        keyboard = keyboards.dsr_choices(texts(context), view.id, verb, view.version)  # type: ignore[arg-type]
        await say(
            update, context, "dsr/choose", entry_id=view.id, verb=press.verb, keyboard=keyboard
        )
    elif press.verb == "r":
        data = {"entry_id": view.id, "rag": press.arg, "version": view.version}
        await flows.save(svc, actor, RATE_REASON, data)
        await say(update, context, "dsr/ask_reason", entry_id=view.id, rag=Rag(press.arg))
    elif press.verb == "a":
        changed = await dsr.admit(
            svc, actor, entry_id=view.id, on=dsr.today(svc), out_of_area=press.arg == "out"
        )
        await say(update, context, "dsr/changed", v=changed, without=changed.admitted_without_cetr)
    elif press.verb == "d":
        changed = await dsr.discharge(
            svc, actor, entry_id=view.id, on=dsr.today(svc), rag=Rag(press.arg)
        )
        await say(update, context, "dsr/changed", v=changed, without=False)


async def typed_text(update: Update, context: Context, flow: PendingInput | None) -> bool:
    """The reason for a rating chosen with a button."""
    if flow is None or flow.kind != RATE_REASON:
        return False
    text = update.effective_message.text if update.effective_message else None
    if text is None:
        return False
    svc, actor = services(context), actor_of(update)
    data = dict(flow.data)
    await flows.clear(svc, actor)
    view = await dsr.show_entry(svc, actor, int(data["entry_id"]))
    if view.version != int(data["version"]):
        raise Invalid("stale_button")
    changed = await dsr.rate(svc, actor, entry_id=view.id, rag=Rag(str(data["rag"])), reason=text)
    await say(update, context, "dsr/changed", v=changed, without=False)
    return True
