"""Every role's bank, walked through the real bot over the sandbox; position from the
database (restart, stop and resume, other commands in between)."""

from __future__ import annotations

import pytest

from cetr_bot.domain import ReviewType, Role
from cetr_bot.runner import BotRunner
from cetr_bot.services import preparation, preparation_reads
from tests.helpers import CLI
from tests.preparation.helpers import (
    SEND,
    START,
    STOP,
    answer,
    consent_yes,
    first_line,
    join_as,
    progress,
    questions,
    stored_answers,
)

IN, CO, PA = ReviewType.INPATIENT, ReviewType.COMMUNITY, ReviewType.POST_ADMISSION
EVERY_BANK = [
    (Role.YOUNG_PERSON, IN),
    (Role.YOUNG_PERSON, CO),
    (Role.YOUNG_PERSON, PA),
    (Role.FAMILY, IN),
    (Role.FAMILY, CO),
    (Role.FAMILY, PA),
    (Role.CLINICIAN, IN),
    (Role.CLINICIAN, CO),
    (Role.CLINICIAN, PA),
    (Role.SOCIAL_WORKER, IN),
    (Role.SOCIAL_WORKER, CO),
    (Role.SCHOOL, IN),
    (Role.SEND_KEY_WORKER, CO),
    (Role.VIRTUAL_SCHOOL, PA),
    (Role.COMMISSIONER, IN),
    (Role.COMMISSIONER, CO),
    (Role.ADVOCATE, IN),
    (Role.YOUTH_OFFENDING_TEAM, CO),
    (Role.TRANSITIONS, PA),
]


@pytest.mark.parametrize(("role", "review_type"), EVERY_BANK, ids=lambda v: str(v))
async def test_a_whole_bank_is_walked_and_sent(bot, client, svc, role, review_type):
    joined = await join_as(svc, client, role, 2001, review_type=review_type)
    offer = joined.greeting[-1]
    assert offer.button_labels == [START, "⏰ Later"]
    user = joined.user
    replies = await user.tap(START)
    if role is Role.YOUNG_PERSON:
        assert "Can the panel see your answers?" in replies[-1].plain
        replies = await consent_yes(user)
    asked = questions(role, review_type)
    for number, question in enumerate(asked, 1):
        shown = replies[-1]
        assert f"{number} of {len(asked)}" in shown.plain
        assert first_line(question) in shown.plain
        assert STOP in shown.button_labels and "⏭️ Skip" in shown.button_labels
        replies = await answer(user, question)
    replies += await user.settle()
    assert "Your answers" in replies[0].plain
    [done] = await user.tap(SEND)
    assert "Thank you" in done.plain

    stored = await stored_answers(svc, joined.participant_id)
    assert set(stored) == {q.id for q in asked}
    for question in asked:
        kind = stored[question.id].kind
        expected = {"buttons": "option", "yes_no": "option", "scale": "option"}
        assert kind == expected.get(question.kind, question.kind), question.id
    voice = [q for q in asked if q.kind == "voice"]
    for question in voice:
        assert stored[question.id].value  # the voice note's Telegram file id
    state = await progress(svc, joined.participant_id)
    assert state is not None and state.submitted_at == svc.now()


async def test_panel_members_are_not_offered_questions(bot, client, svc):
    joined = await join_as(svc, client, Role.PANEL_CHAIR, 2001)
    assert all(START not in m.button_labels for m in joined.greeting)
    [reply] = await joined.user.ask("/prepare")
    assert "not part of a review" in reply.plain


async def test_someone_outside_any_review_gets_help_and_no_data(bot, client, svc):
    await join_as(svc, client, Role.FAMILY, 2001)
    stranger = client.user(2999)
    [reply] = await stranger.ask("/prepare")
    assert "not part of a review" in reply.plain and "invitation link" in reply.plain
    [reply] = await stranger.ask("/consent")
    assert "Only the young person" in reply.plain
    [reply] = await stranger.ask("Is anyone there?")
    assert "/help" in reply.plain


async def test_a_restarted_bot_carries_on_at_the_right_question(bot, client, svc):
    joined = await join_as(svc, client, Role.FAMILY, 2001)
    user = joined.user
    asked = questions(Role.FAMILY)
    assert asked[5].kind == "text"
    await user.tap(START)
    for question in asked[:5]:
        await answer(user, question)
    await bot.stop()
    second = BotRunner(svc, poll_timeout=1)
    await second.start()
    try:
        # No /prepare: the very next message is the answer to question 6.
        [reply] = await user.ask("Six, typed after the restart")
        assert f"7 of {len(asked)}" in reply.plain
        assert first_line(asked[6]) in reply.plain
    finally:
        await second.stop()
    stored = await stored_answers(svc, joined.participant_id)
    assert stored[asked[5].id].value == "Six, typed after the restart"
    assert len(stored) == 6


async def test_stop_for_now_then_prepare_resumes(bot, client, svc):
    joined = await join_as(svc, client, Role.CLINICIAN, 2003)
    user = joined.user
    asked = questions(Role.CLINICIAN)
    await user.tap(START)
    await answer(user, asked[0])
    [stopped] = await user.tap(STOP)
    assert "Every answer so far is saved" in stopped.plain
    # While stopped, typing is not taken as an answer.
    [hint] = await user.ask("random words")
    assert "/prepare" in hint.plain
    assert set(await stored_answers(svc, joined.participant_id)) == {asked[0].id}
    [again] = await user.ask("/prepare")
    assert f"2 of {len(asked)}" in again.plain and first_line(asked[1]) in again.plain
    detail = await preparation.current_screen(svc, _actor(2003), joined.participant_id)
    assert detail.kind == "question"


