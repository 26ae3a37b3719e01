"""`make demo` plays its whole script against the sandbox without a hitch."""

from __future__ import annotations

import pytest

from tests.conftest import PlayedDemo


def section(out: str, heading: str) -> str:
    """The transcript from `=== heading` up to the next heading."""
    return out.split(f"=== {heading}", 1)[1].split("\n=== ", 1)[0]


def bot_blocks(part: str) -> list[str]:
    """What the bot showed, one block per message ("Coordinator:\n    ...")."""
    return [b.split("\n👤 ", 1)[0] for b in part.split("🤖 → ")[1:]]


pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.timeout(300)]


def test_demo_runs_and_shows_each_person_joining(played_demo: PlayedDemo):
    assert played_demo.exit_code == 0
    out = played_demo.out
    assert "Review #1 is set up" in out
    assert out.count("thank you for joining") >= 2  # parent and clinician
    assert "There is a meeting about you." in out  # the young person's easy-read greeting
    assert "already been used" in out
    # The delivery policy: the demo runs its web companion, so /review N's detail is a link.
    assert "=== The web companion runs at http://127.0.0.1:" in out
    [review] = bot_blocks(section(out, "The coordinator checks who has joined"))
    assert "Joined: 3 of 3 invited." in review
    assert "[📋 Open the review → http://127.0.0.1:" in review and "/app/reviews/1]" in review
    assert not any(secret in review for secret in ("Dana", "Sam", "Dr Lee", "YP-0042", "Video"))
    assert (played_demo.folder / "demo.db").exists()
    # After the review: the pack, actions done and escalated, the young person's feedback.
    assert "The panel pack is written to" in out
    assert list(played_demo.folder.glob("cetr-review-1-pack-v*.html"))
    assert "Action A2 is marked done" in out
    assert "Action A1 from review #1 is overdue" in out
    assert "What your review found" in out
    pack_part = section(out, "The day before: the panel pack goes out")
    assert "📎 The panel pack for review #1 is ready." in pack_part
    assert "/app/reviews/1/pack]" in pack_part
    feedback = [b for b in bot_blocks(out) if b.startswith("Young person:\n    💌")]
    assert feedback and all("/app/reviews/1/feedback]" in b for b in feedback)
    assert not any("The staff keep you safe." in b for b in feedback)  # the words stay online
    assert "Thank you for telling us" in out
