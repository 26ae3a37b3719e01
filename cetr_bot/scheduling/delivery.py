"""Sending within Telegram's limits, and what to do when a send fails.

Telegram allows about 30 messages a second overall and one a second per chat.
The dispatcher paces itself under both (the Pacer) rather than hitting them, and
decides itself what a failure means (`classify`): wait and retry, back off,
give up, or stop writing to someone who blocked the bot.

Ambiguous failures, the policy (`after_failure`). A failure either surely did not
reach Telegram, or may have:

    failure                                      reached Telegram?   classified
    ------------------------------------------   -----------------   ------------
    429 Too Many Requests (retry_after)          no (refused)        RATE_LIMITED
    5xx answered (500, 502...)                   no (not processed)  RETRY
    connection refused/reset before sending,     no                  RETRY
      DNS failure, connect timeout, pool timeout
    403 (blocked, kicked)                        no                  BLOCKED
    400 (bad request, chat not found...)         no                  FAILED
    read timeout after the request was sent,     maybe               UNCERTAIN
      write timeout, connection lost mid-answer

    kind of message                  after UNCERTAIN
    -------------------------------  -------------------------------------------
    safeguarding alert               sent again (better twice than never)
    routine reminder, nudge, notice  not sent again; the row records "uncertain"

A process that dies with a row in flight (marked, request maybe sent) is the one
other case: its row is put back when the lease runs out and sent again, so such a
row can arrive twice. Timeouts (`TIMEOUTS`) are long enough for a slow Bot API, so
an answer that is merely late is rarely taken for a failure.
"""

from __future__ import annotations

import asyncio
import math
import time
import warnings
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

import httpx
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter


class Result(StrEnum):
    """What one send came to (not a row status: the dispatcher maps it to one)."""

    SENT = "sent"
    RATE_LIMITED = "rate_limited"
    RETRY = "retry"
    BLOCKED = "blocked"
    FAILED = "failed"
    UNCERTAIN = "uncertain"  # may have reached Telegram: see the policy above


class AfterFailure(StrEnum):
    """What the policy says to do with a message whose send ended UNCERTAIN."""

    RESEND = "resend"
    RECORD_UNCERTAIN = "record_uncertain"


# Kinds sent again after an ambiguous failure: a duplicate is better than nothing.
RESEND_WHEN_UNSURE = frozenset({"safeguarding_alert", "rights_concern"})

# Seconds: (connect, read, write, pool). Connect and pool failures surely did not
# reach Telegram and are cheap to retry; the read timeout is long for a slow API.
TIMEOUTS = (10.0, 30.0, 10.0, 5.0)

# httpx failures raised before any byte of the request can have been taken in.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


# Passed as rate_limit_args by the dispatcher: "I pace and retry myself".
NO_RETRY = -1


@dataclass(frozen=True)
class Outcome:
    kind: Result
    error: str | None = None
    retry_after: float = 0.0


def classify(exc: BaseException) -> Outcome:
    """What a failed send means for the reminder row; reasons written down:

    - RetryAfter (429): Telegram refused it; wait as long as it says, then again.
    - Forbidden (403): blocked or removed; the person is marked unreachable.
    - BadRequest, ChatMigrated (400): the same request would fail the same way.
    - TimedOut / NetworkError caused by a connect or pool failure: nothing was
      sent; retry with back-off.
    - NetworkError without an httpx cause: Telegram answered 5xx, so it took the
      request but did not process it; retry with back-off.
    - Any other TimedOut or NetworkError (read timeout, connection lost while
      waiting for the answer): the message may have been delivered: UNCERTAIN.
    - Anything else: retry with back-off.
    """
    message = str(exc)[:200]
    if isinstance(exc, RetryAfter):
        return Outcome(Result.RATE_LIMITED, "rate limited", _seconds(exc))
    if isinstance(exc, Forbidden):
        return Outcome(Result.BLOCKED, message)
    if isinstance(exc, BadRequest | ChatMigrated):
        return Outcome(Result.FAILED, message)  # the same request would fail again
    if isinstance(exc, TimedOut | NetworkError):
        cause = exc.__cause__
        if isinstance(cause, _NOT_SENT):
            return Outcome(Result.RETRY, f"not sent: {message or type(cause).__name__}"[:200])
        if not isinstance(cause, httpx.HTTPError) and not isinstance(exc, TimedOut):
            return Outcome(Result.RETRY, message or "server error")  # 5xx answered
        return Outcome(Result.UNCERTAIN, f"maybe delivered: {message or 'timed out'}"[:200])
    return Outcome(Result.RETRY, message or type(exc).__name__)


