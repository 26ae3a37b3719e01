"""The register's reminder rows, to the coordinators of the entry's team.

Worked out again on every change of the entry (services.events.dsr_changed) and of
the young person's reviews, in the same transaction, then brought in line with
`planner.reconcile` (the same rules: pending rows move or are cancelled, sent ones
are never touched). Keys carry the dates they are for, so a new flag or a new
admission plans a fresh series.

- a community CETR due (red/amber): on the day it is flagged, every few days until
  it is due, then a few chases; settled (booked, declined, held, LAEP): no more;
- the rating's review date; the out-of-area visits (the next few); six months
  before 18: adult CTRs will apply;
- the team's monthly summary, on the 1st of each of the next twelve months.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cetr_bot import dsr_rules as dr
from cetr_bot.domain import ReminderKind
from cetr_bot.rules import add_months
from cetr_bot.scheduling.planner import Wanted, reconcile
from cetr_bot.scheduling.timeline import local_at, out_of_quiet_hours
from cetr_bot.services import dsr
from cetr_bot.services.context import Services
from cetr_bot.storage.coordinators import team_chats
from cetr_bot.storage.models import Review
from cetr_bot.storage.models_dsr import DsrEntry
from cetr_bot.storage.models_reminders import Reminder

ENTRY_KINDS = (
    ReminderKind.DSR_CETR_DUE,
    ReminderKind.DSR_RATING_REVIEW,
    ReminderKind.DSR_VISIT,
    ReminderKind.DSR_ADULT_SOON,
)
KINDS = frozenset({*ENTRY_KINDS, ReminderKind.DSR_MONTHLY})
VISITS_AHEAD = 4
MONTHS_AHEAD = 12


async def plan_for_review(svc: Services, session: AsyncSession, review_id: int) -> None:
    """A review changed: a community CETR booked or cancelled changes the chasing."""
    young_person_id = await session.scalar(
        select(Review.young_person_id).where(Review.id == review_id)
    )
    if young_person_id is None:
        return
    if await dsr.entry_for_young_person(session, young_person_id) is not None:
        await plan_young_person(svc, session, young_person_id)


async def plan_young_person(svc: Services, session: AsyncSession, young_person_id: int) -> None:
    now = svc.now()
    entry = await dsr.entry_for_young_person(session, young_person_id)
    wanted: list[Wanted] = []
    if entry is not None and entry.left_on is None:  # off the register: nothing more
        chats = await team_chats(svc.settings, session, entry.team_id)
        view = await dsr.view_of(svc, session, entry)
        wanted = _entry_rows(svc, entry, view, chats, now)
        await _plan_monthly(svc, session, entry.team_id, chats, now)
    await reconcile(session, Reminder.young_person_id == young_person_id, ENTRY_KINDS, wanted, now)


def _at(svc: Services, day: date, now: datetime) -> datetime:
    """`reminder_time` on `day`; today's, if already past, at once."""
    s = svc.settings
    at = local_at(day, s.reminder_time, s.zone)
    if day == now.astimezone(s.zone).date() and at < now:
        at = now
    return out_of_quiet_hours(at, s)


def _entry_rows(
    svc: Services, entry: DsrEntry, view: dsr.EntryView, chats: list[int], now: datetime
) -> list[Wanted]:
    policy = svc.dsr_policy
    plan: list[tuple[str, str, date, dict[str, object]]] = []
    if view.cetr_status == "open" and entry.cetr_flagged_on and entry.cetr_due_on:
        flagged, due = entry.cetr_flagged_on, entry.cetr_due_on
        for day in dr.cetr_chase_dates(flagged, due, policy):
            plan.append(
                (
                    ReminderKind.DSR_CETR_DUE,
                    f"f{flagged.isoformat()}:d{due.isoformat()}:{day.isoformat()}",
                    day,
                    {"due": due.isoformat(), "flagged": flagged.isoformat()},
                )
            )
    if entry.rating_review_on is not None:
        day = entry.rating_review_on
        plan.append((ReminderKind.DSR_RATING_REVIEW, day.isoformat(), day, {"on": day.isoformat()}))
    if view.in_hospital and view.out_of_area and view.admitted_on is not None:
        visit = dr.next_visit(view.admitted_on, now.astimezone(svc.settings.zone).date(), policy)
        for n in range(VISITS_AHEAD):
            day = visit + timedelta(weeks=policy.out_of_area_visit_weeks * n)
            plan.append(
                (
                    ReminderKind.DSR_VISIT,
                    f"a{view.admitted_on.isoformat()}:{day.isoformat()}",
                    day,
                    {"on": day.isoformat()},
                )
            )
    if view.date_of_birth is not None:
        day = dr.adult_warning_on(view.date_of_birth, policy, svc.policy)
        plan.append((ReminderKind.DSR_ADULT_SOON, day.isoformat(), day, {"on": day.isoformat()}))
    return [
        Wanted(
            key=f"{kind}:e{entry.id}:{tail}:c{chat}",
            kind=kind,
            due=_at(svc, day, now),
            chat_id=chat,
            young_person_id=entry.young_person_id,
            payload={"entry_id": entry.id, "version": entry.version, **payload},
        )
        for kind, tail, day, payload in plan
        for chat in chats
    ]


async def _plan_monthly(
    svc: Services, session: AsyncSession, team_id: int | None, chats: list[int], now: datetime
) -> None:
    """The team's summary of each month, sent on the 1st of the next."""
    s = svc.settings
    first = now.astimezone(s.zone).date().replace(day=1)
    team = team_id if team_id is not None else 0
    wanted = []
    for n in range(MONTHS_AHEAD):
        month_start = add_months(first, n)
        send_on = add_months(month_start, 1)
        month = f"{month_start:%Y-%m}"
        wanted += [
            Wanted(
                key=f"{ReminderKind.DSR_MONTHLY}:t{team}:{month}:c{chat}",
                kind=ReminderKind.DSR_MONTHLY,
                due=out_of_quiet_hours(local_at(send_on, s.reminder_time, s.zone), s),
                chat_id=chat,
                payload={"team_id": team_id, "month": month},
            )
            for chat in chats
        ]
    scope = Reminder.key.like(f"{ReminderKind.DSR_MONTHLY}:t{team}:%")
    await reconcile(session, scope, (ReminderKind.DSR_MONTHLY,), wanted, now)
