"""A person's data requests, rendered at sending time: the coordinators' note with the
approve and decline buttons (ids only: which person, which kind), and the approved copy
itself, to the person, as protected documents (the readable page and the JSON).

With a web companion (WEB_BASE_URL) the copy stays on our server: the chat gets one
discreet message with a button to the person's page (notifications/delivery_policy.py),
and the JSON row is skipped (the page offers the download). Without one, the copy is
sent as protected documents."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import ReminderKind, ReminderStatus
from cetr_bot.notifications import keyboards
from cetr_bot.notifications.delivery_policy import Content, deliver, is_private_chat
from cetr_bot.scheduling.outgoing import Composed, Outgoing, Skip
from cetr_bot.services import subject_access
from cetr_bot.services.context import Services
from cetr_bot.storage.models_reminders import Reminder
from cetr_bot.text import Texts

KINDS = frozenset(
    {ReminderKind.COORD_DATA_REQUEST, ReminderKind.DATA_EXPORT, ReminderKind.DATA_DECLINED}
)


def export_page(texts: Texts, found: subject_access.Export) -> str:
    """The readable page of a copy (autoescaped like every template)."""
    return texts.env.get_template("mydata/export.html").render(export=found)


async def compose_row(
    svc: Services, texts: Texts, session: AsyncSession, row: Reminder, now: datetime
) -> Composed:
    request_id = int(row.payload.get("request_id", 0))
    if row.kind == ReminderKind.COORD_DATA_REQUEST:
        req = await subject_access.pending_request(session, request_id)
        if req is None:
            return Skip(ReminderStatus.SKIPPED, "request decided")
        text = texts.render("mydata/coordinator_notice", request=req)
        return Outgoing(text, keyboards.decide_data_request(texts, req.id, req.kind))
    if row.kind == ReminderKind.DATA_DECLINED:
        declined = await subject_access.declined_request(session, request_id)
        if declined is None:
            return Skip(ReminderStatus.SKIPPED, "nobody to tell")
        young = await subject_access.is_young_person(session, declined.person_id)
        why = str(row.payload.get("why", "declined"))
        text = texts.render("mydata/declined", kind=declined.kind, why=why, young=young,
                            request_id=declined.id)  # fmt: skip
        return Outgoing(text)
    fmt = str(row.payload.get("format", "html"))
    via = deliver(svc.settings, Content.MY_DATA, request_id)
    if via.url is not None:
        if fmt == "json":
            return Skip(ReminderStatus.SKIPPED, "offered on the web companion's page")
        offered = await subject_access.offer_copy(svc, session, request_id)
        if offered is None:
            return Skip(ReminderStatus.SKIPPED, "copy no longer due")
        young = await subject_access.is_young_person(session, offered.person_id)
        keyboard = keyboards.open_page(texts, Content.MY_DATA, via.url, easy=young,
                                       private_chat=is_private_chat(row.chat_id))  # fmt: skip
        text = texts.render("mydata/copy_link", young=young,
                            days=subject_access.COPY_PAGE_DAYS)  # fmt: skip
        return Outgoing(text, keyboard, protect_content=True)
    found = await subject_access.copy_for_sending(svc, session, request_id, now)
    if found is None:
        return Skip(ReminderStatus.SKIPPED, "copy no longer due")
    young = await subject_access.is_young_person(session, found.person_id)
    if fmt == "json":
        document, name = found.to_json().encode(), f"my-data-{found.person_id}.json"
    else:
        document, name = export_page(texts, found).encode(), f"my-data-{found.person_id}.html"
    caption = texts.render("mydata/copy_caption", young=young, format=fmt)
    return Outgoing(caption, document=document, filename=name, protect_content=True)