def after_failure(kind: str) -> AfterFailure:
    """The policy for a send that ended UNCERTAIN, by kind of message."""
    if kind in RESEND_WHEN_UNSURE:
        return AfterFailure.RESEND
    return AfterFailure.RECORD_UNCERTAIN


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns about int vs timedelta here
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def backoff(attempts: int, base: float, cap: float) -> float:
    """Seconds to wait after the n-th failed attempt: base, 2×base, 4×base... up to cap."""
    return float(min(cap, base * 2 ** max(0, attempts - 1)))


class Pacer:
    """Hands out send times: `rate` a second overall, one per `chat_interval` per chat.

    Times come from the monotonic clock (real time), whatever the services'
    clock says: these are Telegram's limits, not the review timeline.
    """

    def __init__(
        self,
        rate: float,
        chat_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.gap = 1.0 / rate
        self.chat_interval = chat_interval
        self.clock = clock
        self._next = 0.0
        self._chat_next: dict[int, float] = {}
        # Times requests really went out: spacing can be squeezed when the event loop
        # was busy, so a sliding window (Telegram's own measure) has the last word.
        self.per_window = max(1, int(rate))
        self._issued: deque[float] = deque()
        self._chat_issued: dict[int, float] = {}  # when each chat's last request went out

    def pick(self, chats: Sequence[int], look_ahead: int = 64) -> int:
        """Index of the chat to serve next: the first that is free by the next global
        slot (so one busy chat does not hold up the others), else the soonest free."""
        slot = max(self.clock(), self._next)
        best, best_at = 0, float("inf")
        for index, chat in enumerate(chats[:look_ahead]):
            ready = self._chat_next.get(chat, 0.0)
            if ready <= slot:
                return index
            if ready < best_at:
                best, best_at = index, ready
        return best

    def reserve(self, chat_id: int) -> float:
        """Book the next slot for chat_id; returns how many seconds to wait for it."""
        now = self.clock()
        start = max(now, self._next, self._chat_next.get(chat_id, 0.0))
        self._next = start + self.gap
        self._chat_next[chat_id] = start + self.chat_interval
        if len(self._chat_next) > 50_000:
            self._forget_before(now)
        return start - now

    async def issue(self, chat_id: int | None = None) -> None:
        """Wait, if need be, so no 1-second window holds more than `per_window` requests
        and (given `chat_id`) no chat gets two requests closer than `chat_interval`:
        called as the request goes out, so time lost between the slot and the send (a
        busy event loop, a slow query) cannot squeeze two sends together.
        Shared between processes: shared_pacer.SharedPacer."""
        while True:
            now = self.clock()
            if chat_id is not None:
                ready = self._chat_issued.get(chat_id, -math.inf) + self.chat_interval
                if ready > now:
                    await asyncio.sleep(ready - now)
                    continue
            while self._issued and self._issued[0] <= now - 1.0:
                self._issued.popleft()
            if len(self._issued) < self.per_window:
                self._issued.append(now)
                if chat_id is not None:
                    self._chat_issued[chat_id] = now
                    if len(self._chat_issued) > 50_000:
                        horizon = now - self.chat_interval
                        self._chat_issued = {
                            c: t for c, t in self._chat_issued.items() if t > horizon
                        }
                return
            await asyncio.sleep(self._issued[0] + 1.0 - now + 0.001)

    def pause(self, seconds: float) -> None:
        """Telegram said "retry after": nobody sends until then."""
        self._next = max(self._next, self.clock() + seconds)

    async def close(self) -> None:
        """Nothing to let go of here (a shared pacer closes its store)."""

    def _forget_before(self, now: float) -> None:
        self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}


class SharedRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter for handler replies; the dispatcher's sends pass NO_RETRY
    and skip its retry loop (the dispatcher paces and retries by itself) while still
    sharing the overall budget and waiting out a flood wait."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        if rate_limit_args == NO_RETRY:
            return await self._run_request(
                chat=True,
                group=False,
                allow_paid_broadcast=False,
                callback=callback,
                args=args,
                kwargs=kwargs,
            )
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )
