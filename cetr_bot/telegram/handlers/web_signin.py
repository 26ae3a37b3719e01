"""/web: a single-use sign-in link for the web companion, for a browser outside Telegram.
Sent with link previews off, so Telegram does not fetch it (and the page asks for a
button press before it signs anyone in, in case something fetches it anyway)."""

from __future__ import annotations

from telegram import LinkPreviewOptions, Update
from telegram.ext import Application, CommandHandler, filters

from cetr_bot import web_links
from cetr_bot.services import web_access
from cetr_bot.telegram.replies import Context, actor_of, guarded, say, services, texts


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("web", guarded(web), filters=private))


async def web(update: Update, context: Context) -> None:
    svc = services(context)
    if not web_links.enabled(svc.settings):
        await say(update, context, "websignin/off")
        return
    token = await web_access.create_link(svc, actor_of(update))
    url = web_links.sign_in_url(svc.settings, token)
    chat = update.effective_chat
    assert chat is not None and url is not None
    await context.bot.send_message(
        chat.id,
        texts(context).render("websignin/link", url=url, minutes=web_access.LINK_MINUTES),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        protect_content=True,
    )
