"""/reviews, /review, /invite, /reschedule, /cancelreview and who may use them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from cetr_bot.domain import ReviewStatus, Role
from cetr_bot.services import reviews
from cetr_bot.storage.models import AuditEvent, Invitation
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI, add_review, invite, join, token_in

OUTSIDER = 3001


async def test_reviews_lists_upcoming_with_a_status_line(bot, client, svc):
    first = await add_review(svc, ref="YP-A", at=svc.now() + timedelta(days=10))
    await add_review(svc, ref="YP-B", at=svc.now() + timedelta(days=5))
    cancelled = await add_review(svc, ref="YP-C")
    await reviews.cancel_review(svc, CLI, review_id=cancelled)
    await invite(svc, first, Role.FAMILY)
    [reply] = await client.user(COORDINATOR_ID).ask("/reviews")
    lines = [line for line in reply.plain.splitlines() if line.startswith("#")]
    assert [line.split(" · ")[1] for line in lines] == ["YP-B", "YP-A"]
    assert "0 of 1 joined" in lines[1] and "missing 5 required" in lines[1]
    assert "YP-C" not in reply.plain
    assert "nobody invited yet" in lines[0] and " of 0 " not in lines[0]  # YP-B: no invite


async def test_review_shows_invited_joined_and_missing_roles(bot, client, svc):
    review_id = await add_review(svc)
    clinician = await invite(svc, review_id, Role.CLINICIAN)
    await invite(svc, review_id, Role.FAMILY)
    await join(client.user(2003, first_name="Dr Lee"), clinician.token)
    [reply] = await client.user(COORDINATOR_ID).ask(f"/review {review_id}")
    text = reply.plain
    assert "Responsible clinician or senior nurse: ✅ joined (Dr Lee)" in text
    assert "Family member or carer: ⏳ invited, not joined yet" in text
    missing = text.split("Required roles not joined yet")[1].split("\n\n")[0]
    assert "Commissioner" in missing and "Panel chair" in missing
    assert "Responsible clinician" not in missing
    assert "NHS England" in text


async def test_review_of_unknown_number_is_a_kind_answer(bot, client):
    [reply] = await client.user(COORDINATOR_ID).ask("/review 99")
    assert "couldn't find review #99" in reply.plain
    [reply] = await client.user(COORDINATOR_ID).ask("/review abc")
    assert "Which review" in reply.plain or "no upcoming reviews" in reply.plain


async def test_user_text_is_escaped_when_shown_again(bot, client, svc):
    review_id = await add_review(svc, location="<script>alert(1)</script> & <b>Ward</b>")
    [reply] = await client.user(COORDINATOR_ID).ask(f"/review {review_id}")
    assert "&lt;script&gt;" in reply.text
    assert "<script>alert(1)</script> & <b>Ward</b>" in reply.plain


async def test_invite_with_buttons_gives_a_working_link(bot, client, svc):
    review_id = await add_review(svc)
    coord = client.user(COORDINATOR_ID)
    [pick] = await coord.ask("/invite")
    assert len(pick.button_labels) == 1 and pick.button_labels[0].startswith(f"#{review_id} ·")
    [roles] = await coord.tap(pick.button_labels[0])
    assert "Young person" in roles.button_labels and len(roles.button_labels) == len(Role)
    [created] = await coord.tap("Young person")
    token = token_in(created.plain)
    assert "https://t.me/cetr_sandbox_bot?start=" in created.plain
    assert 32 <= len(token) <= 64
    welcome = (await join(client.user(2002, first_name="Sam"), token))[0]
    assert "There is a meeting about you" in welcome.plain
    detail = await reviews.review_detail(svc, CLI, review_id)
    assert [(p.role, p.joined) for p in detail.participants] == [(Role.YOUNG_PERSON, True)]


async def test_invite_by_arguments(bot, client, svc):
    review_id = await add_review(svc)
    [created] = await client.user(COORDINATOR_ID).ask(f"/invite {review_id} social-worker")
    assert "social worker" in created.plain
    token_in(created.plain)


async def test_reschedule_moves_the_review(bot, client, svc):
    review_id = await add_review(svc)
    coord = client.user(COORDINATOR_ID)
    [pick] = await coord.ask("/reschedule")
    [ask] = await coord.tap(pick.button_labels[0])
    assert "new date and time" in ask.plain
    replies = await coord.ask("not a date")
    assert "couldn't read that date and time" in replies[0].plain
    [reply] = await coord.ask("01/11/2026 10:00")
    assert "already passed" in reply.plain
    [done] = await coord.ask("15/12/2026 14:30")
    assert "moved to Tuesday 15 December 2026 at 14:30" in done.plain
    detail = await reviews.review_detail(svc, CLI, review_id)
    assert detail.summary.at == datetime(2026, 12, 15, 14, 30, tzinfo=UTC)


async def test_cancelreview_asks_first_and_stops_links(bot, client, svc, database):
    review_id = await add_review(svc)
    family = await invite(svc, review_id, Role.FAMILY)
    coord = client.user(COORDINATOR_ID)
    [confirm] = await coord.ask(f"/cancelreview {review_id}")
    [kept] = await coord.tap("No, keep it")
    assert "stays" in kept.plain
    [confirm] = await coord.ask(f"/cancelreview {review_id}")
    [done] = await coord.tap("Yes, cancel this review")
    assert "is cancelled" in done.plain
    detail = await reviews.review_detail(svc, CLI, review_id)
    assert detail.summary.status is ReviewStatus.CANCELLED
    [reply] = await client.user(2001).ask(f"/start {family.token}")
    assert "no longer going ahead" in reply.plain
    [reply] = await coord.ask(f"/cancelreview {review_id}")
    assert "cancelled, so it can't be changed" in reply.plain


@pytest.mark.parametrize(
    "command",
    [
        "/newreview",
        "/reviews",
        "/review 1",
        "/invite",
        "/invite 1 family",
        "/reschedule 1",
        "/cancelreview 1",
    ],
)
async def test_only_coordinators_may_coordinate(bot, client, svc, command):
    await add_review(svc)
    [reply] = await client.user(OUTSIDER).ask(command)
    assert "only a review coordinator" in reply.plain
    detail = await reviews.review_detail(svc, CLI, 1)
    assert detail.summary.status is ReviewStatus.SCHEDULED and detail.participants == []


async def test_forged_buttons_from_outsiders_change_nothing(bot, client, svc, database):
    review_id = await add_review(svc)
    [sent] = await client.user(OUTSIDER).ask("/help")
    outsider = client.user(OUTSIDER)
    for data in (f"cx:{review_id}:yes", f"inv:{review_id}:family", "nr:type:community"):
        await outsider.press_data(sent.message_id, data)
        [reply] = await outsider.wait_for(count=1)
        assert "only a review coordinator" in reply.plain
    detail = await reviews.review_detail(svc, CLI, review_id)
    assert detail.summary.status is ReviewStatus.SCHEDULED and detail.participants == []
    async with database.transaction() as session:
        kinds = (await session.scalars(select(AuditEvent.kind))).all()
        invites = (await session.scalars(select(Invitation))).all()
    assert kinds.count("refused_button") == 3 and invites == []


async def test_malformed_button_data_is_refused_kindly(bot, client, svc):
    coord = client.user(COORDINATOR_ID)
    [sent] = await coord.ask("/help")
    for data in ("cx:abc", "zz:1", "inv:1:wizard", "cx:1:maybe"):
        await coord.press_data(sent.message_id, data)
        [reply] = await coord.wait_for(count=1)
        assert "no longer works" in reply.plain


async def test_command_menus_are_set_per_audience(bot, sandbox, client):
    # Telegram only accepts a chat-scoped menu once the user has opened the chat.
    await client.user(COORDINATOR_ID).ask("/start")
    commands = await client.commands()
    everyone = {c["command"] for c in commands["all_private_chats"]}
    coordinator = {c["command"] for c in commands[f"chat:{COORDINATOR_ID}"]}
    coordinating = {"newreview", "reviews", "review", "invite", "reschedule", "cancelreview"}
    assert {"start", "help", "cancel", "myactions"} <= everyone
    assert not coordinating & everyone
    assert coordinating | everyone <= coordinator
