"""Every kind of bad input gets a kind answer, the current question again, and loses nothing."""

from __future__ import annotations

import pytest

from cetr_bot.domain import Role
from tests.preparation.helpers import (
    START,
    answer,
    consent_yes,
    first_line,
    join_as,
    questions,
    skip_all,
    stored_answers,
)


async def _on_question(svc, client, role: Role, question_id: str, user_id: int = 2001):
    """Joined, started, and everything before `question_id` answered."""
    joined = await join_as(svc, client, role, user_id)
    await joined.user.tap(START)
    asked = questions(role)
    index = next(i for i, q in enumerate(asked) if q.id == question_id)
    for question in asked[:index]:
        await answer(joined.user, question)
    return joined, asked[index], index + 1


def _values(stored):
    return {k: (a.kind, a.value) for k, a in stored.items()}


async def test_over_long_text_is_refused_and_nothing_is_lost(bot, client, svc):
    joined, question, number = await _on_question(svc, client, Role.FAMILY, "safety_worries")
    before = _values(await stored_answers(svc, joined.participant_id))
    too_long, again = await joined.user.ask("y" * 3001, count=2)
    assert "bit long (over 3000 characters)" in too_long.plain
    assert "Nothing has been lost" in too_long.plain
    assert first_line(question) in again.plain and f"{number} of" in again.plain
    assert _values(await stored_answers(svc, joined.participant_id)) == before
    await joined.user.ask("y" * 3000)  # exactly the limit is fine
    stored = await stored_answers(svc, joined.participant_id)
    assert len(stored[question.id].value) == 3000


@pytest.mark.parametrize(
    ("media", "said"), [("sticker", "stickers"), ("photo", "photos"), ("location", "locations")]
)
async def test_media_where_text_is_expected(bot, client, svc, media, said):
    joined, question, number = await _on_question(svc, client, Role.CLINICIAN, "risks", 2003)
    await joined.user.send_media(media)
    reask, again = await joined.user.wait_for(2)
    assert f"can't read {said} here" in reask.plain and "type your answer" in reask.plain
    assert first_line(question) in again.plain and f"{number} of" in again.plain
    assert question.id not in await stored_answers(svc, joined.participant_id)


async def test_media_where_text_is_expected_names_the_voice_note_when_welcome(bot, client, svc):
    """Where a typed answer may also be a voice note (the family's bank welcomes them),
    the re-ask says so; the clinician's (no voice notes) does not."""
    joined, question, _ = await _on_question(svc, client, Role.FAMILY, "safety_worries")
    await joined.user.send_media("document")
    reask, again = await joined.user.wait_for(2)
    assert "type your answer or send a voice note" in reask.plain
    assert first_line(question) in again.plain
    clinician, _, _ = await _on_question(svc, client, Role.CLINICIAN, "risks", 2003)
    await clinician.user.send_media("photo")
    reask, _ = await clinician.user.wait_for(2)
    assert "type your answer" in reask.plain and "voice" not in reask.plain


@pytest.mark.parametrize("media", ["photo", "sticker", "document"])
async def test_the_young_person_is_told_a_voice_note_works_in_easy_read(bot, client, svc, media):
    joined = await join_as(svc, client, Role.YOUNG_PERSON, 2002)
    await joined.user.tap(START)
    await consent_yes(joined.user)  # now on the first question, a typed one
    await joined.user.send_media(media)
    reask, again = await joined.user.wait_for(2)
    assert "Please type your answer." in reask.plain
    assert "Or send me a voice note." in reask.plain
    assert "can't read" not in reask.plain  # the easy-read words, not the adults'
    assert first_line(questions(Role.YOUNG_PERSON)[0]) in again.plain
    assert not await stored_answers(svc, joined.participant_id)


