"""An edited message is not new input: not an answer, not a fresh /start guess.
It gets one kind note on how to change an answer."""

from __future__ import annotations

from cetr_bot.domain import Role
from cetr_bot.storage.models import Participant, StartAttempt
from tests.helpers import add_review, invite, join
from tests.hostile.helpers import count, snapshot
from tests.preparation.helpers import START, join_as, stored_answers


async def test_an_edited_answer_is_not_taken_and_says_how_to_change_it(bot, client, svc):
    joined = await join_as(svc, client, Role.FAMILY, 2001)
    user = joined.user
    await user.tap(START)
    sent = await user.send("Kind and funny")
    await user.wait_for(1)  # the next question
    before = await snapshot(svc)

    await user.edit(sent["message_id"], "Something else entirely")
    [note] = await user.wait_for(1)
    assert "nothing has changed" in note.plain
    assert "/prepare" in note.plain and "check your answers" in note.plain
    assert await user.settle() == []
    assert await snapshot(svc) == before
    stored = await stored_answers(svc, joined.participant_id)
    assert [a.value for a in stored.values()] == ["Kind and funny"]


async def test_outside_preparation_the_note_says_send_it_again(bot, client, svc):
    user = client.user(2002)
    sent = await user.send("/help")
    await user.wait_for(1)
    await user.edit(sent["message_id"], "/cancel")
    [note] = await user.wait_for(1)
    assert "send it again as a new message" in note.plain
    assert "/prepare" not in note.plain


async def test_an_edited_start_link_is_not_a_redemption_nor_a_guess(bot, client, svc):
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.FAMILY)
    user = client.user(2001)
    sent = await user.send("/start")
    await user.wait_for(1)
    before = await snapshot(svc)

    await user.edit(sent["message_id"], f"/start {created.token}")
    [note] = await user.wait_for(1)
    assert "nothing has changed" in note.plain
    for n in range(svc.settings.bad_token_limit + 2):
        await user.edit(sent["message_id"], f"/start wrongtoken{n:012d}xyz")
        await user.wait_for(1)
    assert await snapshot(svc) == before
    assert await count(svc, StartAttempt) == 0
    assert await count(svc, Participant, Participant.person_id.is_not(None)) == 0

    greeting = await join(user, created.token)  # a new message with the link still works
    assert "Your views matter" in greeting[0].plain
