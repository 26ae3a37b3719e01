"""The coordinator sets up a review in the bot, through the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime

from cetr_bot.runner import BotRunner
from cetr_bot.services import reviews
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI


async def test_guided_newreview_creates_the_review(bot, client, svc):
    coord = client.user(COORDINATOR_ID, first_name="Cora")
    [ask] = await coord.ask("/newreview")
    assert "What reference" in ask.plain
    [ask] = await coord.ask("YP-0042")
    assert "What type of review" in ask.plain
    assert ask.button_labels == ["Community", "Post-admission", "Inpatient"]
    [ask] = await coord.tap("Inpatient")
    assert "date of birth" in ask.plain
    [ask] = await coord.ask("14/03/2012")
    assert "admitted" in ask.plain
    [ask] = await coord.ask("01/09/2026")
    assert "When is the review" in ask.plain
    [ask] = await coord.ask("14/12/2026 10:00")
    assert "Where is it" in ask.plain
    [confirm] = await coord.ask("Video call")
    assert "YP-0042" in confirm.plain and "Monday 14 December 2026 at 10:00" in confirm.plain
    # A community review came first? No: there is no earlier CETR since admission.
    assert "post-admission review should happen first" in confirm.plain
    [done] = await coord.tap("✅ Create the review")
    assert "Review #1 is set up" in done.plain

    detail = await reviews.review_detail(svc, CLI, 1)
    assert detail.summary.ref == "YP-0042"
    assert detail.summary.type == "inpatient"
    assert detail.summary.at == datetime(2026, 12, 14, 10, 0, tzinfo=UTC)  # GMT in December
    assert detail.summary.location == "Video call"


async def test_bad_answers_get_a_kind_reask_and_lose_nothing(bot, client, svc):
    coord = client.user(COORDINATOR_ID)
    await coord.ask("/newreview")
    replies = await coord.ask("Jane <b>Smith</b>, 12 Acacia Road!", count=2)
    assert "short reference" in replies[0].plain
    assert "What reference" in replies[1].plain
    await coord.ask("YP-7")
    replies = await coord.ask("banana", count=2)
    assert "choose one of the buttons" in replies[0].plain
    assert "What type" in replies[1].plain
    await coord.tap("Community")
    replies = await coord.ask("31/02/2012", count=2)
    assert "couldn't read that date" in replies[0].plain
    replies = await coord.ask("01/01/2030", count=2)
    assert "in the future" in replies[0].plain
    [ask] = await coord.tap("Skip")
    assert "When is the review" in ask.plain  # community: no admission question
    replies = await coord.ask("yesterday", count=2)
    assert "couldn't read that date and time" in replies[0].plain
    replies = await coord.ask("01/11/2026 10:00", count=2)
    assert "already passed" in replies[0].plain
    replies = await coord.ask("x" * 3001, count=2)
    assert "bit long" in replies[0].plain
    replies = await coord.send_media("sticker")
    replies = await coord.wait_for(count=2)
    assert "typed text" in replies[0].plain
    assert "When is the review" in replies[1].plain
    await coord.ask("02/12/2026 9:30")
    [confirm] = await coord.tap("Skip")
    assert "not given yet" in confirm.plain
    assert "date of birth" in confirm.plain.lower()
    [done] = await coord.tap("✅ Create the review")
    assert "Review #1" in done.plain
    detail = await reviews.review_detail(svc, CLI, 1)
    assert detail.summary.ref == "YP-7" and detail.summary.location is None


async def test_an_old_question_button_says_it_has_moved_on(bot, client):
    coord = client.user(COORDINATOR_ID)
    await coord.ask("/newreview")
    [type_question] = await coord.ask("YP-8")
    await coord.tap("Community")
    # Press the type button again on the old message (as if from an old phone screen).
    replies = await coord.press_data(type_question.message_id, "nr:type:inpatient")
    replies = await coord.wait_for(count=2)
    assert "moved on" in replies[0].plain
    assert "date of birth" in replies[1].plain


async def test_typing_yes_at_the_confirm_step_asks_for_the_buttons(bot, client, svc):
    coord = client.user(COORDINATOR_ID)
    await coord.ask("/newreview")
    await coord.ask("YP-9")
    await coord.tap("Community")
    await coord.tap("Skip")
    await coord.ask("02/12/2026 09:30")
    await coord.tap("Skip")
    replies = await coord.ask("yes", count=2)
    assert "use one of the buttons" in replies[0].plain
    assert await reviews.list_upcoming(svc, CLI) == []


async def test_the_flow_survives_a_bot_restart(bot, client, svc):
    coord = client.user(COORDINATOR_ID)
    await coord.ask("/newreview")
    await coord.ask("YP-10")
    await coord.tap("Community")
    await bot.stop()
    second = BotRunner(svc, poll_timeout=1)
    await second.start()
    try:
        [ask] = await coord.ask("14/03/2012")
        assert "When is the review" in ask.plain
    finally:
        await second.stop()


async def test_cancel_stops_the_flow(bot, client, svc):
    coord = client.user(COORDINATOR_ID)
    await coord.ask("/newreview")
    [reply] = await coord.ask("/cancel")
    assert "stopped" in reply.plain
    [reply] = await coord.ask("YP-11")
    assert "/help" in reply.plain
    assert await reviews.list_upcoming(svc, CLI) == []


async def test_discarding_at_the_end_creates_nothing(bot, client, svc):
    coord = client.user(COORDINATOR_ID)
    await coord.ask("/newreview")
    await coord.ask("YP-12")
    await coord.tap("Community")
    await coord.tap("Skip")
    await coord.ask("02/12/2026 09:30")
    await coord.tap("Skip")
    [reply] = await coord.tap("✖️ Start again later")
    assert "haven't created anything" in reply.plain
    assert await reviews.list_upcoming(svc, CLI) == []
