"""/dsr and its buttons through the sandbox, and the register's reminder rows sent by
the dispatcher with the clock moved: references only in chats, the entry number only
in reminders, another team's entry invisible."""

from __future__ import annotations

from datetime import UTC, date, datetime

from cetr_bot.domain import Rag
from cetr_bot.services import dsr, teams
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI
from tests.reminders.helpers import pending, tick

OTHER_TEAM_COORDINATOR = 4001


async def test_register_buttons_and_reminders(bot, client, svc):
    view = await dsr.add_entry(
        svc, CLI, ref="YP-DSR1", date_of_birth=date(2012, 3, 14), rag=Rag.AMBER,
        reason="placement wobbling",
    )  # fmt: skip
    coordinator = client.user(COORDINATOR_ID)
    [reply] = await coordinator.ask("/dsr")
    assert "🟠 Amber (1)" in reply.plain and f"DSR #{view.id} · YP-DSR1" in reply.plain
    assert "community CETR due Mon 21 Dec 2026" in reply.plain

    [detail] = await coordinator.ask(f"/dsr {view.id}")
    assert "placement wobbling" not in detail.plain  # the reason stays off the chat
    assert "2012" not in detail.plain  # and the date of birth
    await coordinator.press("Change the rating", message=detail)
    [choice] = await coordinator.wait_for(1)
    await coordinator.press("🔴 Red", message=choice)
    [ask] = await coordinator.wait_for(1)
    assert "Why is DSR #1 🔴 Red now?" in ask.plain
    [changed] = await coordinator.ask("Crisis at home")
    assert "now 🔴 Red" in changed.plain and "due by Mon 7 Dec 2026" in changed.plain
    _, lines = await dsr.history(svc, CLI, view.id)
    assert lines[-1].reason == "Crisis at home" and lines[-1].by == COORDINATOR_ID

    # The chase goes out at once (flagged today), naming the entry number only.
    sent = await tick(svc, bot)
    assert sent.sent >= 1
    texts = [m.plain for m in await coordinator.messages()]
    chase = [t for t in texts if "A community CETR is due for DSR #1" in t]
    assert chase and "YP-DSR1" not in chase[-1] and "Mon 7 Dec 2026" in chase[-1]

    # An old button (from before the rating changed) is stale.
    await coordinator.press_data(detail.message_id, "ds:1:admit:-:1")
    [stale] = await coordinator.wait_for(1)
    assert "button" in stale.plain.lower()

    [detail] = await coordinator.ask(f"/dsr {view.id}")
    await coordinator.press("Record an admission", message=detail)
    [choice] = await coordinator.wait_for(1)
    await coordinator.press("Admitted today, out of area", message=choice)
    [admitted] = await coordinator.wait_for(1)
    assert "now 🔵 Blue" in admitted.plain and "without a community CETR" in admitted.plain
    assert not await pending(svc, kind="dsr_cetr_due")  # admitted: no more chasing
    [booking] = await pending(svc, kind="next_overdue")  # the post-admission CETR, by 7 Dec
    assert booking.chat_id == COORDINATOR_ID

    # Six weeks on: the visit reminder; the post-admission overdue alert names the entry.
    await tick(svc, bot, at=datetime(2027, 1, 4, 9, 30, tzinfo=UTC))
    texts = [m.plain for m in await coordinator.messages()]
    assert any("commissioner's visit is due by Mon 4 Jan 2027" in t for t in texts)
    assert any("register entry DSR #1" in t and "Overdue" in t for t in texts)
    assert any("summary for 2026-11" in t for t in texts)  # the monthly message


async def test_another_teams_entry_is_invisible(bot, client, svc):
    await teams.add_team(svc, CLI, "north")
    await teams.add_coordinator(svc, CLI, telegram_user_id=OTHER_TEAM_COORDINATOR, team="north")
    view = await dsr.add_entry(
        svc, CLI, ref="YP-DSR2", date_of_birth=date(2012, 3, 14), rag=Rag.RED, team="default"
    )
    outsider = client.user(OTHER_TEAM_COORDINATOR)
    [reply] = await outsider.ask("/dsr")
    assert "YP-DSR2" not in reply.plain and "empty" in reply.plain
    [reply] = await outsider.ask(f"/dsr {view.id}")
    assert f"couldn't find register entry DSR #{view.id}" in reply.plain
    [reply] = await client.user(5005).ask("/dsr")
    assert "YP-DSR2" not in reply.plain
