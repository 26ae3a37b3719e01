"""The young person's question about their feedback is answered: the coordinator's copy has
a Reply button, the typed answer reaches the young person (discreetly with a web
companion), and both sides can read the thread again (/questions, /review N, the pages)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from cetr_bot import web_links
from cetr_bot.domain import ReminderKind, Role
from cetr_bot.services import actions, web_reads, yp_questions
from cetr_bot.services.context import Actor
from cetr_bot.storage.models_needs import FeedbackQuestion
from cetr_bot.storage.models_reminders import Reminder
from cetr_bot.web_links import Page
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI, add_review, invite, join
from tests.reminders.conftest import extra_settings, settings  # noqa: F401
from tests.reminders.helpers import tick

pytestmark = pytest.mark.timeout(240)

QUESTION = "When can I see my dog Biscuit?"
ANSWER = "Biscuit can visit on Saturday."
WEB = "https://cetr.example.org"
SAM, PAT = 2002, 2004


async def _feedback_sent(svc, bot, client):
    """A held review whose feedback has reached the young person (Sam)."""
    coord = client.user(COORDINATOR_ID)
    await coord.ask("/start")
    review_id = await add_review(svc, at=svc.now() + timedelta(hours=1))
    sam, pat = client.user(SAM, first_name="Sam"), client.user(PAT)
    await join(sam, (await invite(svc, review_id, Role.YOUNG_PERSON)).token)
    await join(pat, (await invite(svc, review_id, Role.PANEL_CHAIR)).token)
    await actions.mark_held(svc, CLI, review_id=review_id, held_on=svc.now().date())
    await pat.ask(f"/writefeedback {review_id}")
    for words in ("You are safe.", "Staff know you.", "A new home.", "Not for long."):
        await pat.ask(words)
    await pat.tap("📨 Send to the young person")
    await tick(svc, bot)
    await sam.settle()
    await coord.settle()
    return review_id, coord, sam


async def _ask(svc, bot, sam, coord):
    [got] = await sam.ask("/myfeedback")
    await sam.tap("❓ Ask a question", message=got)
    [thanks] = await sam.ask(QUESTION)
    assert "Someone will get back to you" in thanks.plain
    await tick(svc, bot)
    seen = await coord.wait_for() + await coord.settle()
    return [m for m in seen if "↩️ Reply to the young person" in m.button_labels]


async def test_a_question_is_answered_and_both_sides_see_the_thread(bot, client, svc):
    review_id, coord, sam = await _feedback_sent(svc, bot, client)
    [copy] = await _ask(svc, bot, sam, coord)
    assert QUESTION in copy.plain and copy.protect_content

    # The words are in their own encrypted row; the reminder carries only its id.
    async with svc.db.transaction() as session:
        [row] = list(await session.scalars(select(Reminder).where(
            Reminder.kind == ReminderKind.YP_QUESTION)))  # fmt: skip
        assert QUESTION not in str(row.payload) and "question_id" in row.payload

    # Someone else cannot press the Reply button (forged): nothing starts.
    question_id = int(copy.find_callback("↩️ Reply to the young person").split(":")[1])
    await sam.press_data(copy.message_id, f"yr:{question_id}")
    [refused] = await sam.wait_for(1)
    assert "coordinator" in refused.plain.lower()

    [prompt] = await coord.tap("↩️ Reply to the young person", message=copy)
    assert "Your answer for the young person" in prompt.plain and QUESTION in prompt.plain
    [done] = await coord.ask(ANSWER)
    assert "on its way" in done.plain
    await tick(svc, bot)
    [answer] = await sam.wait_for()
    assert QUESTION in answer.plain and ANSWER in answer.plain
    assert answer.protect_content and "❓ Ask a question" in answer.button_labels

    # Both sides can read the thread again.
    [mine] = await sam.ask("/questions")
    assert "Your questions" in mine.plain and QUESTION in mine.plain and ANSWER in mine.plain
    [theirs] = await coord.ask(f"/questions {review_id}")
    assert QUESTION in theirs.plain and ANSWER in theirs.plain
    [detail] = await coord.ask(f"/review {review_id}")
    assert "Questions from the young person" in detail.plain and "✅ answered" in detail.plain

    # Another person (the chair) gets neither thread.
    [none] = await client.user(PAT).ask("/questions")
    assert QUESTION not in none.plain
    [refused] = await client.user(PAT).ask(f"/questions {review_id}")
    assert QUESTION not in refused.plain


async def test_an_unanswered_question_shows_as_waiting(bot, client, svc):
    review_id, coord, sam = await _feedback_sent(svc, bot, client)
    await _ask(svc, bot, sam, coord)
    [detail] = await coord.ask(f"/review {review_id}")
    assert "⏳ 1 not answered" in detail.plain
    [mine] = await sam.ask("/questions")
    assert "No answer yet" in mine.plain


@pytest.mark.parametrize("extra_settings", [{"web_base_url": WEB}])
async def test_with_a_web_companion_the_words_stay_on_the_page(bot, client, svc, sandbox):
    review_id, coord, sam = await _feedback_sent(svc, bot, client)
    page = web_links.url(svc.settings, Page.FEEDBACK, review_id)
    [copy] = await _ask(svc, bot, sam, coord)
    assert QUESTION not in copy.plain and page in copy.links.values()
    [prompt] = await coord.tap("↩️ Reply to the young person", message=copy)
    assert QUESTION not in prompt.plain
    await coord.ask(ANSWER)
    await tick(svc, bot)
    [answer] = await sam.wait_for()
    assert "You have an answer" in answer.plain and ANSWER not in answer.plain
    assert page in answer.links.values() and answer.protect_content

    # The page holds the thread, for the young person and for the coordinator.
    for actor in (Actor(SAM, SAM), Actor(COORDINATOR_ID, COORDINATOR_ID)):
        found = await web_reads.feedback_page(svc, actor, review_id)
        [item] = found.thread.items
        assert item.question.text == QUESTION and [a.text for a in item.answers] == [ANSWER]
    # No chat ever carried the words.
    for chat in (SAM, COORDINATOR_ID):
        for m in await client.user(chat).messages():
            assert QUESTION not in m.plain and ANSWER not in m.plain


async def test_erasure_and_retention_remove_the_words(bot, client, svc):
    review_id, coord, sam = await _feedback_sent(svc, bot, client)
    [copy] = await _ask(svc, bot, sam, coord)
    await coord.tap("↩️ Reply to the young person", message=copy)
    await coord.ask(ANSWER)
    thread = await yp_questions.for_coordinator(svc, CLI, review_id)
    assert thread.items[0].answers[0].text == ANSWER
    from cetr_bot.services import subject_access
    from cetr_bot.storage.models import Person

    async with svc.db.transaction() as session:
        person_id = await session.scalar(select(Person.id).where(Person.telegram_user_id == SAM))
    copy_of = await subject_access.export_person(svc, CLI, person_id)
    bodies = [r["body"] for r in copy_of.tables["feedback_questions"]]
    assert QUESTION in bodies and ANSWER in bodies
    await subject_access.erase_person(svc, CLI, person_id, reason="asked")
    async with svc.db.transaction() as session:
        assert set(await session.scalars(select(FeedbackQuestion.body))) == {""}


async def test_retention_removes_the_thread_and_the_needs(bot, client, svc):
    from cetr_bot.services import needs, retention
    from cetr_bot.storage.models_needs import CommunicationNeed

    review_id, coord, sam = await _feedback_sent(svc, bot, client)
    [copy] = await _ask(svc, bot, sam, coord)
    await coord.tap("↩️ Reply to the young person", message=copy)
    await coord.ask(ANSWER)
    [screen] = await sam.ask("/needs")
    await sam.tap("▫️ 🔍 Big letters", message=screen)
    await actions.mark_report_sent(svc, CLI, review_id=review_id)
    svc.clock.advance(days=367)  # type: ignore[attr-defined]
    plan = await retention.plan(svc, CLI)
    assert plan.totals.get("question_texts") == 2
    await retention.run(svc, CLI)
    async with svc.db.transaction() as session:
        assert set(await session.scalars(select(FeedbackQuestion.body))) == {""}
        assert list(await session.scalars(select(CommunicationNeed))) == []
        assert not await needs.large_print_for_user(session, SAM)


async def test_an_answer_that_reads_as_hard_is_held_until_the_coordinator_chooses(bot, client, svc):
    """The writer check (services/plain_words) on the answer: below 70 the coordinator
    sees what is hard and sends it anyway or writes it again; nothing goes before that."""
    _, coord, sam = await _feedback_sent(svc, bot, client)
    [copy] = await _ask(svc, bot, sam, coord)
    hard = (
        "Subsequent to the multidisciplinary formulation, the commissioning arrangements "
        "necessitate identification of an appropriately specialised community placement."
    )
    await coord.tap("↩️ Reply to the young person", message=copy)
    [check] = await coord.ask(hard)
    assert "➡️ Send anyway" in check.button_labels and "multidisciplinary" in check.plain
    await tick(svc, bot)
    assert await sam.settle(quiet=0.3) == []  # held: nothing reached the young person
    [again] = await coord.tap("✏️ Let me simplify it", message=check)
    assert "write it again" in again.plain
    [done] = await coord.ask("We are looking for a home near your family. I will tell you soon.")
    assert "on its way" in done.plain
    await tick(svc, bot)
    [answer] = await sam.wait_for()
    assert "a home near your family" in answer.plain and "multidisciplinary" not in answer.plain

    # Sent anyway: the coordinator's own choice.
    [copy] = await _ask(svc, bot, sam, coord)
    await coord.tap("↩️ Reply to the young person", message=copy)
    [check] = await coord.ask(hard)
    [done] = await coord.tap("➡️ Send anyway", message=check)
    assert "on its way" in done.plain
    await tick(svc, bot)
    [answer] = await sam.wait_for()
    assert "multidisciplinary" in answer.plain
    # A second press of the old button does nothing: the words are gone from the flow.
    await coord.press_data(check.message_id, "pw:r:send")
    [stale] = await coord.wait_for()
    assert "no longer works" in stale.plain
