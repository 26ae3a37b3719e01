"""What the chair or coordinator writes for a young person is checked for reading ease
before it goes: hard words come back to the writer with the long sentences and words
named, and the writer sends them anyway or writes them again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cetr_bot.domain import Role
from cetr_bot.services import actions
from cetr_bot.storage.models_feedback import ReviewFeedback
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI, add_review, invite, join

HARD = (
    "The multidisciplinary team concluded that your current placement remains clinically "
    "appropriate pending further assessment of your community integration requirements."
)
EASY = "You are safe on the ward. Staff check on you every day."
CHECK = "may find this hard to read"


async def _held_review_with_chair(svc, client):
    review_id = await add_review(svc, at=svc.now() + timedelta(hours=1))
    young = await invite(svc, review_id, Role.YOUNG_PERSON)
    chair = await invite(svc, review_id, Role.PANEL_CHAIR)
    sam, pat = client.user(2002), client.user(2004)
    await join(sam, young.token)
    await join(pat, chair.token)
    await actions.mark_held(svc, CLI, review_id=review_id, held_on=svc.now().date())
    return review_id, pat


async def test_hard_feedback_is_shown_back_and_can_be_simplified(bot, client, svc):
    review_id, pat = await _held_review_with_chair(svc, client)
    [ask] = await pat.ask(f"/writefeedback {review_id}")
    assert "Am I safe?" in ask.plain
    [check] = await pat.ask(HARD)
    assert CHECK in check.plain
    assert "multidisciplinary" in check.plain  # the long words are named
    assert "Long sentences" in check.plain and HARD in check.plain
    assert check.button_labels == ["➡️ Send anyway", "✏️ Let me simplify it"]
    async with svc.db.transaction() as session:
        row = await session.get(ReviewFeedback, review_id)
        assert row is None or "kloe1" not in row.answers  # nothing kept yet
    replies = await pat.tap("✏️ Let me simplify it", message=check, count=2)
    assert "write it again" in replies[0].plain
    assert "Am I safe?" in replies[1].plain  # the same part again
    [nxt] = await pat.ask(EASY)
    assert "What is my care like?" in nxt.plain  # easy words go straight in
    [again] = await pat.ask(HARD)
    assert CHECK in again.plain
    [nxt] = await pat.tap("➡️ Send anyway", message=again)
    assert "Is there a plan for my future?" in nxt.plain
    async with svc.db.transaction() as session:
        row = await session.get(ReviewFeedback, review_id)
        assert row.answers == {"kloe1": EASY, "kloe2": HARD}
    await pat.press_data(again.message_id, "pw:f:send")  # an old press: nothing is held
    [stale] = await pat.wait_for()
    assert "button" in stale.plain.lower()
    async with svc.db.transaction() as session:
        row = await session.get(ReviewFeedback, review_id)
        assert row.answers == {"kloe1": EASY, "kloe2": HARD}


async def test_hard_words_typed_over_held_ones_are_checked_again(bot, client, svc):
    review_id, pat = await _held_review_with_chair(svc, client)
    await pat.ask(f"/writefeedback {review_id}")
    [check] = await pat.ask(HARD)
    assert CHECK in check.plain
    [nxt] = await pat.ask(EASY)  # typing again instead of pressing: the new words count
    assert "What is my care like?" in nxt.plain
    await pat.press_data(check.message_id, "pw:f:send")  # the held words went
    [stale] = await pat.wait_for()
    assert "button" in stale.plain.lower()


async def test_an_action_the_young_person_will_see_is_checked(bot, client, svc):
    review_id = await add_review(svc, at=svc.now() + timedelta(hours=1))
    young = await invite(svc, review_id, Role.YOUNG_PERSON)
    clinician = await invite(svc, review_id, Role.CLINICIAN)
    await join(client.user(2002), young.token)
    await join(client.user(2003, first_name="Lee"), clinician.token)
    await actions.mark_held(svc, CLI, review_id=review_id, held_on=svc.now().date())
    coord = client.user(COORDINATOR_ID)
    await coord.ask("/start")
    await coord.ask(f"/addaction {review_id}")
    [check] = await coord.ask(HARD)
    assert CHECK in check.plain and "multidisciplinary" in check.plain
    replies = await coord.tap("✏️ Let me simplify it", message=check, count=2)
    assert "What is to be done" in replies[1].plain
    [check] = await coord.ask("Complete a comprehensive multidisciplinary reassessment.")
    assert CHECK in check.plain
    [owner] = await coord.tap("➡️ Send anyway", message=check)
    assert "Who owns this action" in owner.plain
    label = next(b for b in owner.button_labels if b.startswith("Responsible"))
    await coord.tap(label, message=owner)
    [done] = await coord.ask("21/12/2026")
    assert "Complete a comprehensive multidisciplinary reassessment." in done.plain
    [view] = await actions.list_actions(svc, CLI, review_id=review_id)
    assert view.what == "Complete a comprehensive multidisciplinary reassessment."


async def test_easy_action_words_go_straight_on(bot, client, svc):
    review_id = await add_review(svc, at=svc.now() + timedelta(hours=1))
    young = await invite(svc, review_id, Role.YOUNG_PERSON)
    await join(client.user(2002), young.token)
    await actions.mark_held(svc, CLI, review_id=review_id, held_on=svc.now().date())
    coord = client.user(COORDINATOR_ID)
    await coord.ask(f"/addaction {review_id}")
    [owner] = await coord.ask("Find Sam a new home near his mum.")
    assert "Who owns this action" in owner.plain
    async with svc.db.transaction() as session:
        assert await session.scalar(select(ReviewFeedback.review_id)) is None


async def _review_with_action(svc, client, *, young_person: bool = True) -> int:
    """A held review (with its young person, or without) and one open action."""
    review_id = await add_review(svc, at=svc.now() + timedelta(hours=1))
    if young_person:
        await join(client.user(2002), (await invite(svc, review_id, Role.YOUNG_PERSON)).token)
    clinician = await invite(svc, review_id, Role.CLINICIAN)
    await join(client.user(2003, first_name="Lee"), clinician.token)
    await actions.mark_held(svc, CLI, review_id=review_id, held_on=svc.now().date())
    view = await actions.add_action(
        svc,
        CLI,
        review_id=review_id,
        owner_participant_id=clinician.participant_id,
        what="Find Sam a new home near his mum.",
        due_on=svc.now().date() + timedelta(days=28),
    )
    return view.id


async def _change_text(client, action_id: int):
    coord = client.user(COORDINATOR_ID)
    [detail] = await coord.ask(f"/action A{action_id}")
    [ask] = await coord.tap("✏️ Change text", message=detail)
    assert f"What should action A{action_id} say now?" in ask.plain
    return coord


async def _what(svc, action_id: int) -> str:
    view, _ = await actions.show_action(svc, CLI, action_id=action_id)
    return view.what


async def test_an_actions_changed_words_are_checked_when_the_young_person_will_see_them(
    bot, client, svc
):
    action_id = await _review_with_action(svc, client)
    coord = await _change_text(client, action_id)
    [check] = await coord.ask(HARD)
    assert CHECK in check.plain and "multidisciplinary" in check.plain
    assert check.button_labels == ["➡️ Send anyway", "✏️ Let me simplify it"]
    assert await _what(svc, action_id) == "Find Sam a new home near his mum."  # held back
    replies = await coord.tap("✏️ Let me simplify it", message=check, count=2)
    assert "write it again" in replies[0].plain
    assert f"What should action A{action_id} say now?" in replies[1].plain
    [check] = await coord.ask("Complete a comprehensive multidisciplinary reassessment.")
    assert CHECK in check.plain
    [done] = await coord.tap("➡️ Send anyway", message=check)
    assert f"Action A{action_id} is changed" in done.plain
    assert await _what(svc, action_id) == "Complete a comprehensive multidisciplinary reassessment."
    await coord.press_data(check.message_id, "pw:e:send")  # an old press: nothing is held
    [stale] = await coord.wait_for()
    assert "button" in stale.plain.lower()


async def test_easy_changed_words_go_straight_in_and_typing_again_replaces_held_ones(
    bot, client, svc
):
    action_id = await _review_with_action(svc, client)
    coord = await _change_text(client, action_id)
    [check] = await coord.ask(HARD)
    assert CHECK in check.plain
    [done] = await coord.ask("Visit two new homes with Sam.")  # typed, not pressed
    assert f"Action A{action_id} is changed" in done.plain
    assert await _what(svc, action_id) == "Visit two new homes with Sam."
    await coord.press_data(check.message_id, "pw:e:send")  # the held words went
    [stale] = await coord.wait_for()
    assert "button" in stale.plain.lower()
    assert await _what(svc, action_id) == "Visit two new homes with Sam."


async def test_changed_words_no_young_person_sees_are_not_checked(bot, client, svc):
    action_id = await _review_with_action(svc, client, young_person=False)
    coord = await _change_text(client, action_id)
    [done] = await coord.ask(HARD)
    assert f"Action A{action_id} is changed" in done.plain
    assert await _what(svc, action_id) == HARD
