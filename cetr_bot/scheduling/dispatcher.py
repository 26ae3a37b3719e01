"""Sends due reminders, driven by APScheduler through python-telegram-bot's JobQueue.

A tick: put back rows whose claim's lease ran out (their dispatcher died), then
claim due rows in batches (atomically: FOR UPDATE SKIP LOCKED on PostgreSQL, a
conditional UPDATE on SQLite) and pace them out. Immediately before each send,
one short transaction re-reads the row and what it depends on (the review's status
and time, the participant, the action...) and either marks it in flight with the
text composed from that state, or settles it as skipped/expired; the message then
goes out and its outcome is recorded. After downtime the first tick catches up.

Guaranteed:
- A change that committed before a row's check (a cancel, a move, an answer, an
  action closed) is never contradicted by that row's message: the text is composed
  in the check, and a cancel or a move withdraws claimed rows not yet in flight
  (planner.reconcile), so a batch claimed earlier cannot send them.
- A claim is held by one live dispatcher: its lease (`dispatch_claim_lease_seconds`,
  10 s) is renewed by a heartbeat every quarter lease while the dispatcher lives;
  rows of a dead one are put back within about 1.25 leases (`watch` looks every
  quarter lease) and sent by whichever dispatcher is alive. `stop()` (a graceful
  stop) puts its claimed, unsent rows back at once.
- Nothing due is lost: every row ends sent, failed, skipped, expired, cancelled or
  uncertain, with the reason recorded.
- Ambiguous failures follow delivery.py's policy: a routine message whose request
  may have reached Telegram (read timeout) is not sent again and is recorded
  "uncertain"; surely-unsent failures (connect errors, 429, 5xx) are retried.

Not guaranteed:
- A change committing while a row is already in flight (in the milliseconds
  between its check and Telegram's answer) does not stop that message; the
  follow-up (e.g. the cancellation notice) is sent after it.
- A row in flight when its process dies (or stalls beyond its lease) may be sent
  twice: it is put back and sent again. No other row is sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
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
from cetr_bot.scheduling import calendar, delivery, shared_pacer
from cetr_bot.scheduling.outgoing import Composer, Outgoing, Skip, installed_composer
from cetr_bot.scheduling.timeline import in_quiet_hours
from cetr_bot.services import reminders
from cetr_bot.services.context import Services
from cetr_bot.storage.models_reminders import Reminder
from cetr_bot.text import Texts

log = logging.getLogger(__name__)

JOB_NAME = "dispatch-reminders"
WATCH_JOB_NAME = "watch-reminder-leases"
PER_CHAT_PER_BATCH = 3  # keeps one busy chat from holding up the others
MAX_IN_FLIGHT = 64
STOP_GRACE_SECONDS = 5.0  # a graceful stop waits this long for sends already started


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
    released: int = 0  # claimed, then withdrawn (a cancel or move) or given back (a stop)
    uncertain: int = 0
    quiet: bool = False

    def add(self, other: TickReport) -> None:
        for f in fields(self):
            if f.type in (int, "int"):
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass
class _Batch:
    queue: list[Reminder] = field(default_factory=list)


class Dispatcher:
    """One per process: owns the pacer, so pacing carries over between ticks, and
    its own name (`claimed_by`) under which it holds and renews claims."""

    def __init__(
        self, svc: Services, texts: Texts | None = None, composer: Composer | None = None
    ) -> None:
        self.svc = svc
        # What each row says: handed in, or the one cetr_bot.wiring installed.
        self.compose = composer or installed_composer()
        self.texts = texts or Texts(svc.settings.zone)
        s = svc.settings
        self.pacer = shared_pacer.make_pacer(s)
        self.name = uuid.uuid4().hex
        self.lease = s.dispatch_claim_lease_seconds
        self._busy = asyncio.Lock()
        self._idle = asyncio.Event()
        self._idle.set()
        self.stopping = False  # set on SIGTERM: rows not yet started are given back
        self._turns: dict[int, asyncio.Event] = {}  # per chat: the latest send's "gone out"
        self._recovered_at = 0.0

    async def tick(
        self, bot: Bot, *, now: datetime | None = None, budget_seconds: float = 60.0
    ) -> TickReport:
        """Send what is due; returns at once if another tick of this process is running."""
        if self._busy.locked() or self.stopping:
            return TickReport()
        async with self._busy:
            return await self._tick(bot, now, budget_seconds)

    async def drain(self, bot: Bot) -> TickReport:
        """Tick until a tick finds nothing due (waiting for a running tick, not skipping it):
        the demo and tests send at once after moving the clock, instead of awaiting the job."""
        total = TickReport()
        while not self.stopping:
            async with self._busy:
                report = await self._tick(bot, None, 60.0)
            total.add(report)
            if not report.claimed or report.quiet:
                return total
        return total

    async def idle(self) -> None:
        """Return once no tick is running (tests and the demo wait on it, not on a quiet spell)."""
        await self._idle.wait()

    async def watch(self, bot: Bot) -> int:
        """Put back rows whose lease ran out; tick at once if there were any (the job runs
        this every quarter lease, so a dead dispatcher's rows wait at most ~1.25 leases)."""
        if self.stopping:
            return 0
        found = await self._recover(self.svc.now())
        if found:
            await self.tick(bot)
        return found

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> int:
        """A graceful stop: start no more sends, let those started finish (up to `grace`
        seconds) and put back every row still claimed and not in flight, at once.
        Returns how many were put back."""
        self.stopping = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), grace)
        released = await self._release_mine()
        if released:
            log.info("put back %d claimed reminder(s) on stopping", released)
        return released

    async def _tick(self, bot: Bot, now: datetime | None, budget_seconds: float) -> TickReport:
        report = TickReport()
        self._idle.clear()
        try:
            moment = now or self.svc.now()
            report.recovered = await self._recover(moment)
            if in_quiet_hours(moment, self.svc.settings):
                report.quiet = True  # due rows wait for the morning
                return report
            heartbeat = asyncio.create_task(self._heartbeat())
            try:
                await self._run(bot, now, budget_seconds, report)
            finally:
                heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await heartbeat
                if self.stopping:
                    report.released += await self._release_mine()
        finally:
            self._idle.set()
        return report

    async def _run(
        self, bot: Bot, now: datetime | None, budget_seconds: float, report: TickReport
    ) -> None:
        """Batch after batch; the next is claimed while this one is paced out, so the
        database never leaves a gap in the sending (claiming composes nothing: each row
        is checked and composed just before its own send)."""
        started = time.monotonic()
        sends: set[asyncio.Task[None]] = set()
        in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
        batch = await self._prepare(now, report)
        while batch is not None:
            following = None
            if time.monotonic() - started < budget_seconds and not self.stopping:
                following = asyncio.create_task(self._prepare(now, report))
            await self._pace(bot, batch, now, report, sends, in_flight)
            batch = await following if following is not None else None
        await asyncio.gather(*sends)

    # --- claiming and leases ------------------------------------------------------------

    def _lease_end(self) -> datetime:
        return self.svc.now() + timedelta(seconds=self.lease)

    async def _heartbeat(self) -> None:
        """While this dispatcher lives, its claims do not run out."""
        while True:
            await asyncio.sleep(self.lease / 4)
            try:
                async with self.svc.db.transaction() as session:
                    await session.execute(
                        update(Reminder)
                        .where(
                            Reminder.claimed_by == self.name,
                            Reminder.status == ReminderStatus.SENDING,
                        )
                        .values(lease_until=self._lease_end())
                        .execution_options(synchronize_session=False)
                    )
            except Exception:  # noqa: BLE001 - a missed beat is retried; the lease is slack
                log.warning("lease heartbeat failed", exc_info=True)

    async def _recover(self, now: datetime) -> int:
        """Rows still "sending" past their lease were held by a dispatcher that died."""
        self._recovered_at = time.monotonic()
        legacy = now - timedelta(seconds=self.lease)  # claimed before leases existed
        async with self.svc.db.transaction() as session:
            result = await session.execute(
                update(Reminder)
                .where(
                    Reminder.status == ReminderStatus.SENDING,
                    (Reminder.lease_until < now)
                    | (Reminder.lease_until.is_(None) & (Reminder.claimed_at < legacy)),
                )
                .values(
                    status=ReminderStatus.PENDING,
                    claim_token=None,
                    claimed_by=None,
                    lease_until=None,
                    in_flight_at=None,
                )
                .execution_options(synchronize_session=False)
            )
            count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        if count:
            log.warning("put back %d reminder(s) left claimed by a stopped dispatcher", count)
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
                    claimed_by=self.name,
                    lease_until=self._lease_end(),
                    in_flight_at=None,
                    attempts=Reminder.attempts + 1,
                )
                .returning(Reminder)
                .execution_options(synchronize_session=False)
            )
            return list(claimed)

    async def _release_mine(self) -> int:
        """Every row this dispatcher holds and has not started sending goes back."""
        async with self.svc.db.transaction() as session:
            result = await session.execute(
                update(Reminder)
                .where(
                    Reminder.claimed_by == self.name,
                    Reminder.status == ReminderStatus.SENDING,
                    Reminder.in_flight_at.is_(None),
                )
                .values(
                    status=ReminderStatus.PENDING,
                    claim_token=None,
                    claimed_by=None,
                    lease_until=None,
                    attempts=Reminder.attempts - 1,
                )
                .execution_options(synchronize_session=False)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # --- sending ----------------------------------------------------------------------

    async def _prepare(self, now: datetime | None, report: TickReport) -> _Batch | None:
        """Claim a batch, ordered so neighbours in the queue are different chats."""
        if time.monotonic() - self._recovered_at > self.lease / 4:
            # A long tick looks for a dead dispatcher's rows as often as the watch does.
            report.recovered += await self._recover(now or self.svc.now())
        rows = await self._claim(now or self.svc.now())
        if not rows:
            return None
        report.claimed += len(rows)
        return _Batch(queue=_round_robin(rows))

    async def _pace(
        self,
        bot: Bot,
        batch: _Batch,
        now: datetime | None,
        report: TickReport,
        sends: set[asyncio.Task[None]],
        in_flight: asyncio.Semaphore,
    ) -> None:
        """Start each send at its slot; returns when the last one has started (or, on a
        stop, at once: the rows not started are put back)."""
        queue = batch.queue
        while queue and not self.stopping:
            row = queue.pop(self.pacer.pick([r.chat_id for r in queue]))
            wait = self.pacer.reserve(row.chat_id)
            if wait > 0:
                await asyncio.sleep(wait)
            if self.stopping:
                break
            await in_flight.acquire()
            # One chat's messages go out in the order they were picked: each send's request
            # waits until the one before it to that chat has gone out (or come to nothing),
            # so a slow check cannot let a later message overtake an earlier one.
            before = self._turns.get(row.chat_id)
            turn = self._turns[row.chat_id] = asyncio.Event()
            task = asyncio.create_task(
                self._deliver(bot, row, report, now, in_flight, (before, turn))
            )
            sends.add(task)
            task.add_done_callback(sends.discard)
            task.add_done_callback(functools.partial(self._end_turn, row.chat_id, turn))

    def _end_turn(self, chat_id: int, turn: asyncio.Event, _task: object) -> None:
        turn.set()
        if self._turns.get(chat_id) is turn:
            del self._turns[chat_id]

    async def _check(self, row: Reminder, now: datetime | None) -> Outgoing | Skip | None:
        """The moment of truth, in one short transaction: still ours and not withdrawn?
        Then compose it from the state as it is now, and mark it in flight (or settle it
        as skipped/expired). None: withdrawn or no longer ours, nothing to do."""
        moment = now or self.svc.now()
        async with self.svc.db.transaction() as session:
            # The UPDATE first: it locks the row (PostgreSQL) or takes the write lock
            # (SQLite), so a cancel or move either withdrew it before, or waits for us.
            mine = (
                await session.execute(
                    update(Reminder)
                    .where(
                        Reminder.id == row.id,
                        Reminder.claim_token == row.claim_token,
                        Reminder.status == ReminderStatus.SENDING,
                        Reminder.in_flight_at.is_(None),
                    )
                    .values(in_flight_at=moment)
                    .returning(Reminder.id)
                    .execution_options(synchronize_session=False)
                )
            ).first()
            if mine is None:
                return None
            plan = (await self.compose(self.svc, self.texts, [row], moment, session))[row.id]
            if isinstance(plan, Skip):
                await session.execute(
                    update(Reminder)
                    .where(Reminder.id == row.id)
                    .values(status=plan.status, last_error=plan.why)
                    .execution_options(synchronize_session=False)
                )
            return plan

    async def _deliver(
        self,
        bot: Bot,
        row: Reminder,
        report: TickReport,
        now: datetime | None,
        in_flight: asyncio.Semaphore,
        turns: tuple[asyncio.Event | None, asyncio.Event | None] = (None, None),
    ) -> None:
        before, mine = turns
        try:
            plan = await self._check(row, now)
            if plan is None:
                report.released += 1
                return
            if isinstance(plan, Skip):
                setattr(report, plan.status, getattr(report, plan.status) + 1)
                return
            try:
                # Telegram's limits, measured as the request goes out. The slot was
                # reserved before the check, so this waits only when a slow check let
                # two sends bunch up: it widens the in-flight moment only then.
                if before is not None:
                    await before.wait()
                await self.pacer.issue(row.chat_id)
                if mine is not None:
                    mine.set()  # this chat's next message may go now
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
        kind = outcome.kind
        if kind == delivery.Result.UNCERTAIN:
            if delivery.after_failure(row.kind) == delivery.AfterFailure.RECORD_UNCERTAIN:
                report.uncertain += 1
                await self._finish(row, ReminderStatus.UNCERTAIN, outcome.error, now)
                return
            kind = delivery.Result.RETRY  # this kind is sent again: better twice than never
        if kind == delivery.Result.SENT:
            report.sent += 1
            await self._finish(row, ReminderStatus.SENT, None, now)
        elif kind == delivery.Result.RATE_LIMITED:
            report.rate_limited += 1
            self.pacer.pause(outcome.retry_after)
            # Telegram's flood wait is not the message's fault: it does not count as a try.
            await self._requeue(row, outcome.retry_after, outcome.error, now, count=False)
        elif kind == delivery.Result.BLOCKED:
            report.blocked += 1
            await self._finish(row, ReminderStatus.FAILED, "blocked", now)
            if row.person_id is not None:
                await reminders.mark_unreachable(self.svc, row.person_id)
        elif kind == delivery.Result.RETRY and row.attempts < s.send_max_attempts:
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
            "claimed_by": None,
            "lease_until": None,
            "in_flight_at": None,
            "send_after": (now or self.svc.now()) + timedelta(seconds=seconds),
            "last_error": (why or "")[:200] or None,
        }
        if not count:
            values["attempts"] = Reminder.attempts - 1
        await self._update_claimed(row, values)

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

    async def watch(context: ContextTypes.DEFAULT_TYPE) -> None:
        await dispatcher.watch(context.bot)

    app.job_queue.run_repeating(
        job,
        interval=interval,
        first=interval,
        name=JOB_NAME,
        # Our own lock skips overlapping ticks quietly; coalesce runs missed while busy.
        job_kwargs={"max_instances": 3, "coalesce": True, "misfire_grace_time": None},
    )
    # Between ticks: rows a dead dispatcher left claimed go out within ~1.25 leases.
    watch_every = dispatcher.lease / 4
    app.job_queue.run_repeating(
        watch,
        interval=watch_every,
        first=watch_every,
        name=WATCH_JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )


def kick(app: Any) -> None:
    """Run the dispatch job now (e.g. in the demo after moving time forward)."""
    for job in app.job_queue.get_jobs_by_name(JOB_NAME) if app.job_queue else ():
        job.job.modify(next_run_time=datetime.now(job.job.next_run_time.tzinfo))
