"""Safeguarding alerts to the coordinator(s) and clinician, sent at once."""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineKeyboardMarkup
from telegram.error import TelegramError

from cetr_bot.notifications import keyboards
from cetr_bot.notifications.callbacks import ReadFlag
from cetr_bot.notifications.delivery_policy import Content, deliver, is_private_chat
from cetr_bot.scheduling import delivery
from cetr_bot.services import safeguarding
from cetr_bot.services.safeguarding import Alert
from cetr_bot.telegram.prep_buttons import button
from cetr_bot.telegram.replies import Context, base_texts, services

log = logging.getLogger(__name__)


async def send_alerts(context: Context, alerts: list[Alert], flag_id: int | None) -> None:
    """Tell the coordinator(s) and clinician now; a chat we cannot reach is counted, not fatal."""
    if not alerts:
        return
    counts: dict[int | None, list[int]] = {}
    for alert in alerts:
        tally = counts.setdefault(alert.counts_for or flag_id, [0, 0])
        text = base_texts(context).render(alert.template, **alert.params)
        if await _send_with_retries(context, alert.chat_id, text, _keyboard(context, alert)):
            tally[0] += 1
        else:
            tally[1] += 1
            log.warning("alert for flag %s not delivered to chat %s", flag_id, alert.chat_id)
    for counted, (sent, failed) in counts.items():
        if counted is not None:
            await safeguarding.record_delivery(services(context), counted, sent=sent, failed=failed)


ALERT_ATTEMPTS = 3


async def _send_with_retries(
    context: Context, chat_id: int, text: str, keyboard: InlineKeyboardMarkup | None
) -> bool:
    """delivery.py's policy for a safeguarding alert: sent again after a failure that
    surely did not deliver it, and after one that may have (better twice than never)."""
    for attempt in range(1, ALERT_ATTEMPTS + 1):
        try:
            await context.bot.send_message(
                chat_id,
                text,
                reply_markup=keyboard,
                protect_content=True,  # discreet, but about a child's safety: not for forwarding
            )
            return True
        except TelegramError as exc:
            outcome = delivery.classify(exc)
            again = outcome.kind in (delivery.Result.RETRY, delivery.Result.RATE_LIMITED) or (
                outcome.kind == delivery.Result.UNCERTAIN
                and delivery.after_failure("safeguarding_alert") == delivery.AfterFailure.RESEND
            )
            if not again or attempt == ALERT_ATTEMPTS:
                return False
            await asyncio.sleep(min(5.0, outcome.retry_after or attempt * 0.5))
    return False


def _keyboard(context: Context, alert: Alert) -> InlineKeyboardMarkup | None:
    """The flag's details: its page with a web companion, else a button that shows them."""
    if not alert.flag_id:
        return None
    review_id = alert.params.get("review_id")
    via = deliver(services(context).settings, Content.FLAG, int(review_id or 0))
    if via.url is not None and review_id is not None:
        private = is_private_chat(alert.chat_id)
        return keyboards.open_page(base_texts(context), Content.FLAG, via.url, private_chat=private)
    return keyboards.grid([button(context, "read_flag", ReadFlag(alert.flag_id))])
