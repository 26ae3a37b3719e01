"""Check and change: the summary, changing one answer, sending, and the papers deadline."""

from __future__ import annotations

import pytest

from cetr_bot.domain import Role
from cetr_bot.services import preparation, preparation_reads
from tests.preparation.helpers import (
    SEND,
    START,
    answer,
    consent_yes,
    join_as,
    progress,
    questions,
    skip_all,
    stored_answers,
)


async def _at_summary(svc, client, role=Role.FAMILY, user_id=2001):
    joined = await join_as(svc, client, role, user_id)
    await joined.user.tap(START)
    return joined


async def test_summary_shows_escaped_answers_and_changes_one(bot, client, svc):
    joined = await _at_summary(svc, client)
    user, asked = joined.user, questions(Role.FAMILY)
    await user.ask("<b>Kind</b> & funny <script>")
    await skip_all(user, len(asked) - 1)
    summary = (await user.messages())[-1]
    assert "1. At their best: <b>Kind</b> & funny <script>" in summary.plain
    assert "&lt;b&gt;Kind&lt;/b&gt; &amp; funny &lt;script&gt;" in (summary.text or "")
    assert "2. What matters most: skipped" in summary.plain
    assert SEND in summary.button_labels

    [again] = await user.tap("✏️ 2. What matters most")
    assert f"2 of {len(asked)}" in again.plain
    assert "Your answer now: skipped" in again.plain
    replies = await user.ask("Being with her brother")
    replies += await user.settle()
    assert "2. What matters most: Being with her brother" in replies[-1].plain
    stored = await stored_answers(svc, joined.participant_id)
    assert stored["matters"].value == "Being with her brother"
    assert stored["matters"].changed_at == svc.now()
    assert not stored["matters"].changed_after_submit


async def test_a_change_after_sending_is_marked(bot, client, svc, clock):
    joined = await _at_summary(svc, client, Role.COMMISSIONER, 2006)
    user, asked = joined.user, questions(Role.COMMISSIONER)
    for question in asked:
        await answer(user, question)
    await user.settle()
    [sent] = await user.tap(SEND)
    assert "sent to the panel" in sent.plain
    submitted_at = svc.now()
    clock.advance(days=2)

    replies = await user.ask("/prepare")
    replies += await user.settle()
    summary = replies[-1]
    assert "These have been sent to the panel" in replies[0].plain
    assert SEND not in summary.button_labels  # already sent
    await user.tap(f"✏️ 1. {asked[0].short}")
    replies = await user.ask("Wants to live near the sea")
    replies += await user.settle()
    assert "marked as changed" in replies[0].plain
    assert f"1. {asked[0].short}: Wants to live near the sea (changed)" in replies[-1].plain
    state = await progress(svc, joined.participant_id)
    assert state is not None
    assert state.submitted_at == submitted_at  # still submitted, and when
    assert state.changed_after_submit_at == svc.now()
    stored = await stored_answers(svc, joined.participant_id)
    assert stored[asked[0].id].changed_after_submit
    assert not stored[asked[1].id].changed_after_submit
    async with svc.db.transaction() as session:
        pack = await preparation_reads.answers_for_panel(svc, session, joined.review_id)
    [commissioner] = pack.participants
    assert commissioner.changed_after_submit
    assert commissioner.lines[0].shown == "Wants to live near the sea"


async def test_no_changes_once_the_papers_have_gone_out(bot, client, svc):
    joined = await _at_summary(svc, client)
    user, asked = joined.user, questions(Role.FAMILY)
    await user.ask("First answer")
    await skip_all(user, len(asked) - 1)
    old_summary = (await user.messages())[-1]
    change_data = old_summary.find_callback("✏️ 1. At their best")
    await user.tap(SEND)
    async with svc.db.transaction() as session:
        await preparation.mark_papers_sent(svc, session, joined.review_id)

    replies = await user.ask("/prepare")
    replies += await user.settle()
    assert "can no longer be changed" in replies[0].plain
    assert replies[-1].button_labels == []
    await user.press_data(old_summary.message_id, change_data)
    replies = await user.wait_for(2)
    assert "panel papers have already gone out" in replies[0].plain
    assert (await stored_answers(svc, joined.participant_id))["at_best"].value == "First answer"


async def test_an_old_change_button_while_changing_another(bot, client, svc):
    joined = await _at_summary(svc, client, Role.SOCIAL_WORKER, 2004)
    user, asked = joined.user, questions(Role.SOCIAL_WORKER)
    await skip_all(user, len(asked))
    summary = (await user.messages())[-1]
    await user.tap(f"✏️ 3. {asked[2].short}", message=summary)
    await user.press_data(summary.message_id, summary.find_callback(f"✏️ 5. {asked[4].short}"))
    moved, current = await user.wait_for(2)
    assert "moved on" in moved.plain
    assert f"3 of {len(asked)}" in current.plain


async def test_a_long_summary_is_split_and_shortened(bot, client, svc):
    joined = await _at_summary(svc, client)
    user, asked = joined.user, questions(Role.FAMILY)
    for number, question in enumerate(asked):
        if question.kind == "text":
            replies = await user.ask(f"{number:02d}" + "x" * 2990)
        else:
            replies = await answer(user, question)
    replies += await user.settle()
    assert "Your answers" in replies[0].plain
    summary = replies
    assert len(summary) >= 2  # more than one message, each inside Telegram's limit
    assert all(len(m.plain) <= 4096 for m in summary)
    assert summary[-1].button_labels[-1] == SEND
    assert "…" in summary[0].plain
    stored = await stored_answers(svc, joined.participant_id)
    assert len(stored["at_best"].value) == 2992  # the whole answer is kept


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.FAMILY, Role.SOCIAL_WORKER])
async def test_adults_summaries_use_their_own_headings(bot, client, svc, role):
    """Professionals and the family read their answers under the adults' headings
    (_shared.toml [adult_areas]), never the young person's "About me"/"My care now"."""
    joined = await _at_summary(svc, client, role)
    await skip_all(joined.user, len(questions(role)))
    text = "\n".join(m.plain for m in await joined.user.messages())
    assert "1. Is the young person safe?" in text
    assert "2. Are they getting good care and treatment?" in text
    for young_persons in ("About me", "My care now", "Am I safe?", "Do I need to be in hospital?"):
        assert young_persons not in text


async def test_the_young_persons_summary_keeps_their_headings(bot, client, svc):
    joined = await join_as(svc, client, Role.YOUNG_PERSON, 2002)
    await joined.user.tap(START)
    await consent_yes(joined.user)
    await skip_all(joined.user, len(questions(Role.YOUNG_PERSON)))
    text = "\n".join(m.plain for m in await joined.user.messages())
    assert "About me" in text and "1. Am I safe?" in text
    assert "Is the young person safe?" not in text
