"""Fault injection: rate limits, blocked users, failing and slow responses."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from .errors import ApiError

__all__ = ["Faults", "RateLimiter"]


@dataclass
class Faults:
    """Mutable fault configuration; edit the attributes directly or via update()."""

    global_rate: float | None = None  # max sends/edits per second, all chats together
    per_chat_rate: float | None = None  # max sends/edits per second in one chat
    blocked_chats: set[int] = field(default_factory=set)  # users who blocked the bot
    fail_next: int = 0  # how many upcoming Bot API calls answer with fail_status
    fail_method: str | None = None  # restrict fail_next to this method (case-insensitive)
    fail_status: int = 500  # 500 or 502
    delay_next: int = 0  # how many upcoming Bot API calls get their response held back
    delay_seconds: float = 0.0
    delay_method: str | None = None  # restrict delay_next to this method
    # Every call to these chats has its answer held back delay_seconds, after it has
    # taken effect (the message is accepted and recorded): a client read timeout
    # then happens with the message delivered.
    delay_chats: set[int] = field(default_factory=set)

    def update(self, data: Mapping[str, Any]) -> None:
        """Apply a JSON-ish mapping (as posted to /sandbox/faults)."""
        known = {f.name for f in fields(self)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        for name, value in data.items():
            if name in ("blocked_chats", "delay_chats"):
                value = {int(chat) for chat in value}
            elif name in ("fail_next", "delay_next", "fail_status"):
                value = int(value)
            elif name in ("global_rate", "per_chat_rate"):
                value = None if value is None else float(value)
            elif name == "delay_seconds":
                value = float(value)
            setattr(self, name, value)

    def reset(self) -> None:
        """Back to no faults, in place (code holding this object sees the change)."""
        fresh = Faults()
        for f in fields(self):
            setattr(self, f.name, getattr(fresh, f.name))

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["blocked_chats"] = sorted(self.blocked_chats)
        data["delay_chats"] = sorted(self.delay_chats)
        return data

    def take_failure(self, method: str) -> int | None:
        """HTTP status to fail this call with, consuming one fail_next credit."""
        if self.fail_next > 0 and _matches(self.fail_method, method):
            self.fail_next -= 1
            return self.fail_status
        return None

    def take_delay(self, method: str, chat_id: int | None = None) -> float:
        """Seconds to hold this call's response: for a chat in delay_chats, or
        consuming one delay_next credit."""
        if chat_id is not None and chat_id in self.delay_chats:
            return self.delay_seconds
        if self.delay_next > 0 and _matches(self.delay_method, method):
            self.delay_next -= 1
            return self.delay_seconds
        return 0.0


def _matches(wanted: str | None, method: str) -> bool:
    return wanted is None or wanted.lower() == method.lower()


class RateLimiter:
    """Sliding-window limits like Telegram's flood control (answers 429 retry_after)."""

    def __init__(self) -> None:
        self._global: deque[float] = deque()
        self._chats: dict[int, deque[float]] = {}

    def reset(self) -> None:
        self._global.clear()
        self._chats.clear()

    def admit(self, faults: Faults, chat_id: int) -> None:
        """Record one send to chat_id, or raise 429 if a window is full."""
        now = time.monotonic()
        chat_window = self._chats.setdefault(chat_id, deque())
        _check(self._global, faults.global_rate, now)
        _check(chat_window, faults.per_chat_rate, now)
        self._global.append(now)
        chat_window.append(now)


def _window(rate: float) -> tuple[float, int]:
    """(window seconds, allowed events); rates below 1/s widen the window."""
    seconds = max(1.0, 1.0 / rate)
    return seconds, max(1, round(rate * seconds))


def _check(window: deque[float], rate: float | None, now: float) -> None:
    if rate is None or rate <= 0:
        window.clear()  # no limit: keep no history, so memory stays flat
        return
    seconds, allowed = _window(rate)
    while window and window[0] <= now - seconds:
        window.popleft()
    if len(window) >= allowed:
        retry_after = max(1, math.ceil(window[0] + seconds - now))
        raise ApiError(
            429,
            f"Too Many Requests: retry after {retry_after}",
            {"retry_after": retry_after},
        )
