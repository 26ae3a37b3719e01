"""Sends due reminders, driven by APScheduler through python-telegram-bot's JobQueue.

A tick: put back rows left "sending" by a crashed process (after a lease), then
claim due rows in batches (atomically: FOR UPDATE SKIP LOCKED on PostgreSQL, a
conditional UPDATE on SQLite), send them paced, and record each outcome.
After downtime the first tick catches up on everything that fell due.
Only a row in flight when a process dies can be sent twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from telegram import Bot, InputFile
from telegram.constants import ParseMode
from telegram.ext import ContextTypes, ExtBot

from cetr_bot import metrics
from cetr_bot.domain import ReminderStatus
from cetr_bot.scheduling import calendar, delivery
from cetr_bot.scheduling.outgoing import Composer, Outgoing, Skip, installed_composer
from cetr_bot.scheduling.timeline import in_quiet_hours
from cetr_bot.services import reminders
from cetr_bot.services.context import Services
from cetr_bot.storage.models_reminders import Reminder
from cetr_bot.text import Texts

log = logging.getLogger(__name__)

JOB_NAME = "dispatch-reminders"
PER_CHAT_PER_BATCH = 3  # keeps one busy chat from stretching a batch past its lease
MAX_IN_FLIGHT = 64


@dataclass
class TickReport:
    recovered: int = 0
    claimed: int = 0
    sent: int = 0
    rate_limited: int = 0
    retried: int = 0
    failed: int = 0
    blocked: int = 0
    skipped: int = 0
    expired: int = 0
    released: int = 0
    quiet: bool = False

    def add(self, other: TickReport) -> None:
        for f in fields(self):
            if f.type in (int, "int"):
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass
class _Batch:
    claimed_at: float  # monotonic, for the lease
    queue: list[tuple[Reminder, Outgoing]] = field(default_factory=list)


class Dispatcher:
    """One per process: owns the pacer, so pacing carries over between ticks."""

    def __init__(
        self, svc: Services, texts: Texts | None = None, composer: Composer | None = None
    ) -> None:
        self.svc = svc
        # What each row says: handed in, or the one cetr_bot.wiring installed.
        self.compose = composer or installed_composer()
        self.texts = texts or Texts(svc.settings.zone)
        s = svc.settings
        self.pacer = delivery.Pacer(s.send_rate_per_second, s.send_chat_interval_seconds)
        self._busy = asyncio.Lock()
        self._idle = asyncio.Event()
        self._idle.set()
        self.stopping = False  # set on SIGTERM: rows not yet started are given back

    async def tick(
        self, bot: Bot, *, now: datetime | None = None, budget_seconds: float = 60.0
    ) -> TickReport:
        """Send what is due; returns at once if another tick of this process is running."""
        if self._busy.locked():
            return TickReport()
        async with self._busy:
            return await self._tick(bot, now, budget_seconds)

    async def drain(self, bot: Bot) -> TickReport:
        """Tick until a tick finds nothing due (waiting for a running tick, not skipping it):
        the demo and tests send at once after moving the clock, instead of awaiting the job."""
        total = TickReport()
        while True:
            async with self._busy:
                report = await self._tick(bot, None, 60.0)
            total.add(report)
            if not report.claimed or report.quiet:
                return total

    async def idle(self) -> None:
        """Return once no tick is running (tests and the demo wait on it, not on a quiet spell)."""
        await self._idle.wait()

    async def _tick(self, bot: Bot, now: datetime | None, budget_seconds: float) -> TickReport:
        report = TickReport()
        self._idle.clear()
        try:
            moment = now or self.svc.now()
            report.recovered = await self._recover(moment)
            if in_quiet_hours(moment, self.svc.settings):
                report.quiet = True  # due rows wait for the morning
                return report
            await self._run(bot, now, budget_seconds, report)
        finally:
            self._idle.set()
        return report

    async def _run(
        self, bot: Bot, now: datetime | None, budget_seconds: float, report: TickReport
    ) -> None:
        """Batch after batch; the next is claimed and composed while this one is paced
        out, so the database never leaves a gap in the sending."""
        started = time.monotonic()
        sends: set[asyncio.Task[None]] = set()
        in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
        batch = await self._prepare(now, report)
        while batch is not None:
            following = None
            if time.monotonic() - started < budget_seconds:
                following = asyncio.create_task(self._prepare(now, report))
            await self._pace(bot, batch, now, report, sends, in_flight)
            batch = await following if following is not None else None
        await asyncio.gather(*sends)

    # --- claiming -------------------------------------------------------------------

    async def _recover(self, now: datetime) -> int:
        """Rows stuck "sending" past the lease were in flight in a process that died."""
        cutoff = now - timedelta(seconds=self.svc.settings.dispatch_claim_lease_seconds)
        async with self.svc.db.transaction() as session:
            result = await session.execute(
                update(Reminder)
                .where(Reminder.status == ReminderStatus.SENDING, Reminder.claimed_at < cutoff)
                .values(status=ReminderStatus.PENDING, claim_token=None)
                .execution_options(synchronize_session=False)
            )
            count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        if count:
            log.warning("put back %d reminder(s) left in flight by a stopped dispatcher", count)
        return count

    async def _claim(self, now: datetime) -> list[Reminder]:
        size = self.svc.settings.dispatch_batch_size
        token = uuid.uuid4().hex
        async with self.svc.db.transaction() as session:
            # SKIP LOCKED: a second process claims other rows instead of waiting for ours.
            candidates = (
                await session.execute(
                    select(Reminder.id, Reminder.chat_id)
                    .where(Reminder.status == ReminderStatus.PENDING, Reminder.send_after <= now)
                    .order_by(Reminder.send_after, Reminder.id)
                    .limit(size * 2)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            chosen = _fair_share(candidates, size)
            if not chosen:
                return []
            # status = 'pending' in the WHERE makes the claim atomic on SQLite too.
            claimed = await session.scalars(
                update(Reminder)
                .where(Reminder.id.in_(chosen), Reminder.status == ReminderStatus.PENDING)
                .values(
                    status=ReminderStatus.SENDING,
                    claim_token=token,
                    claimed_at=now,
                    attempts=Reminder.attempts + 1,
                )
                .returning(Reminder)
                .execution_options(synchronize_session=False)
            )
            return list(claimed)

    # --- sending ----------------------------------------------------------------------

    async def _prepare(self, now: datetime | None, report: TickReport) -> _Batch | None:
        """Claim a batch and compose its messages; rows with nothing to send are settled."""
        rows = await self._claim(now or self.svc.now())
        if not rows:
            return None
        batch = _Batch(claimed_at=time.monotonic())
        report.claimed += len(rows)
        plans = await self.compose(self.svc, self.texts, rows, now or self.svc.now())
        for row in _round_robin(rows):
            plan = plans[row.id]
            if isinstance(plan, Skip):
                await self._finish(row, plan.status, plan.why, now)
                setattr(report, plan.status, getattr(report, plan.status) + 1)
            else:
                batch.queue.append((row, plan))
        return batch

    async def _pace(
        self,
        bot: Bot,
        batch: _Batch,
        now: datetime | None,
        report: TickReport,
        sends: set[asyncio.Task[None]],
        in_flight: asyncio.Semaphore,
    ) -> None:
        """Start each send at its slot; returns when the last one has started."""
        lease = self.svc.settings.dispatch_claim_lease_seconds
        queue = batch.queue
        while queue:
            row, plan = queue[self.pacer.pick([r.chat_id for r, _ in queue])]
            queue.remove((row, plan))
            wait = self.pacer.reserve(row.chat_id)
            if wait > 0:
                await asyncio.sleep(wait)
            if self.stopping or time.monotonic() - batch.claimed_at > lease / 2:
                # Too late to be sure no other process has re-claimed it: give it back.
                await self._release(row)
                report.released += 1
                continue
            await in_flight.acquire()
            task = asyncio.create_task(self._deliver(bot, row, plan, report, now, in_flight))
            sends.add(task)
            task.add_done_callback(sends.discard)

    async def _deliver(
        self,
        bot: Bot,
        row: Reminder,
        plan: Outgoing,
        report: TickReport,
        now: datetime | None,
        in_flight: asyncio.Semaphore,
    ) -> None:
        try:
            try:
                await self.pacer.issue()
                await send(bot, row.chat_id, plan)
                outcome = delivery.Outcome(delivery.Result.SENT)
            except Exception as exc:  # noqa: BLE001 - every failure is classified and recorded
                outcome = delivery.classify(exc)
                log.info("reminder %s: %s (%s)", row.id, outcome.kind, outcome.error)
            await self._record(row, outcome, report, now)
        finally:
            in_flight.release()

    # --- recording outcomes ---------------------------------------------------------------

    async def _record(
        self, row: Reminder, outcome: delivery.Outcome, report: TickReport, now: datetime | None
    ) -> None:
        s = self.svc.settings
        metrics.note_reminder_outcome(outcome.kind)
        if outcome.kind == delivery.Result.SENT:
            report.sent += 1
            await self._finish(row, ReminderStatus.SENT, None, now)
        elif outcome.kind == delivery.Result.RATE_LIMITED:
            report.rate_limited += 1
            self.pacer.pause(outcome.retry_after)
            # Telegram's flood wait is not the message's fault: it does not count as a try.
            await self._requeue(row, outcome.retry_after, outcome.error, now, count=False)
        elif outcome.kind == delivery.Result.BLOCKED:
            report.blocked += 1
            await self._finish(row, ReminderStatus.FAILED, "blocked", now)
            if row.person_id is not None:
                await reminders.mark_unreachable(self.svc, row.person_id)
        elif outcome.kind == delivery.Result.RETRY and row.attempts < s.send_max_attempts:
            report.retried += 1
            wait = delivery.backoff(
                row.attempts, s.send_backoff_seconds, s.send_backoff_cap_seconds
            )
            await self._requeue(row, wait, outcome.error, now, count=True)
        else:
            report.failed += 1
            await self._finish(row, ReminderStatus.FAILED, outcome.error, now)

    async def _finish(
        self, row: Reminder, status: str, why: str | None, now: datetime | None
    ) -> None:
        values: dict[str, Any] = {"status": status, "last_error": why}
        if status == ReminderStatus.SENT:
            values["sent_at"] = now or self.svc.now()
        await self._update_claimed(row, values)

    async def _requeue(
        self, row: Reminder, seconds: float, why: str | None, now: datetime | None, *, count: bool
    ) -> None:
        values: dict[str, Any] = {
            "status": ReminderStatus.PENDING,
            "claim_token": None,
            "send_after": (now or self.svc.now()) + timedelta(seconds=seconds),
            "last_error": (why or "")[:200] or None,
        }
        if not count:
            values["attempts"] = Reminder.attempts - 1
        await self._update_claimed(row, values)

    async def _release(self, row: Reminder) -> None:
        await self._update_claimed(
            row,
            {
                "status": ReminderStatus.PENDING,
                "claim_token": None,
                "attempts": Reminder.attempts - 1,
            },
        )

    async def _update_claimed(self, row: Reminder, values: dict[str, Any]) -> None:
        """Only while we still hold the claim (our token, still sending)."""
        async with self.svc.db.transaction() as session:
            await session.execute(
                update(Reminder)
                .where(
                    Reminder.id == row.id,
                    Reminder.claim_token == row.claim_token,
                    Reminder.status == ReminderStatus.SENDING,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )


def _fair_share(candidates: Sequence[Any], size: int) -> list[int]:
    """At most PER_CHAT_PER_BATCH rows per chat, `size` in all, oldest first."""
    per_chat: dict[int, int] = defaultdict(int)
    chosen: list[int] = []
    for row_id, chat_id in candidates:
        if per_chat[chat_id] < PER_CHAT_PER_BATCH and len(chosen) < size:
            per_chat[chat_id] += 1
            chosen.append(row_id)
    return chosen


def _round_robin(rows: list[Reminder]) -> list[Reminder]:
    """One row per chat in turn, so neighbours in the queue are different chats."""
    by_chat: dict[int, deque[Reminder]] = defaultdict(deque)
    for row in sorted(rows, key=lambda r: (r.send_after, r.id)):
        by_chat[row.chat_id].append(row)
    ordered: list[Reminder] = []
    while by_chat:
        for chat in list(by_chat):
            ordered.append(by_chat[chat].popleft())
            if not by_chat[chat]:
                del by_chat[chat]
    return ordered


async def send(bot: Bot, chat_id: int, plan: Outgoing) -> None:
    """One Telegram call per reminder: a calendar file carries the text as its caption,
    so a reminder never costs two of a chat's one-a-second sends."""
    extra: dict[str, Any] = {"protect_content": True} if plan.protect_content else {}
    if isinstance(bot, ExtBot) and isinstance(bot.rate_limiter, delivery.SharedRateLimiter):
        extra["rate_limit_args"] = delivery.NO_RETRY
    if plan.document is not None:
        await bot.send_document(
            chat_id,
            InputFile(plan.document, filename=plan.filename or calendar.FILENAME),
            caption=plan.text,
            parse_mode=ParseMode.HTML,
            reply_markup=plan.keyboard,
            **extra,
        )
    else:
        await bot.send_message(
            chat_id, plan.text, parse_mode=ParseMode.HTML, reply_markup=plan.keyboard, **extra
        )


