"""Updates from different people at once; each person's own updates in order.

python-telegram-bot hands every update to `process_update` in the order they
arrived, each in its own task. Here each person (Telegram user, else chat) has a
lane: a lock that their updates take in arrival order (asyncio locks are FIFO), so
a guided flow, a preparation answer or a button press never races the person's
previous update. Only an update whose turn has come takes one of the `workers`
slots, so one person's backlog never blocks anyone else. A lane is dropped as soon
as nothing is queued in it.

In webhook mode the processor is handed `claim`: each update's id is claimed in the
table every process shares, in its turn and before it is handled, and an update some
process already claimed (a redelivery) is dropped. Each update is counted in the
metrics by kind and outcome, with its handling time.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from cetr_bot import metrics

log = logging.getLogger(__name__)

WORKERS = 16  # updates handled at the same moment
IN_FLIGHT = 1024  # updates accepted (running or waiting their turn) before the fetcher waits


Claim = Callable[[int], Awaitable[bool]]
# Kinds of update, as the metrics label them (the first field set wins).
KINDS = ("message", "edited_message", "callback_query", "channel_post", "my_chat_member")


@dataclass
class Handling:
    """The update being handled in this task: the error handler marks it failed."""

    failed: bool = False


CURRENT: contextvars.ContextVar[Handling | None] = contextvars.ContextVar(
    "cetr_update_handling", default=None
)


def mark_failed() -> None:
    """Called by the error handler: the update in hand ended in an error."""
    handling = CURRENT.get()
    if handling is not None:
        handling.failed = True


@dataclass
class _Lane:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    queued: int = 0


class PerPersonProcessor(BaseUpdateProcessor):
    """Concurrent across people, ordered within one person."""

    __slots__ = ("_lanes", "_workers", "claim")

    def __init__(
        self, workers: int = WORKERS, in_flight: int = IN_FLIGHT, claim: Claim | None = None
    ) -> None:
        super().__init__(max_concurrent_updates=max(in_flight, workers, 2))
        self._workers = asyncio.BoundedSemaphore(workers)
        self._lanes: dict[int, _Lane] = {}
        # Set in webhook mode: claims an update_id for this process (False: seen before).
        self.claim: Claim | None = claim

    @property
    def lanes(self) -> int:
        """People with an update running or waiting (for tests and metrics)."""
        return len(self._lanes)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = key_of(update)
        if key is None:
            async with self._workers:
                await self._handle(update, coroutine)
            return
        # No await between here and lock.acquire(): the lane's queue order is arrival order.
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane()
        lane.queued += 1
        try:
            async with lane.lock, self._workers:
                await self._handle(update, coroutine)
        finally:
            lane.queued -= 1
            if lane.queued == 0:
                del self._lanes[key]

    async def _handle(self, update: object, coroutine: Awaitable[Any]) -> None:
        kind = kind_of(update)
        if self.claim is not None and isinstance(update, Update):
            try:
                first = await self.claim(update.update_id)
            except BaseException:
                _close(coroutine)
                raise
            if not first:
                _close(coroutine)
                metrics.WEBHOOK_DUPLICATES.inc()
                metrics.UPDATES.labels(kind, "duplicate").inc()
                log.info("update %s was already handled: dropped", update.update_id)
                return
        handling = Handling()
        token = CURRENT.set(handling)
        started = time.perf_counter()
        try:
            await coroutine
        except BaseException:
            handling.failed = True
            raise
        finally:
            CURRENT.reset(token)
            metrics.HANDLER_SECONDS.labels(kind).observe(time.perf_counter() - started)
            metrics.UPDATES.labels(kind, "error" if handling.failed else "ok").inc()

    async def initialize(self) -> None:
        """Nothing to set up: lanes are made on demand."""

    async def shutdown(self) -> None:
        """Nothing to free: the Application awaits the running updates itself."""


def key_of(update: object) -> int | None:
    """Whose update this is: the user's id, else the chat's (private chats are the same)."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


def kind_of(update: object) -> str:
    """The metrics label of an update: message, callback_query, ... or other."""
    if isinstance(update, Update):
        for kind in KINDS:
            if getattr(update, kind, None) is not None:
                return kind
    return "other"


def _close(coroutine: Awaitable[Any]) -> None:
    """An update not handled: close its coroutine so it is not reported as never awaited."""
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
