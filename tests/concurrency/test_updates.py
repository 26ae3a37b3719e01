"""Updates from different people are handled at the same time; one person's updates
keep their order. Driven through the sandbox against the real bot."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import event, select
from telegram import Update
from telegram.ext import MessageHandler, filters

from cetr_bot.domain import Role
from cetr_bot.services import pack
from cetr_bot.storage.models_preparation import PrepAnswer
from cetr_bot.telegram.replies import Context
from tests.conftest import COORDINATOR_ID
from tests.helpers import add_review
from tests.preparation.helpers import START, first_line, join_as, questions


async def test_a_held_update_for_one_person_does_not_hold_up_another(bot, client, svc):
    release = asyncio.Event()

    async def hold(update: Update, context: Context) -> None:
        await release.wait()

    # Ahead of every production handler: this person's update waits until released.
    bot.app.add_handler(MessageHandler(filters.Regex("^hold me$"), hold), group=-3)
    slow, other = client.user(2001), client.user(2002)
    await slow.send("hold me")
    try:
        [reply] = await other.ask("/help", timeout=10)
        assert "/prepare" in reply.plain  # the other person got their answer (the help text)
        assert await slow.messages() == []  # ... while the first is still held
    finally:
        release.set()
    await slow.wait_for(1, timeout=10)  # and the held update then finishes as normal


async def test_a_slow_pdf_for_one_person_does_not_hold_up_another(bot, client, svc, monkeypatch):
    real_to_pdf = pack.to_pdf

    def slow_to_pdf(html: str) -> bytes:
        time.sleep(1.5)  # a big pack: rendering blocks whatever runs it
        return real_to_pdf(html)

    monkeypatch.setattr(pack, "to_pdf", slow_to_pdf)
    review_id = await add_review(svc)
    coordinator, other = client.user(COORDINATOR_ID), client.user(2002)
    [html] = await coordinator.ask(f"/pack {review_id}", timeout=10)  # the HTML comes first
    assert html.document is not None
    begun = time.perf_counter()
    await other.ask("/help", timeout=10)
    answered_in = time.perf_counter() - begun
    assert await coordinator.messages() == [html]  # the PDF is still being made
    assert answered_in < 1.0
    [pdf] = await coordinator.wait_for(1, timeout=15)
    assert pdf.document is not None and pdf.document["file_name"].endswith(".pdf")


async def test_one_persons_rapid_answers_are_handled_in_order(bot, client, svc):
    joined = await join_as(svc, client, Role.FAMILY, 2001)
    user = joined.user
    asked = questions(Role.FAMILY)
    typed = [q for q in asked[:3] if q.kind == "text"]
    assert len(typed) == 3, "the family bank starts with three typed questions"
    await user.tap(START)
    for n in range(3):  # without waiting for the replies in between
        await user.send(f"Answer number {n}")
    replies = await user.wait_for(3, timeout=15) + await user.settle()

    async with svc.db.transaction() as session:
        rows = await session.execute(
            select(PrepAnswer.question_id, PrepAnswer.value).where(
                PrepAnswer.participant_id == joined.participant_id
            )
        )
        stored = {question: value for question, value in rows}
    assert stored == {q.id: f"Answer number {n}" for n, q in enumerate(typed)}
    said = "\n".join(m.plain for m in replies)
    positions = [said.find(first_line(q)) for q in asked[1:4]]
    assert -1 not in positions and positions == sorted(positions), said


async def test_an_ordinary_update_writes_nothing(bot, client, svc):
    review_id = await add_review(svc)
    user = client.user(2001)
    await user.ask("/start", timeout=10)
    assert review_id
    writes: list[str] = []

    def note(conn, cursor, statement: str, *args: object) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    event.listen(svc.db.engine.sync_engine, "before_cursor_execute", note)
    try:
        await user.ask("/help", timeout=10)
        await user.ask("hello", timeout=10)
    finally:
        event.remove(svc.db.engine.sync_engine, "before_cursor_execute", note)
    assert writes == []
