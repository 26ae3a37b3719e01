"""`make demo`: the parent and the young person complete their preparation.

Reads the demo played once for the whole run (tests/conftest.py `played_demo`).
"""

from __future__ import annotations

import pytest

from tests.conftest import PlayedDemo
from tests.e2e.test_demo import bot_blocks, section

pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.timeout(300)]


def test_the_demo_shows_preparation_end_to_end(played_demo: PlayedDemo):
    assert played_demo.exit_code == 0
    start = played_demo.out.split("=== The parent starts preparing", 1)[1]
    out = start.split("=== Attendance:", 1)[0]  # up to the next part of the demo
    assert "Stopped for now. Every answer so far is saved." in out
    # Changing an answer: the answer so far is on the answers page, not repeated here.
    [change] = [b for b in bot_blocks(out) if "your answer so far is on your answers page" in b]
    assert "/app/reviews/1/answers]" in change and "Your answer now" not in out
    assert not any("Funny and kind" in b for b in bot_blocks(out))
    assert "Your answers have been sent to the panel" in out
    assert "Can the panel see your answers?" in out
    assert "[sends a voice note 🎤]" in out
    assert "Your answers are sent." in out
    # The delivery policy (the demo runs its web companion): answers read back and
    # /review N's detail are links to pages, and none of the answers is in a chat.
    summaries = [b for b in bot_blocks(out) if "📋 Your answers" in b]
    assert any("[👀 See my answers → http://127.0.0.1:" in b for b in summaries)  # easy read
    assert any("[📋 Read your answers → http://127.0.0.1:" in b for b in summaries)
    # Every summary with its buttons opens the page (pressed ones lose their buttons).
    assert all("/app/reviews/1/answers]" in b for b in summaries if "[✏️" in b)
    assert not any("a voice note" in b or "Thank you for listening" in b for b in summaries)
    [review] = bot_blocks(section(out, "The coordinator sees who has prepared"))
    assert "/app/reviews/1]" in review
    assert not any(secret in review for secret in ("Dana", "Sam", "YP-0042", "submitted"))
