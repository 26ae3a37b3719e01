"""Safeguarding alerts to the coordinator(s) and clinician, sent at once."""

from __future__ import annotations

import logging

from telegram.error import TelegramError

from cetr_bot.notifications.callbacks import ReadFlag
from cetr_bot.notifications.keyboards import grid
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
        keyboard = (
            grid([button(context, "read_flag", ReadFlag(alert.flag_id))]) if alert.flag_id else None
        )
        try:
            await context.bot.send_message(
                alert.chat_id,
                texts(context).render(alert.template, **alert.params),
                reply_markup=keyboard,
            )
            tally[0] += 1
        except TelegramError:
            tally[1] += 1
            log.warning("alert for flag %s not delivered to chat %s", flag_id, alert.chat_id)
    for counted, (sent, failed) in counts.items():
        if counted is not None:
            await safeguarding.record_delivery(services(context), counted, sent=sent, failed=failed)
