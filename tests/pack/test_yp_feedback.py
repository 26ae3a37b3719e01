"""The chair writes feedback for the young person under the four questions; the young
person gets it in easy-read form, can read it again and ask a question back."""

from __future__ import annotations

from datetime import timedelta

from cetr_bot.domain import Role
from cetr_bot.services import actions
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI, add_review, invite, join
from tests.reminders.helpers import tick


async def test_feedback_written_sent_read_again_and_questioned(bot, client, svc):
    coord = client.user(COORDINATOR_ID)
    await coord.ask("/start")
    review_id = await add_review(svc, at=svc.now() + timedelta(hours=1))
    young = await invite(svc, review_id, Role.YOUNG_PERSON)
    chair = await invite(svc, review_id, Role.PANEL_CHAIR)
    parent = await invite(svc, review_id, Role.FAMILY)
    sam, pat, mum = client.user(2002), client.user(2004), client.user(2001)
    await join(sam, young.token)
    await join(pat, chair.token)
    await join(mum, parent.token)
    [reply] = await pat.ask(f"/writefeedback {review_id}")
    assert "must be marked as held" in reply.plain or "held" in reply.plain
    await actions.mark_held(svc, CLI, review_id=review_id, held_on=svc.now().date())
    [reply] = await mum.ask(f"/writefeedback {review_id}")
    assert "Only the coordinator or the panel chair" in reply.plain
    [ask] = await pat.ask(f"/writefeedback {review_id}")
    assert "Am I safe?" in ask.plain
    [ask] = await pat.ask("You are safe on the ward <3")
    assert "What is my care like?" in ask.plain
    await pat.ask("Staff know you well.")
    await pat.ask("A new home is being found near your mum.")
    [preview] = await pat.ask("Not for much longer.")
    assert "You are safe on the ward <3" in preview.plain
    [sent] = await pat.tap("📨 Send to the young person")
    assert "on its way" in sent.plain
    await sam.settle()
    await tick(svc, bot)
    [got] = await sam.wait_for()
    for heading in (
        "Am I safe?",
        "What is my care like?",
        "Is there a plan for my future?",
        "Do I need to be in hospital?",
    ):
        assert heading in got.plain
    assert "You are safe on the ward <3" in got.plain and "&lt;3" in got.text
    [again] = await sam.ask("/myfeedback")
    assert "Not for much longer." in again.plain
    [prompt] = await sam.tap("❓ Ask a question", message=again)
    assert "What would you like to ask?" in prompt.plain
    [thanks] = await sam.ask("When can I see my dog?")
    assert "Your question has been sent" in thanks.plain
    await coord.settle()
    await tick(svc, bot)
    seen = await coord.wait_for() + await coord.settle()
    assert any("When can I see my dog?" in m.plain for m in seen)
    [none] = await mum.ask("/myfeedback")
    assert "no feedback" in none.plain.lower()
