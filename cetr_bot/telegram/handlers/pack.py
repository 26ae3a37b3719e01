"""/pack N: the panel pack on demand, for the coordinator and that review's panel only."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from cetr_bot.notifications.delivery_policy import Content
from cetr_bot.parsing import parse_id
from cetr_bot.services import needs, pack
from cetr_bot.telegram.replies import (
    Context,
    actor_of,
    delivery,
    guarded,
    say,
    say_page,
    services,
    texts,
)


def register(app: Application) -> None:
    """Add this module's commands and buttons (called before the catch-all handlers)."""
    app.add_handler(CommandHandler("pack", guarded(pack_command), filters=filters.ChatType.PRIVATE))


async def pack_command(update: Update, context: Context) -> None:
    review_id = parse_id((context.args or [""])[0])
    if review_id is None:
        await say(update, context, "pack/usage")
        return
    current = await pack.pack_for(services(context), actor_of(update), review_id=review_id)
    await send_pack(update, context, current)


async def send_pack(update: Update, context: Context, current: pack.Pack) -> None:
    """A link to the pack's page with a web companion; else the files, protected."""
    via = delivery(context, Content.PACK, current.review_id)
    if via.url is not None:
        await say_page(
            update,
            context,
            "links/pack",
            Content.PACK,
            via.url,
            review_id=current.review_id,
            version=current.version,
        )
        return
    chat = update.effective_chat
    assert chat is not None
    t = texts(context)
    large = await needs.large_print_wanted(services(context), actor_of(update))
    html = pack.render(t, current, large_print=large)
    await context.bot.send_document(
        chat.id,
        document=html.encode(),
        filename=pack.filename(current),
        caption=t.render("pack/caption", pack=current, large_print=large),
        protect_content=via.protect_content,
    )
    # In a thread: the event loop gets its turns between xhtml2pdf's, so other people's
    # updates go on (a process pool would cost seconds to start on a first /pack).
    pdf = await asyncio.to_thread(pack.to_pdf, html)
    await context.bot.send_document(
        chat.id,
        document=pdf,
        filename=pack.filename(current, "pdf"),
        protect_content=via.protect_content,
    )
