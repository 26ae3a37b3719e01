"""Sending within Telegram's limits, and what to do when a send fails.

Telegram allows about 30 messages a second overall and one a second per chat.
The dispatcher paces itself under both (the Pacer) rather than hitting them, and
decides itself what a failure means (`classify`): wait and retry, back off,
give up, or stop writing to someone who blocked the bot.
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter
from telegram.ext import AIORateLimiter


class Result(StrEnum):
    """What one send came to (not a row status: the dispatcher maps it to one)."""

    SENT = "sent"
    RATE_LIMITED = "rate_limited"
    RETRY = "retry"
    BLOCKED = "blocked"
    FAILED = "failed"


# Passed as rate_limit_args by the dispatcher: "I pace and retry myself".
NO_RETRY = -1


@dataclass(frozen=True)
class Outcome:
    kind: Result
    error: str | None = None
    retry_after: float = 0.0


def classify(exc: BaseException) -> Outcome:
    """What a failed send means for the reminder row."""
    message = str(exc)[:200]
    if isinstance(exc, RetryAfter):
        return Outcome(Result.RATE_LIMITED, "rate limited", _seconds(exc))
    if isinstance(exc, Forbidden):
        return Outcome(Result.BLOCKED, message)
    if isinstance(exc, BadRequest | ChatMigrated):
        return Outcome(Result.FAILED, message)  # the same request would fail again
    return Outcome(Result.RETRY, message or type(exc).__name__)  # network, timeout, 5xx...


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
        (chat_id: for a pacer shared between processes, see shared_pacer)."""
        while True:
            now = self.clock()
            while self._issued and self._issued[0] <= now - 1.0:
                self._issued.popleft()
            if len(self._issued) < self.per_window:
                self._issued.append(now)
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
