"""Updates from different people are handled at the same time; one person's updates
keep their order. Driven through the sandbox against the real bot."""

from __future__ import annotations

import asyncio

from sqlalchemy import event, select, update
from telegram import Update
from telegram.ext import MessageHandler, filters

from cetr_bot.domain import ReviewType, Role
from cetr_bot.services.question_bank import library
from cetr_bot.storage.models import Participant, Person, Review
from cetr_bot.storage.models_preparation import ConsentRecord, PrepAnswer, PrepProgress
from cetr_bot.telegram.replies import Context
from tests.conftest import COORDINATOR_ID
from tests.helpers import add_review
from tests.preparation.helpers import START, first_line, join_as, questions

PACK_ROLES = [Role.YOUNG_PERSON, Role.FAMILY, Role.FAMILY, Role.CLINICIAN, Role.PANEL_CHAIR]
PACK_ROLES += [Role.CLINICAL_ADVISER, Role.EXPERT_BY_EXPERIENCE, Role.SOCIAL_WORKER]
PACK_ROLES += [Role.SCHOOL, Role.ADVOCATE, Role.COMMISSIONER, Role.VCSE, Role.TRANSITIONS]


async def test_a_held_update_for_one_person_does_not_hold_up_another(bot, client, svc):
    release = asyncio.Event()

    async def hold(update: Update, context: Context) -> None:
        await release.wait()

    # Ahead of every production handler (in a group of its own: a group runs only its
    # first matching handler): this person's update waits until released.
    first = min(bot.app.handlers) - 1
    bot.app.add_handler(MessageHandler(filters.Regex("^hold me$"), hold), group=first)
    slow, other = client.user(2001), client.user(2002)
    await slow.send("hold me")
    try:
        [reply] = await other.ask("/help", timeout=10)
        assert "/prepare" in reply.plain  # the other person got their answer (the help text)
        assert await slow.messages() == []  # ... while the first is still held
    finally:
        release.set()
    await slow.wait_for(1, timeout=10)  # and the held update then finishes as normal


async def test_a_pdf_being_made_does_not_hold_up_another_person(bot, client, svc):
    review_id = await add_review(svc)
    await _everyone_answered(svc, review_id)  # a big pack: its PDF takes a good while
    coordinator, other = client.user(COORDINATOR_ID), client.user(2002)
    [html] = await coordinator.ask(f"/pack {review_id}", timeout=10)  # the HTML comes first
    assert html.document is not None
    await other.ask("/help", timeout=10)
    assert await coordinator.messages() == [html]  # the other was answered mid-PDF
    [pdf] = await coordinator.wait_for(1, timeout=30)
    assert pdf.document is not None and pdf.document["file_name"].endswith(".pdf")


async def _everyone_answered(svc, review_id: int) -> None:
    """Twenty-six participants who answered every question of their bank."""
    now = svc.now()
    async with svc.db.transaction() as session:
        review = await session.get_one(Review, review_id)
        for n, role in enumerate(PACK_ROLES * 2):
            person = Person(telegram_user_id=30_000 + n, chat_id=30_000 + n, preferred_name="P")
            member = Participant(review=review, role=role, person=person, joined_at=now)
            session.add(member)
            await session.flush()
            session.add(PrepProgress(participant_id=member.id, started_at=now, submitted_at=now))
            bank = library().bank_for(role, ReviewType.INPATIENT)
            for q in bank.questions if bank else ():
                value = q.options[0].value if q.options else f"A long typed answer {q.id} " * 8
                session.add(
                    PrepAnswer(
                        participant_id=member.id,
                        question_id=q.id,
                        kind="option" if q.options else q.kind,
                        value="2027-01-31" if q.kind == "date" else value,
                        answered_at=now,
                    )
                )
        session.add(
            ConsentRecord(
                review_id=review_id,
                subject="share",
                decision="yes",
                basis="young_person",
                method="bot",
                recorded_by_role="young-person",
            )
        )


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


async def test_someone_marked_unreachable_who_writes_is_reachable_again(bot, client, svc):
    joined = await join_as(svc, client, Role.FAMILY, 2001)
    async with svc.db.transaction() as session:
        await session.execute(
            update(Person)
            .where(Person.telegram_user_id == 2001)
            .values(unreachable_since=svc.now())
        )
    await joined.user.ask("/help", timeout=10)
    async with svc.db.transaction() as session:
        since = await session.scalar(
            select(Person.unreachable_since).where(Person.telegram_user_id == 2001)
        )
    assert since is None
