"""With WEB_BASE_URL set, no sensitive content reaches a chat: the pack (24 hours before
and /pack N), /review N, a safeguarding flag, answers read back and feedback each arrive as
a short discreet message with a button to the right page (a Mini App in a private chat).
Everything runs through the sandbox; at the end every message and document it recorded
is searched for the seeded strings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cetr_bot import web_links
from cetr_bot.domain import Role
from cetr_bot.sandbox import Sandbox, SentMessage
from cetr_bot.services import actions
from cetr_bot.web_links import Page
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI, add_review
from tests.pack.helpers import prepare
from tests.policy.helpers import (
    ANSWER,
    CHAIR,
    CONCERN,
    FAMILY,
    FORM,
    HOSPITAL,
    NAME,
    QUESTION,
    REF,
    WEB,
    WRITTEN,
    YP,
    leaks,
)
from tests.preparation.helpers import join_as
from tests.reminders.helpers import tick

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def extra_settings() -> dict[str, object]:
    return {"web_base_url": WEB}


def link_to(message: SentMessage, url: str, *, mini_app: bool = True) -> None:
    """The message opens `url` with one button: a Mini App button in a private chat."""
    assert url in message.links.values(), (message.plain, message.links)
    [label] = [label for label, target in message.links.items() if target == url]
    assert (label in message.web_apps) is mini_app, message.reply_markup
    assert message.document is None
    assert message.protect_content  # even the link is not for forwarding


def with_link(messages: list[SentMessage], url: str) -> SentMessage:
    found = [m for m in messages if url in m.links.values()]
    assert found, [(m.plain, m.links) for m in messages]
    return found[-1]


async def test_sensitive_content_arrives_as_links_and_nowhere_in_a_chat(
    bot, client, svc, sandbox: Sandbox
):
    def page(kind: Page, review_id: int) -> str:
        url = web_links.url(svc.settings, kind, review_id)
        assert url is not None and url.startswith(WEB + "/app/reviews/")
        return url

    coord = client.user(COORDINATOR_ID)
    await coord.ask("/start")
    review_id = await add_review(svc, ref=REF, location=HOSPITAL)
    yp = await join_as(svc, client, Role.YOUNG_PERSON, YP, review_id=review_id, first_name=NAME)
    family = await join_as(svc, client, Role.FAMILY, FAMILY, review_id=review_id)
    chair = await join_as(svc, client, Role.PANEL_CHAIR, CHAIR, review_id=review_id)

    # Answers read back: the summary before "Send" is a link (easy read for the young person).
    await prepare(yp.user, Role.YOUNG_PERSON, text=ANSWER)
    await yp.user.settle()
    summary = with_link(await yp.user.ask("/prepare"), page(Page.ANSWERS, review_id))
    link_to(summary, page(Page.ANSWERS, review_id))
    assert "See my answers" in summary.plain
    await prepare(family.user, Role.FAMILY, text=ANSWER)
    await family.user.settle()
    summary = with_link(await family.user.ask("/prepare"), page(Page.ANSWERS, review_id))
    assert "Read your answers" in summary.plain

    # A safeguarding flag: the coordinator's alert opens the flags page.
    await coord.settle()
    await family.user.ask(f"/concern They hurt me. {CONCERN}", count=2)
    alert = with_link(await coord.wait_for() + await coord.settle(), page(Page.FLAGS, review_id))
    link_to(alert, page(Page.FLAGS, review_id))
    assert f"review #{review_id}" in alert.plain

    # /review N and /pack N.
    [detail] = await coord.ask(f"/review {review_id}")
    link_to(detail, page(Page.REVIEW, review_id))
    assert f"Review #{review_id}" in detail.plain and "Joined: 3 of 3" in detail.plain
    [pack] = await coord.ask(f"/pack {review_id}")
    link_to(pack, page(Page.PACK, review_id))
    [pack] = await chair.user.ask(f"/pack {review_id}")
    link_to(pack, page(Page.PACK, review_id))

    # The scheduled pack, 24 hours before: a link for the coordinator and the panel.
    await chair.user.settle()
    at = (await actions_review_at(svc, review_id)) - timedelta(hours=svc.settings.pack_hours_before)
    await tick(svc, bot, at=at)
    for user in (coord, chair.user):
        got = await user.settle()
        link_to(with_link(got, page(Page.PACK, review_id)), page(Page.PACK, review_id))
        assert not [m for m in got if m.document and m.document["file_name"].endswith(".html")]

    # After the review: the young person's feedback, and feedback written for them.
    await actions.mark_held(svc, CLI, review_id=review_id, held_on=svc.now().date())
    await yp.user.settle()
    [ask] = await yp.user.ask("/feedback")
    ask = await _answer_feedback_form(yp.user, ask)
    [mine] = await coord.ask(f"/feedback {review_id}")
    link_to(mine, page(Page.FEEDBACK, review_id))

    await chair.user.ask(f"/writefeedback {review_id}")
    for kloe in range(3):
        await chair.user.ask(f"{WRITTEN} {kloe}")
    await chair.user.ask(f"{WRITTEN} 3")
    await chair.user.tap("📨 Send to the young person")
    await tick(svc, bot)
    [found] = await yp.user.wait_for()
    link_to(found, page(Page.FEEDBACK, review_id))
    assert "❓ Ask a question" in found.button_labels
    [again] = await yp.user.ask("/myfeedback")
    link_to(again, page(Page.FEEDBACK, review_id))
    await yp.user.tap("❓ Ask a question", message=again)
    await yp.user.ask(QUESTION)
    await coord.settle()
    await tick(svc, bot)
    question = with_link(
        await coord.wait_for() + await coord.settle(), page(Page.FEEDBACK, review_id)
    )
    link_to(question, page(Page.FEEDBACK, review_id))

    # The sweep: nothing seeded reached any chat, in any message or document.
    everywhere = (REF, HOSPITAL, ANSWER, CONCERN, FORM, QUESTION)
    assert not leaks(
        sandbox,
        {
            COORDINATOR_ID: (*everywhere, NAME, WRITTEN),
            FAMILY: (*everywhere, NAME, WRITTEN),
            YP: everywhere,  # greeted by their own first name; the feedback stays online
            CHAIR: (*everywhere, NAME),  # the writer's own typed words and preview stay
        },
    )


async def actions_review_at(svc, review_id: int):
    from cetr_bot.services import reviews

    return (await reviews.review_detail(svc, CLI, review_id)).summary.at


async def _answer_feedback_form(user, ask: SentMessage) -> SentMessage:
    """Three buttons, then the seeded words at the typed question."""
    for label in ("😀 Good", "🤏 A bit", "🤷 Not sure"):
        [ask] = await user.tap(label, message=ask)
    [thanks] = await user.ask(FORM)
    assert "Thank you for telling us" in thanks.plain
    return thanks


# --- the discreet versions of three more messages -----------------------------------------------


async def test_someone_unreachable_is_not_named_and_each_review_opens_its_page(
    bot, client, svc, sandbox: Sandbox
):
    """The coordinator hears that someone in review #N cannot be reached, with the review's
    page (where the blocked person is named) one button away; no name, no reference."""
    from sqlalchemy import select

    from cetr_bot.services import reminders
    from cetr_bot.storage.models import Person

    coord = client.user(COORDINATOR_ID)
    await coord.ask("/start")
    first = await add_review(svc, ref=REF, location=HOSPITAL)
    second = await add_review(svc, ref="ZQ-7732")
    for review_id in (first, second):
        await join_as(svc, client, Role.FAMILY, FAMILY, review_id=review_id, first_name=NAME)
    await coord.settle()
    async with svc.db.transaction() as session:
        person_id = (await session.scalars(select(Person.id))).one()
    assert await reminders.mark_unreachable(svc, person_id)
    await tick(svc, bot)
    notice = with_link(
        await coord.wait_for() + await coord.settle(), page_of(svc, Page.REVIEW, first)
    )
    assert f"Someone in reviews #{first}, #{second} could not be reached" in notice.plain
    for review_id in (first, second):
        link_to(notice, page_of(svc, Page.REVIEW, review_id))
        assert any(label.endswith(f"· #{review_id}") for label in notice.links)
    assert not leaks(sandbox, {COORDINATOR_ID: (NAME, REF, "ZQ-7732", HOSPITAL)})


async def test_changing_an_answer_opens_the_answers_page_instead_of_repeating_it(
    bot, client, svc, sandbox: Sandbox
):
    joined = await join_as(svc, client, Role.FAMILY, FAMILY)
    await prepare(joined.user, Role.FAMILY, text=ANSWER)
    await joined.user.settle()
    shown = await joined.user.ask("/prepare") + await joined.user.settle()
    summary = next(m for m in reversed(shown) if any(b.startswith("✏️ 1.") for b in m.button_labels))
    change = next(label for label in summary.button_labels if label.startswith("✏️ 1."))
    [question] = await joined.user.tap(change, message=summary)
    url = page_of(svc, Page.ANSWERS, joined.review_id)
    link_to(question, url)
    assert "your answer so far is on your answers page" in question.plain
    assert "Your answer now" not in question.plain
    assert "✋ Stop for now" in question.button_labels  # and the answer's own buttons
    # The change itself still works in the chat.
    replies = await joined.user.ask("A new answer")
    replies += await joined.user.settle()
    assert any(url in m.links.values() for m in replies)
    assert not leaks(sandbox, {FAMILY: (ANSWER,)})


async def test_cancelreview_names_the_review_by_number_only(bot, client, svc, sandbox: Sandbox):
    review_id = await add_review(svc, ref=REF, location=HOSPITAL)
    coord = client.user(COORDINATOR_ID)
    [confirm] = await coord.ask(f"/cancelreview {review_id}")
    assert f"Cancel review #{review_id} on" in confirm.plain
    [done] = await coord.tap("Yes, cancel this review")
    assert "is cancelled" in done.plain
    assert not leaks(sandbox, {COORDINATOR_ID: (REF, HOSPITAL)})


async def test_review_lists_and_pickers_show_numbers_not_references(
    bot, client, svc, sandbox: Sandbox
):
    review_id = await add_review(svc, ref=REF, location=HOSPITAL)
    coord = client.user(COORDINATOR_ID)
    [listed] = await coord.ask("/reviews")
    assert f"#{review_id}" in listed.plain
    [picker] = await coord.ask("/cancelreview")
    assert any(label.startswith(f"#{review_id} · ") for label in picker.button_labels)
    [picker] = await coord.ask("/invite")
    assert not leaks(sandbox, {COORDINATOR_ID: (REF, HOSPITAL)})


def page_of(svc, kind: Page, review_id: int) -> str:
    url = web_links.url(svc.settings, kind, review_id)
    assert url is not None
    return url