@pytest.mark.parametrize("media", ["photo", "voice", "document", "contact"])
async def test_media_where_a_button_is_expected(bot, client, svc, media):
    joined, question, _ = await _on_question(svc, client, Role.FAMILY, "listened")
    await joined.user.send_media(media)
    reask, again = await joined.user.wait_for(2)
    assert "Please tap one of the buttons" in reask.plain
    assert again.button_labels[0] == question.options[0].label
    assert question.id not in await stored_answers(svc, joined.participant_id)


async def test_a_voice_note_where_only_typing_works(bot, client, svc):
    joined, question, _ = await _on_question(svc, client, Role.CLINICIAN, "risks", 2003)
    await joined.user.send_media("voice")
    reask, _ = await joined.user.wait_for(2)
    assert "can't read voice notes here" in reask.plain


async def test_typing_on_a_buttons_question(bot, client, svc):
    joined, question, number = await _on_question(svc, client, Role.FAMILY, "risk_now")
    wrong, again = await joined.user.ask("maybe later", count=2)
    assert "use one of the buttons" in wrong.plain
    assert f"{number} of" in again.plain
    [next_question] = await joined.user.ask("No")  # the words on a button work too
    assert f"{number + 1} of" in next_question.plain
    stored = await stored_answers(svc, joined.participant_id)
    assert (stored["risk_now"].kind, stored["risk_now"].value) == ("option", "no")
    await joined.user.ask("skip")
    assert (await stored_answers(svc, joined.participant_id))["safety_worries"].kind == "skip"


async def test_dates_are_checked(bot, client, svc):
    joined, question, number = await _on_question(svc, client, Role.CLINICIAN, "action_due", 2003)
    bad, again = await joined.user.ask("next Tuesday", count=2)
    assert "couldn't read that date" in bad.plain and f"{number} of" in again.plain
    past, _ = await joined.user.ask("01/01/2020", count=2)
    assert "already passed" in past.plain
    await joined.user.ask("2027-02-03")
    stored = await stored_answers(svc, joined.participant_id)
    assert (stored["action_due"].kind, stored["action_due"].value) == ("date", "2027-02-03")


async def test_an_old_button_says_the_question_has_moved_on(bot, client, svc):
    joined = await join_as(svc, client, Role.FAMILY, 2001)
    user = joined.user
    [first] = await user.tap(START)
    await user.ask("Answered by typing, so its buttons stay")
    await user.ask("Second answer")
    await user.press_data(first.message_id, first.find_callback("⏭️ Skip"))
    moved, current = await user.wait_for(2)
    assert "That question has moved on" in moved.plain
    assert "3 of" in current.plain
    stored = await stored_answers(svc, joined.participant_id)
    assert stored["at_best"].value == "Answered by typing, so its buttons stay"
    assert set(stored) == {"at_best", "matters"}


@pytest.mark.parametrize(
    "data", ["pr:a:{other}:at_best:s", "pr:a:x:y", "pr:zz:1", "pr:cs:{other}:share:yes:0"]
)
async def test_forged_buttons_change_nothing(bot, client, svc, data):
    victim = await join_as(svc, client, Role.FAMILY, 2001)
    await victim.user.tap(START)
    mallory = await join_as(svc, client, Role.FAMILY, 2666, review_id=victim.review_id)
    [offer] = [m for m in mallory.greeting if START in m.button_labels]
    await mallory.user.press_data(offer.message_id, data.format(other=victim.participant_id))
    [refused] = await mallory.user.wait_for()
    assert "can't do that" in refused.plain or "older message" in refused.plain
    assert await stored_answers(svc, victim.participant_id) == {}


async def test_typing_at_the_summary_points_to_the_buttons(bot, client, svc):
    joined = await join_as(svc, client, Role.ADVOCATE, 2005)
    await joined.user.tap(START)
    await skip_all(joined.user, len(questions(Role.ADVOCATE)))
    await joined.user.settle()
    replies = await joined.user.ask("is that it?", count=2)
    replies += await joined.user.settle()
    assert "use one of the buttons" in replies[0].plain
    assert "Your answers" in replies[1].plain
