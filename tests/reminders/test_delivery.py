"""Pacing and failure classification, with a fake monotonic clock."""

from __future__ import annotations

import httpx
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from cetr_bot.scheduling import delivery


class Tick:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_pacer_spaces_sends_overall_and_per_chat():
    clock = Tick()
    pacer = delivery.Pacer(rate=10, chat_interval=1.1, clock=clock)
    waits = [pacer.reserve(chat) for chat in (1, 2, 3)]
    assert [round(w, 6) for w in waits] == [0.0, 0.1, 0.2]
    assert round(pacer.reserve(1), 6) == 1.1  # chat 1 again: a full chat interval later
    # A busy chat does not hold the others up: pick() serves a free one first.
    assert pacer.pick([1, 4]) == 1


def test_a_flood_wait_pauses_everyone():
    clock = Tick()
    pacer = delivery.Pacer(rate=30, chat_interval=0, clock=clock)
    pacer.pause(3)
    assert round(pacer.reserve(7), 6) == 3.0


def test_failures_are_classified():
    assert delivery.classify(RetryAfter(3)) == delivery.Outcome("rate_limited", "rate limited", 3.0)
    assert delivery.classify(Forbidden("bot was blocked by the user")).kind == "blocked"
    assert delivery.classify(BadRequest("chat not found")).kind == "failed"
    assert delivery.classify(NetworkError("Bad Gateway")).kind == "retry"  # 5xx answered
    assert delivery.classify(OSError("connection reset")).kind == "retry"


def caused(exc: Exception, cause: Exception) -> Exception:
    exc.__cause__ = cause
    return exc


def test_a_failure_that_may_have_reached_telegram_is_uncertain():
    """Issue #11's policy: surely not sent → retry; maybe sent → uncertain."""
    request = httpx.Request("POST", "http://api/bot/sendMessage")
    surely_not = [
        caused(TimedOut(), httpx.ConnectTimeout("connect", request=request)),
        caused(TimedOut("Pool timeout"), httpx.PoolTimeout("pool", request=request)),
        caused(NetworkError("httpx.ConnectError"), httpx.ConnectError("refused")),
        NetworkError("Internal Server Error"),
    ]
    maybe = [
        caused(TimedOut(), httpx.ReadTimeout("read", request=request)),
        caused(TimedOut(), httpx.WriteTimeout("write", request=request)),
        caused(NetworkError("httpx.ReadError"), httpx.ReadError("reset", request=request)),
        TimedOut(),  # no cause to tell: taken as maybe sent
    ]
    assert [delivery.classify(e).kind for e in surely_not] == ["retry"] * 4
    assert [delivery.classify(e).kind for e in maybe] == ["uncertain"] * 4
    assert delivery.after_failure("review_reminder") == "record_uncertain"
    assert delivery.after_failure("rsvp_nudge") == "record_uncertain"
    assert delivery.after_failure("safeguarding_alert") == "resend"


def test_backoff_doubles_up_to_the_cap():
    assert [delivery.backoff(n, 30, 900) for n in (1, 2, 3, 6, 9)] == [30, 60, 120, 900, 900]
