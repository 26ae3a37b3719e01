"""Notifications about a review reach its own team's coordinators, and no one else's."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from cetr_bot.domain import ReminderKind, Role
from cetr_bot.scheduling.planner import COORDINATOR_KINDS
from cetr_bot.services import reminders, teams
from cetr_bot.storage.models import Person
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI, invite, join
from tests.reminders.helpers import notices_done, rows, tick
from tests.teams.helpers import NORTH_COORD, SOUTH_COORD, two_teams

DAY_14 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # 14 days before the north review
SECOND_NORTH = 4003


async def test_alerts_and_unreachable_notice_go_to_the_reviews_team_only(bot, client, svc):
    t = await two_teams(svc)
    await teams.add_coordinator(svc, CLI, telegram_user_id=SECOND_NORTH, team="north")
    created = await invite(svc, t.north, Role.FAMILY)
    parent = client.user(2001, first_name="Dana")
    await join(parent, created.token)
    await notices_done(svc)  # the "someone joined" notices are not what this test counts
    north = [client.user(NORTH_COORD), client.user(SECOND_NORTH)]
    others = [client.user(SOUTH_COORD), client.user(COORDINATOR_ID)]
    for user in north + others:
        await user.ask("/start")

    await parent.ask("/concern Staff held down my son again", count=2)
    for user in north:
        [alert] = await user.wait_for()
        assert f"Rights concern · review #{t.north}" in alert.plain
    for user in others:
        assert await user.settle() == [], user.user_id

    await client.set_faults(blocked_chats=[2001])
    assert (await tick(svc, bot, at=DAY_14)).blocked == 1
    await tick(svc, bot)
    for user in north:
        [notice] = await user.wait_for()
        assert "Dana has blocked the bot" in notice.plain
    for user in others:
        assert await user.settle() == [], user.user_id

    planned = [r for r in await rows(svc) if r.kind in COORDINATOR_KINDS]
    for review_id, team in ((t.north, {NORTH_COORD, SECOND_NORTH}), (t.south, {SOUTH_COORD})):
        chats = {r.chat_id for r in planned if r.review_id == review_id}
        assert chats == team, (review_id, chats)  # summaries, booking the next one...


async def test_someone_in_two_teams_reviews_is_reported_to_both(bot, client, svc):
    t = await two_teams(svc)
    coordinators = {uid: client.user(uid) for uid in (NORTH_COORD, SOUTH_COORD)}
    for user in coordinators.values():
        await user.ask("/start")
    parent = client.user(2001, first_name="Dana")
    for review_id in (t.north, t.south):
        await join(parent, (await invite(svc, review_id, Role.FAMILY)).token)
    await notices_done(svc)  # the "someone joined" notices are not what this test counts
    async with svc.db.transaction() as session:
        person_id = (await session.scalars(select(Person.id))).one()
    assert await reminders.mark_unreachable(svc, person_id)
    notices = await rows(svc, kind=ReminderKind.COORD_UNREACHABLE)
    assert sorted(r.chat_id for r in notices) == [NORTH_COORD, SOUTH_COORD]
    await tick(svc, bot)
    for user_id, mine, theirs in ((NORTH_COORD, t.north, t.south), (SOUTH_COORD, t.south, t.north)):
        [notice] = await coordinators[user_id].wait_for()
        assert "Dana has blocked the bot" in notice.plain
        assert f"Review #{mine} " in notice.plain and f"Review #{theirs} " not in notice.plain
