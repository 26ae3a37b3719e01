"""The register's reminder rows (scheduling/dsr_planner.py), rendered at sending time
from the entry's state then: a CETR booked, declined or held, a rating looked at, a
discharge... and the row is skipped, recorded, never sent out of date.

Discreet: the entry's number only (DSR #N), never the young person's reference, name,
diagnosis or hospital; /dsr N opens it for a coordinator of its team.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot.domain import Rag, ReminderKind, ReminderStatus
from cetr_bot.notifications import keyboards
from cetr_bot.rules import age_on
from cetr_bot.scheduling.dsr_planner import KINDS
from cetr_bot.scheduling.outgoing import Composed, Outgoing, Skip
from cetr_bot.services import dsr
from cetr_bot.services.context import Services
from cetr_bot.storage.coordinators import team_scope
from cetr_bot.storage.models_dsr import DsrEntry
from cetr_bot.storage.models_reminders import Reminder
from cetr_bot.text import Texts

__all__ = ["KINDS", "compose_row"]


def _skip(why: str) -> Skip:
    return Skip(ReminderStatus.SKIPPED, why)


async def compose_row(
    svc: Services, texts: Texts, session: AsyncSession, row: Reminder, now: datetime
) -> Composed:
    scope = await team_scope(svc.settings, session, row.chat_id)
    if row.kind == ReminderKind.DSR_MONTHLY:
        team_id = row.payload.get("team_id")
        if not scope.allows(team_id if isinstance(team_id, int) else None):
            return _skip("no longer in the team")
        summary = await dsr.team_summary(
            svc, session, team_id if isinstance(team_id, int) else None, row.payload["month"]
        )
        return Outgoing(texts.render("dsr/monthly", s=summary))
    entry = await session.get(DsrEntry, int(row.payload.get("entry_id", 0)))
    if entry is None:
        return _skip("entry gone")
    if not scope.allows(entry.team_id):
        return _skip("no longer in the team")
    view = await dsr.view_of(svc, session, entry)
    today = now.astimezone(svc.settings.zone).date()
    keyboard = keyboards.dsr_open(texts, entry.id)
    kind = row.kind
    if kind == ReminderKind.DSR_CETR_DUE:
        if view.cetr_status != "open" or view.cetr_due_on is None:
            return _skip(f"community CETR {view.cetr_status or 'no longer due'}")
        if view.cetr_due_on.isoformat() != row.payload.get("due"):
            return _skip("superseded")
        text = texts.render(
            "dsr/cetr_due",
            entry_id=entry.id,
            rag=view.rag,
            due=view.cetr_due_on,
            days_left=(view.cetr_due_on - today).days,
        )
        return Outgoing(text, keyboard)
    on = date.fromisoformat(str(row.payload.get("on")))
    if kind == ReminderKind.DSR_RATING_REVIEW:
        if view.rating_review_on != on:
            return _skip("rating looked at since")
        return Outgoing(
            texts.render("dsr/rating_review", entry_id=entry.id, rag=view.rag, since=view.rated_on),
            keyboard,
        )
    if kind == ReminderKind.DSR_VISIT:
        if not (view.in_hospital and view.out_of_area and view.rag is Rag.BLUE):
            return _skip("no longer placed out of area")
        return Outgoing(texts.render("dsr/visit", entry_id=entry.id, on=on), keyboard)
    if kind == ReminderKind.DSR_ADULT_SOON:
        dob = view.date_of_birth
        if dob is None or age_on(dob, today) >= svc.settings.adult_age:
            return _skip("no date of birth, or already an adult")
        return Outgoing(texts.render("dsr/adult_soon", entry_id=entry.id), keyboard)
    return _skip(f"unknown kind {kind}")
