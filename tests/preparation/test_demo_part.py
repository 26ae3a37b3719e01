"""`make demo`: the parent and the young person complete their preparation.

Reads the demo played once for the whole run (tests/conftest.py `played_demo`).
"""

from __future__ import annotations

import pytest

from tests.conftest import PlayedDemo

pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.timeout(300)]


def test_the_demo_shows_preparation_end_to_end(played_demo: PlayedDemo):
    assert played_demo.exit_code == 0
    start = played_demo.out.split("=== The parent starts preparing", 1)[1]
    out = start.split("=== Attendance:", 1)[0]  # up to the next part of the demo
    assert "Stopped for now. Every answer so far is saved." in out
    assert "Your answer now: Funny and kind." in out
    assert "Your answers have been sent to the panel" in out
    assert "Can the panel see your answers?" in out
    assert "[sends a voice note 🎤]" in out
    assert "What I like doing: 🎤 a voice note" in out
    assert "Your answers are sent." in out
    review = out.split("The coordinator sees who has prepared", 1)[1]
    assert "Family member or carer (Dana): ✅ submitted" in review
    assert "Young person (Sam): ✅ submitted" in review
    assert "Sharing with the panel: ✅ the young person agreed" in review
