"""Administrators manage teams, coordinators and other administrators in the bot."""

from __future__ import annotations

from sqlalchemy import select

from cetr_bot.services import reviews
from cetr_bot.storage.models import AuditEvent, Review
from cetr_bot.storage.models_teams import Team
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI
from tests.reminders.helpers import pending
from tests.teams.helpers import ADMIN_ID, NORTH_COORD, snapshot, two_teams

NEW_COORD, NEW_ADMIN, STRANGER = 4101, 4950, 2999
REFUSED = "only an administrator can do that"


async def _walk_new_review(user, ref: str) -> str:
    """Answer the /newreview questions after the reference; the last reply's text."""
    await user.ask(ref)
    await user.tap("Inpatient")
    await user.tap("Skip")  # date of birth
    await user.tap("Skip")  # admitted
    await user.ask("14/12/2026 10:00")
    [confirm] = await user.tap("Skip")  # where
    [done] = await user.tap("✅ Create the review")
    return confirm.plain + "\n" + done.plain


async def _team_of(svc, review_id: int) -> str:
    async with svc.db.transaction() as session:
        review = await session.get_one(Review, review_id)
        return (await session.get_one(Team, review.team_id)).name


async def test_admin_sets_up_a_team_whose_coordinator_then_works_in_it(bot, client, svc):
    admin = client.user(ADMIN_ID)
    [added] = await admin.ask("/team add north")
    assert "Team north is set up" in added.plain
    [added] = await admin.ask(f"/coordinator add {NEW_COORD} north")
    assert f"{NEW_COORD} is now a coordinator in north" in added.plain
    [listing] = await admin.ask("/team list")
    assert "north · 0 reviews · coordinators: 4101" in listing.plain
    assert f"default · 0 reviews · coordinators: {COORDINATOR_ID}" in listing.plain

    newcomer = client.user(NEW_COORD)
    await newcomer.ask("/start")
    menu = {c["command"] for c in (await client.commands())[f"chat:{NEW_COORD}"]}
    assert {"newreview", "reviews", "invite"} <= menu and "team" not in menu
    [ask] = await newcomer.ask("/newreview")
    assert "What reference" in ask.plain  # one team: no question about it
    assert "Review #1 is set up" in await _walk_new_review(newcomer, "YP-N1")
    assert await _team_of(svc, 1) == "north"
    [listing] = await client.user(COORDINATOR_ID).ask("/reviews")
    assert "YP-N1" not in listing.plain  # the default team does not see it

    assert await pending(svc, chat_id=NEW_COORD)  # e.g. the "who is missing" summaries
    [removed] = await admin.ask(f"/coordinator remove {NEW_COORD}")
    assert f"{NEW_COORD} is no longer a coordinator" in removed.plain
    assert await pending(svc, chat_id=NEW_COORD) == []  # nothing more reaches them
    [refused] = await newcomer.ask("/reviews")
    assert "only a review coordinator" in refused.plain
    async with svc.db.transaction() as session:
        kinds = [e.kind for e in await session.scalars(select(AuditEvent))]
    assert {"team_added", "coordinator_added", "coordinator_removed"} <= set(kinds)


async def test_a_coordinator_in_two_teams_chooses_with_buttons(bot, client, svc):
    admin = client.user(ADMIN_ID)
    for command in (
        "/team add north",
        "/team add south",
        f"/coordinator add {NEW_COORD} north",
        f"/coordinator add {NEW_COORD} south",
    ):
        await admin.ask(command)
    coord = client.user(NEW_COORD)
    [ask] = await coord.ask("/newreview")
    assert "Which team" in ask.plain and ask.button_labels == ["north", "south"]
    wrong, again = await coord.ask("east", count=2)
    assert "buttons" in wrong.plain and again.button_labels == ["north", "south"]
    [ask] = await coord.tap("south")
    assert "What reference" in ask.plain
    text = await _walk_new_review(coord, "YP-S1")
    assert "Team: south" in text and "Review #1 is set up" in text
    assert await _team_of(svc, 1) == "south"
    [removed] = await admin.ask(f"/coordinator remove {NEW_COORD} south")
    assert "no longer a coordinator in south" in removed.plain
    [refused] = await coord.ask("/review 1")
    assert "couldn't find review #1" in refused.plain


