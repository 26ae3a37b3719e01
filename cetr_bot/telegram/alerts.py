"""Safeguarding alerts to the coordinator(s) and clinician, sent at once."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup
from telegram.error import TelegramError

from cetr_bot.notifications import keyboards
from cetr_bot.notifications.delivery_policy import Content, deliver, is_private_chat
from cetr_bot.services import safeguarding
from cetr_bot.services.safeguarding import Alert
from cetr_bot.telegram.prep_buttons import button
from cetr_bot.telegram.replies import Context, services, texts

log = logging.getLogger(__name__)


async def send_alerts(context: Context, alerts: list[Alert], flag_id: int | None) -> None:
    """Tell the coordinator(s) and clinician now; a chat we cannot reach is counted, not fatal."""
    if not alerts:
        return
    counts: dict[int | None, list[int]] = {}
    for alert in alerts:
        tally = counts.setdefault(alert.counts_for or flag_id, [0, 0])
        try:
            await context.bot.send_message(
                alert.chat_id,
                texts(context).render(alert.template, **alert.params),
                reply_markup=_keyboard(context, alert),
                protect_content=True,  # discreet, but about a child's safety: not for forwarding
            )
            tally[0] += 1
        except TelegramError:
            tally[1] += 1
            log.warning("alert for flag %s not delivered to chat %s", flag_id, alert.chat_id)
    for counted, (sent, failed) in counts.items():
        if counted is not None:
            await safeguarding.record_delivery(services(context), counted, sent=sent, failed=failed)


def _keyboard(context: Context, alert: Alert) -> InlineKeyboardMarkup | None:
    """The flag's details: its page with a web companion, else a button that shows them."""
    if not alert.flag_id:
        return None
    review_id = alert.params.get("review_id")
    via = deliver(services(context).settings, Content.FLAG, int(review_id or 0))
    if via.url is not None and review_id is not None:
        private = is_private_chat(alert.chat_id)
        return keyboards.open_page(texts(context), Content.FLAG, via.url, private_chat=private)
    return keyboards.grid([button(context, "read_flag", "rf", alert.flag_id)])
