"""A coordinator sees and changes only their own team's reviews, through the real bot.

Another team's review gets exactly the answer a review that does not exist gets, and
the database (bar the audit log) is the same after every refusal."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from cetr_bot.domain import Role
from cetr_bot.services import actions, invitations, reviews
from cetr_bot.services.context import Actor
from cetr_bot.services.errors import Invalid, NotFound
from cetr_bot.storage.models_preparation import PrepFlag
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI, invite, join
from tests.teams.helpers import NORTH_COORD, SOUTH_COORD, review_in, snapshot, two_teams


async def _held_with_action(svc, review_id: int) -> tuple[int, int]:
    """Hold the review and record an action for a new clinician: (participant, action)."""
    created = await invite(svc, review_id, Role.CLINICIAN)
    await actions.mark_held(svc, CLI, review_id=review_id, held_on=date(2026, 11, 20))
    view = await actions.add_action(
        svc,
        CLI,
        review_id=review_id,
        owner_participant_id=created.participant_id,
        what="Find a community placement",
        due_on=date(2027, 1, 15),
    )
    return created.participant_id, view.id


async def test_lists_show_only_the_teams_reviews(bot, client, svc):
    t = await two_teams(svc)
    default_review = await review_in(svc, "default", "YP-DEFAULT", days=23)
    for user_id, mine, others in (
        (NORTH_COORD, "YP-NORTH", ("YP-SOUTH", "YP-DEFAULT")),
        (SOUTH_COORD, "YP-SOUTH", ("YP-NORTH", "YP-DEFAULT")),
        (COORDINATOR_ID, "YP-DEFAULT", ("YP-NORTH", "YP-SOUTH")),  # COORDINATOR_IDS
    ):
        [listing] = await client.user(user_id).ask("/reviews")
        assert mine in listing.plain, user_id
        assert not any(ref in listing.plain for ref in others), (user_id, listing.plain)
        [pick] = await client.user(user_id).ask("/invite")  # the picker too
        assert len(pick.button_labels) == 1 and mine in pick.button_labels[0]
    cli_list = await reviews.list_upcoming(svc, CLI)  # the operator sees every team's
    assert {r.id for r in cli_list} == {t.north, t.south, default_review}


async def test_another_teams_review_is_no_such_review(bot, client, svc):
    t = await two_teams(svc)
    n = t.north
    north, south = client.user(NORTH_COORD), client.user(SOUTH_COORD)
    [own] = await north.ask(f"/review {n}")
    assert "YP-NORTH" in own.plain  # the review's own team sees it
    [missing] = await south.ask("/review 999")
    before = await snapshot(svc)
    [reply] = await south.ask(f"/review {n}")
    assert reply.plain == missing.plain.replace("999", str(n))
    assert "YP-NORTH" not in reply.plain
    for command in (
        f"/invite {n}",
        f"/invite {n} clinician",
        f"/reschedule {n}",
        f"/cancelreview {n}",
        f"/held {n}",
        f"/addaction {n}",
        f"/pack {n}",
        f"/actions {n}",
        f"/feedback {n}",
        f"/reportsent {n}",
        f"/writefeedback {n}",
        f"/bestinterests {n} they cannot say and it is urgent",
    ):
        [reply] = await south.ask(command)
        assert f"couldn't find review #{n}" in reply.plain, (command, reply.plain)
        assert await snapshot(svc) == before, command
    [anchor] = await south.ask("/review 999")
    for data in (f"rv:{n}", f"inv:{n}", f"inv:{n}:clinician", f"rs:{n}", f"cx:{n}", f"cx:{n}:yes"):
        await south.press_data(anchor.message_id, data)
        [reply] = await south.wait_for()
        assert f"couldn't find review #{n}" in reply.plain, (data, reply.plain)
        assert await snapshot(svc) == before, data
    detail = await reviews.review_detail(svc, CLI, n)
    assert detail.summary.status == "scheduled" and detail.participants == []


async def test_another_teams_actions_and_invitations_are_not_found(bot, client, svc):
    t = await two_teams(svc)
    participant_id, action_id = await _held_with_action(svc, t.north)
    south = client.user(SOUTH_COORD)
    version = (await actions.show_action(svc, CLI, action_id=action_id))[0].version
    before = await snapshot(svc)
    [reply] = await south.ask(f"/action A{action_id}")
    assert f"couldn't find action A{action_id}" in reply.plain
    [reply] = await south.ask(f"/addaction {t.north}")
    assert f"couldn't find review #{t.north}" in reply.plain
    for verb in ("cancel", "change_due", "reassign"):
        await south.press_data(reply.message_id, f"am:{action_id}:{verb}")
        [refused] = await south.wait_for()
        assert f"couldn't find action A{action_id}" in refused.plain, verb
    await south.press_data(reply.message_id, f"ao:{action_id}:d:{version}")  # "done"
    [refused] = await south.wait_for()
    assert f"couldn't find action A{action_id}" in refused.plain
    await south.press_data(reply.message_id, f"ah:p:{participant_id}")  # no flow of theirs
    [refused] = await south.wait_for()
    assert "no longer works" in refused.plain
    with pytest.raises(NotFound) as revoked:  # withdrawing the clinician's invitation
        await invitations.revoke_invitation(svc, Actor(SOUTH_COORD), participant_id=participant_id)
    assert revoked.value.key == "participant_not_found"
    assert await snapshot(svc) == before
    [shown] = await client.user(NORTH_COORD).ask(f"/action A{action_id}")
    assert "Find a community placement" in shown.plain  # still there for its own team
    view, _ = await actions.show_action(svc, CLI, action_id=action_id)
    assert view.status == "open" and view.version == version


async def test_another_teams_flags_cannot_be_read(bot, client, svc):
    t = await two_teams(svc)
    created = await invite(svc, t.north, Role.FAMILY)
    await join(client.user(2001, first_name="Dana"), created.token)
    north, south = client.user(NORTH_COORD), client.user(SOUTH_COORD)
    await north.ask("/start")
    [anchor] = await south.ask("/start")
    await client.user(2001).ask("/concern Staff held down my son again", count=2)
    [alert] = await north.wait_for()
    assert f"Rights concern · review #{t.north}" in alert.plain
    async with svc.db.transaction() as session:
        flag = (await session.scalars(select(PrepFlag))).one()
    assert await south.settle() == []  # the alert went to the review's team only
    before = await snapshot(svc)
    await south.press_data(anchor.message_id, f"pr:rf:{flag.id}")
    [refused] = await south.wait_for()
    assert "couldn't find that" in refused.plain and "held down" not in refused.plain
    [shown] = await south.ask(f"/review {t.north}")
    assert "Rights concern" not in shown.plain
    assert await snapshot(svc) == before
    [detail] = await north.tap("📖 Read it", message=alert)
    assert "Staff held down my son again" in detail.plain


async def test_a_reference_another_team_uses_is_refused(bot, client, svc):
    await two_teams(svc)
    south = client.user(SOUTH_COORD)
    await south.ask("/newreview")
    before = await snapshot(svc)
    refused, again = await south.ask("YP-NORTH", count=2)
    assert "already used by another team" in refused.plain and "What reference" in again.plain
    assert await snapshot(svc) == before
    with pytest.raises(Invalid) as taken:  # the operator cannot merge them either
        await review_in(svc, "south", "YP-NORTH")
    assert taken.value.key == "ref_taken"
    await review_in(svc, "north", "YP-NORTH", days=40)  # its own team may book the next one