async def test_non_admins_are_refused_and_nothing_changes(bot, client, svc):
    await two_teams(svc)
    before = await snapshot(svc)
    for user_id in (COORDINATOR_ID, NORTH_COORD, STRANGER):
        user = client.user(user_id)
        for command in (
            "/team add east",
            "/team list",
            f"/coordinator add {user_id} north",
            f"/coordinator remove {NORTH_COORD}",
            f"/admin add {user_id}",
            f"/admin remove {ADMIN_ID}",
        ):
            [reply] = await user.ask(command)
            assert REFUSED in reply.plain, (user_id, command)
    assert await snapshot(svc) == before
    async with svc.db.transaction() as session:
        refusals = await session.scalars(
            select(AuditEvent).where(AuditEvent.kind == "admin_refused")
        )
        assert len(refusals.all()) == 18


async def test_bad_arguments_get_a_kind_answer_and_change_nothing(bot, client, svc):
    await two_teams(svc)
    admin = client.user(ADMIN_ID)
    before = await snapshot(svc)
    for command, expected in (
        ("/team", "/team add NAME"),
        ("/team add", "/team add NAME"),
        ("/team remove north", "/team add NAME"),
        ("/team add north", "already a team called north"),
        ("/team add NORTH", "already a team called NORTH"),
        ("/team add <b>x</b>", "A team name is one word"),
        ("/coordinator", "/coordinator add TELEGRAM_ID TEAM"),
        ("/coordinator add 4101", "/coordinator add TELEGRAM_ID TEAM"),
        ("/coordinator add abc north", "doesn't look like a Telegram user id"),
        ("/coordinator add -5 north", "doesn't look like a Telegram user id"),
        ("/coordinator add 99999999999999999999 north", "doesn't look like a Telegram user id"),
        ("/coordinator add 4101 east", "couldn't find a team called east"),
        (f"/coordinator add {NORTH_COORD} north", "already a coordinator in north"),
        ("/coordinator remove 4101", "not a coordinator there"),
        ("/admin", "/admin add TELEGRAM_ID"),
        ("/admin add", "/admin add TELEGRAM_ID"),
        (f"/admin add {ADMIN_ID}", "already an administrator"),
        ("/admin remove 4101", "not an administrator"),
    ):
        [reply] = await admin.ask(command)
        assert expected in reply.plain, (command, reply.plain)
        assert await snapshot(svc) == before, command


async def test_admins_added_at_run_time_manage_but_see_no_review(bot, client, svc):
    t = await two_teams(svc)
    admin, helper = client.user(ADMIN_ID), client.user(NEW_ADMIN)
    [added] = await admin.ask(f"/admin add {NEW_ADMIN}")
    assert f"{NEW_ADMIN} is now an administrator" in added.plain
    await helper.ask("/start")
    menu = {c["command"] for c in (await client.commands())[f"chat:{NEW_ADMIN}"]}
    assert {"team", "coordinator", "admin"} <= menu and "newreview" not in menu
    [listing] = await helper.ask("/team list")
    assert "north · 1 review · coordinators: 4001" in listing.plain
    for command in ("/reviews", f"/review {t.north}", f"/invite {t.north} clinician"):
        [refused] = await helper.ask(command)
        assert "only a review coordinator" in refused.plain, command
    [removed] = await admin.ask(f"/admin remove {NEW_ADMIN}")
    assert f"{NEW_ADMIN} is no longer an administrator" in removed.plain
    [refused] = await helper.ask("/team list")
    assert REFUSED in refused.plain
    [kept] = await admin.ask(f"/admin remove {ADMIN_ID}")
    assert "still in ADMIN_IDS" in kept.plain
    assert len(await reviews.list_upcoming(svc, CLI)) == 2