async def dispatch_due(
    svc: Services, bot: Bot, *, now: datetime | None = None, dispatcher: Dispatcher | None = None
) -> TickReport:
    """One tick, run directly (tests and tools); `now` overrides the services' clock."""
    return await (dispatcher or Dispatcher(svc)).tick(bot, now=now)


def install(app: Any, svc: Services) -> None:
    """Run a tick every `dispatch_interval_seconds` on the Application's JobQueue."""
    if app.job_queue is None:
        log.warning("no JobQueue (python-telegram-bot[job-queue] missing): reminders not sent")
        return
    dispatcher = Dispatcher(svc, app.bot_data.get("texts"))
    app.bot_data["dispatcher"] = dispatcher
    interval = svc.settings.dispatch_interval_seconds

    async def job(context: ContextTypes.DEFAULT_TYPE) -> None:
        await dispatcher.tick(context.bot)

    app.job_queue.run_repeating(
        job,
        interval=interval,
        first=interval,
        name=JOB_NAME,
        # Our own lock skips overlapping ticks quietly; coalesce runs missed while busy.
        job_kwargs={"max_instances": 3, "coalesce": True, "misfire_grace_time": None},
    )


def kick(app: Any) -> None:
    """Run the dispatch job now (e.g. in the demo after moving time forward)."""
    for job in app.job_queue.get_jobs_by_name(JOB_NAME) if app.job_queue else ():
        job.job.modify(next_run_time=datetime.now(job.job.next_run_time.tzinfo))
