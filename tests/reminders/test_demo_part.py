"""`make demo`: the reminders part shows RSVPs, reminders arriving, a move and a block."""

from __future__ import annotations

import pytest

from tests.conftest import PlayedDemo
from tests.e2e.test_demo import bot_blocks

pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.timeout(300)]


def test_demo_shows_reminders_arriving_a_move_and_a_blocked_user(played_demo: PlayedDemo):
    assert played_demo.exit_code == 0
    part = played_demo.out.split("=== Attendance: each person says whether they can come")[1]
    assert "you will attend in person" in part
    assert "Here is an invitation link for the person coming in your place" in part
    # /review N's detail (who is coming) is on the web companion's page, not in the chat.
    reviews = [b for b in bot_blocks(part) if "[📋 Open the review → " in b]
    assert len(reviews) >= 2 and not any("Dana" in b or "in person" in b for b in reviews)
    assert "the review meeting is in 14 days" in part
    assert "these required roles have no confirmed attendee" in part
    moved = part.split("=== The coordinator moves the review a week later ===")[1]
    assert "old reminders cancelled" in moved
    assert "The review meeting has moved" in moved
    assert "SEQUENCE 1" in moved and "UID cetr-review-1@" in moved
    after = moved.split("=== The young person has blocked the bot ===")[1].split("\n=== ")
    blocked = "\n".join(after[:2])  # up to the next part of the demo
    # The delivery policy: the coordinator's chat does not name who blocked the bot...
    assert "Someone in review #1 could not be reached" in blocked
    assert "Sam" not in blocked and "YP-0042" not in blocked
    assert "/app/reviews/1]" in blocked  # ...the review's page does, with the failed delivery
    # The page that link opens, read over HTTP (signed in with initData) at that moment.
    page = played_demo.pages["blocked"]
    assert "<h2>Delivery problems</h2>" in page
    assert "Young person (Sam) blocked the bot on" in page
    for block in part.split("🤖 → ")[1:]:  # nothing sent to a participant names the child
        assert block.startswith("Coordinator") or "YP-0042" not in block