async def test_cancel_stops_for_now_like_the_button(bot, client, svc):
    """/cancel in the middle of the questions is "Stop for now": the same message, the
    answers kept, and /prepare carries on from them."""
    joined = await join_as(svc, client, Role.FAMILY, 2001)
    user = joined.user
    asked = questions(Role.FAMILY)
    await user.tap(START)
    await answer(user, asked[0])
    [stopped] = await user.ask("/cancel")
    assert "Stopped for now. Every answer so far is saved." in stopped.plain
    assert "nothing to stop" not in stopped.plain
    row = await progress(svc, joined.participant_id)
    assert row is not None and row.active is False
    [hint] = await user.ask("random words")  # no longer taken as an answer
    assert "/prepare" in hint.plain
    assert set(await stored_answers(svc, joined.participant_id)) == {asked[0].id}
    [nothing] = await user.ask("/cancel")  # stopped already: nothing left to stop
    assert "There was nothing to stop." in nothing.plain
    [again] = await user.ask("/prepare")
    assert f"2 of {len(asked)}" in again.plain and first_line(asked[1]) in again.plain


async def test_cancel_stops_the_young_persons_questions_in_easy_read(bot, client, svc):
    joined = await join_as(svc, client, Role.YOUNG_PERSON, 2002)
    await joined.user.tap(START)
    await consent_yes(joined.user)
    [stopped] = await joined.user.ask("/cancel")
    assert "OK, we will stop here." in stopped.plain and "/prepare" in stopped.plain


async def test_another_command_in_the_middle_and_back(bot, client, svc):
    joined = await join_as(svc, client, Role.FAMILY, 2001)
    user = joined.user
    asked = questions(Role.FAMILY)
    await user.tap(START)
    await answer(user, asked[0])
    [help_] = await user.ask("/help")
    assert "What I do" in help_.plain
    [reply] = await user.ask("What matters, after /help")
    assert f"3 of {len(asked)}" in reply.plain
    stored = await stored_answers(svc, joined.participant_id)
    assert stored[asked[1].id].value == "What matters, after /help"


async def test_later_then_prepare_starts_at_the_beginning(bot, client, svc):
    joined = await join_as(svc, client, Role.SOCIAL_WORKER, 2004)
    [later] = await joined.user.tap("⏰ Later")
    assert "/prepare" in later.plain
    state = await progress(svc, joined.participant_id)
    assert state is None  # not started: nothing was written
    [first] = await joined.user.ask("/prepare")
    assert "1 of" in first.plain


async def test_several_reviews_ask_which_one(bot, client, svc):
    first = await join_as(svc, client, Role.ADVOCATE, 2005)
    second = await join_as(svc, client, Role.ADVOCATE, 2005, review_type=ReviewType.COMMUNITY)
    user = first.user
    [pick] = await user.ask("/prepare")
    assert "more than one review" in pick.plain
    assert len(pick.button_labels) == 2
    [asked] = await user.tap(pick.button_labels[1])
    assert "1 of" in asked.plain
    await user.ask("Typed for the second review")
    assert await stored_answers(svc, first.participant_id) == {}
    assert len(await stored_answers(svc, second.participant_id)) == 1


async def test_coordinator_sees_progress_per_participant(bot, client, svc):
    young = await join_as(svc, client, Role.YOUNG_PERSON, 2002, first_name="Sam")
    family = await join_as(svc, client, Role.FAMILY, 2001, review_id=young.review_id)
    clinician = await join_as(svc, client, Role.CLINICIAN, 2003, review_id=young.review_id)
    await join_as(svc, client, Role.PANEL_CHAIR, 2009, review_id=young.review_id)
    await family.user.tap(START)
    await answer(family.user, questions(Role.FAMILY)[0])
    await clinician.user.tap(START)
    for question in questions(Role.CLINICIAN):
        await answer(clinician.user, question)
    await clinician.user.settle()
    await clinician.user.tap(SEND)
    statuses = await _statuses(svc, young.review_id)
    assert statuses == {
        young.participant_id: "not_started",
        family.participant_id: "in_progress",
        clinician.participant_id: "submitted",
    }
    coordinator = client.user(1001)
    [shown] = await coordinator.ask(f"/review {young.review_id}")
    section = shown.plain.split("Preparation", 1)[1]
    assert "Young person (Sam): ⏳ not started" in section
    assert "Family member or carer (Test): ✏️ in progress" in section
    assert "Responsible clinician or senior nurse (Test): ✅ submitted" in section
    assert "Panel chair" not in section.split("Consent")[0]


def _actor(user_id: int):
    from cetr_bot.services.context import Actor

    return Actor(user_id, user_id)


async def _statuses(svc, review_id: int) -> dict[int, str]:
    async with svc.db.transaction() as session:
        return await preparation_reads.progress_for_review(svc, session, review_id)


assert CLI  # the command-line actor is used by the helpers that set reviews up
