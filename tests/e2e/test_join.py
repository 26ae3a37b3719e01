"""Joining by deep link: greetings per role, and every way a link can be wrong."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from cetr_bot.domain import Role
from cetr_bot.services import invitations, reviews
from cetr_bot.storage.models import Invitation, Person
from tests.helpers import CLI, add_review, invite, join


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.YOUNG_PERSON, "There is a meeting about you."),
        (Role.FAMILY, "Your views matter as much as anyone's"),
        (Role.CLINICIAN, "four key lines of enquiry"),
        (Role.PANEL_CHAIR, "thank you for joining the panel"),
        (Role.SOCIAL_WORKER, "Please confirm whether you can attend"),
    ],
)
async def test_greeting_suits_the_role(bot, client, svc, role, expected):
    review_id = await add_review(svc)
    created = await invite(svc, review_id, role)
    greeting = (await join(client.user(2001, first_name="Alex"), created.token))[0]
    assert expected in greeting.plain
    assert "Hi Alex" in greeting.plain or "Hello Alex" in greeting.plain
    assert "Monday 14 December 2026 at 09:00" in greeting.plain


async def test_greeting_is_discreet(bot, client, svc):
    review_id = await add_review(svc, ref="YP-SECRET", location="St Elsewhere Hospital, Ward 3")
    created = await invite(svc, review_id, Role.FAMILY)
    greeting = (await join(client.user(2001), created.token))[0]
    assert "YP-SECRET" not in greeting.plain
    assert "Hospital" not in greeting.plain and "Ward" not in greeting.plain


async def test_young_person_greeting_is_easy_read(bot, client, svc):
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.YOUNG_PERSON)
    greeting = (await join(client.user(2002), created.token))[0]
    lines = [line for line in greeting.plain.splitlines() if line.strip()]
    assert max(len(line.split()) for line in lines) <= 12  # one short idea per line


async def test_a_link_works_once(bot, client, svc):
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.FAMILY)
    await join(client.user(2001), created.token)
    [again] = await client.user(2001).ask(f"/start {created.token}")
    assert "already joined" in again.plain
    [other] = await client.user(2009).ask(f"/start {created.token}")
    assert "already been used" in other.plain
    detail = await reviews.review_detail(svc, CLI, review_id)
    assert [p.joined for p in detail.participants] == [True]


async def test_expired_link_changes_nothing(bot, client, svc, clock):
    review_id = await add_review(svc, at=svc.now() + timedelta(days=60))
    created = await invite(svc, review_id, Role.FAMILY)
    clock.advance(days=30, seconds=1)
    [reply] = await client.user(2001).ask(f"/start {created.token}")
    assert "expired" in reply.plain
    detail = await reviews.review_detail(svc, CLI, review_id)
    assert [p.joined for p in detail.participants] == [False]


async def test_revoked_link_changes_nothing(bot, client, svc):
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.FAMILY)
    await invitations.revoke_invitation(svc, CLI, participant_id=created.participant_id)
    [reply] = await client.user(2001).ask(f"/start {created.token}")
    assert "withdrawn" in reply.plain
    detail = await reviews.review_detail(svc, CLI, review_id)
    assert detail.participants == []


async def test_unknown_and_malformed_tokens(bot, client, database):
    user = client.user(2001)
    for token in ("A" * 32, "short", "<script>", "x" * 64):
        [reply] = await user.ask(f"/start {token}")
        assert "don't recognise that invitation link" in reply.plain
    async with database.transaction() as session:
        assert (await session.scalars(select(Person))).all() == []


async def test_repeated_bad_tokens_are_throttled(bot, client, svc, clock):
    review_id = await add_review(svc)
    good = await invite(svc, review_id, Role.FAMILY)
    user = client.user(2001)
    for n in range(svc.settings.bad_token_limit):
        await user.ask(f"/start {'B' * 31}{n}")
    [reply] = await user.ask(f"/start {good.token}")
    assert "wait a little while" in reply.plain
    assert not (await reviews.review_detail(svc, CLI, review_id)).participants[0].joined
    clock.advance(minutes=svc.settings.bad_token_window_minutes, seconds=1)
    reply = (await join(user, good.token))[0]
    assert "thank you for joining" in reply.plain.lower()
    # Another user is not held back by someone else's guessing.


async def test_only_the_token_hash_is_stored(bot, client, svc, database):
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.FAMILY)
    async with database.transaction() as session:
        stored = (await session.scalars(select(Invitation))).one()
    assert created.token not in stored.token_hash
    assert stored.token_hash == invitations.hash_token(created.token)
    assert len(created.token) >= 22  # ≥ 128 bits in URL-safe base64


async def test_start_without_token_and_help_explain_the_bot(bot, client, svc):
    [welcome] = await client.user(2001).ask("/start")
    assert "Care, Education and Treatment Review" in welcome.plain
    assert "open the invitation link" in welcome.plain
    [help_] = await client.user(2001).ask("/help")
    assert "/newreview" not in help_.plain
    review_id = await add_review(svc)
    created = await invite(svc, review_id, Role.FAMILY)
    await join(client.user(2001), created.token)
    [welcome] = await client.user(2001).ask("/start")
    assert "a review on Monday 14 December 2026 at 09:00 (Family member or carer)" in welcome.plain


async def test_unexpected_input_gets_a_pointer_to_help(bot, client):
    user = client.user(2001)
    [reply] = await user.ask("hello?")
    assert "/help" in reply.plain
    [reply] = await user.ask("/frobnicate")
    assert "don't know that command" in reply.plain
    await user.send_media("photo")
    [reply] = await user.wait_for()
    assert "/help" in reply.plain
