"""`make demo` plays its whole script against the sandbox without a hitch."""

from __future__ import annotations

import pytest

from tests.conftest import PlayedDemo

pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.timeout(300)]


def test_demo_runs_and_shows_each_person_joining(played_demo: PlayedDemo):
    assert played_demo.exit_code == 0
    out = played_demo.out
    assert "Review #1 is set up" in out
    assert out.count("thank you for joining") >= 2  # parent and clinician
    assert "There is a meeting about you." in out  # the young person's easy-read greeting
    assert "already been used" in out
    assert "Family member or carer: ✅ joined (Dana)" in out
    assert (played_demo.folder / "demo.db").exists()
    # After the review: the pack, actions done and escalated, the young person's feedback.
    assert "The panel pack is written to" in out
    assert list(played_demo.folder.glob("cetr-review-1-pack-v*.html"))
    assert "Action A2 is marked done" in out
    assert "Action A1 from review #1 is overdue" in out
    assert "What your review found" in out
    assert "Thank you for telling us" in out
