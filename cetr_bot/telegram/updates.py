"""Updates from different people at once; each person's own updates in order.

python-telegram-bot hands every update to `process_update` in the order they
arrived, each in its own task. Here each person (Telegram user, else chat) has a
lane: a lock that their updates take in arrival order (asyncio locks are FIFO), so
a guided flow, a preparation answer or a button press never races the person's
previous update. Only an update whose turn has come takes one of the `workers`
slots, so one person's backlog never blocks anyone else. A lane is dropped as soon
as nothing is queued in it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

WORKERS = 16  # updates handled at the same moment
IN_FLIGHT = 1024  # updates accepted (running or waiting their turn) before the fetcher waits


@dataclass
class _Lane:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    queued: int = 0


class PerPersonProcessor(BaseUpdateProcessor):
    """Concurrent across people, ordered within one person."""

    __slots__ = ("_lanes", "_workers")

    def __init__(self, workers: int = WORKERS, in_flight: int = IN_FLIGHT) -> None:
        super().__init__(max_concurrent_updates=max(in_flight, workers, 2))
        self._workers = asyncio.BoundedSemaphore(workers)
        self._lanes: dict[int, _Lane] = {}

    @property
    def lanes(self) -> int:
        """People with an update running or waiting (for tests and metrics)."""
        return len(self._lanes)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = key_of(update)
        if key is None:
            async with self._workers:
                await coroutine
            return
        # No await between here and lock.acquire(): the lane's queue order is arrival order.
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane()
        lane.queued += 1
        try:
            async with lane.lock, self._workers:
                await coroutine
        finally:
            lane.queued -= 1
            if lane.queued == 0:
                del self._lanes[key]

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
