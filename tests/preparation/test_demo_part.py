"""`make demo`: the parent and the young person complete their preparation.

Only the opening scenario and this part are played (the whole demo has its own test).
"""

from __future__ import annotations

from cetr_bot.demo import DemoContext, Transcript, _scenario
from cetr_bot.demo import preparation as demo_preparation


async def test_the_demo_shows_preparation_end_to_end(bot, client, svc, sandbox, clock, tmp_path):
    transcript = Transcript()
    ctx = DemoContext(svc, bot, sandbox, client, transcript, clock, tmp_path)
    await _scenario(ctx)
    start = len(transcript.lines)
    await demo_preparation.play(ctx)
    out = "\n".join(transcript.lines[start:])
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
