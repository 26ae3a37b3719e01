"""RSVP: offered on joining with a calendar file, changeable, checked on every press."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import select

from cetr_bot.domain import Role
from cetr_bot.services import reviews
from cetr_bot.storage.models import AuditEvent
from cetr_bot.storage.models_reminders import Attendance
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI, add_review, invite, join, token_in
from tests.reminders.helpers import tick

SEVEN_DAYS = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


async def join_as(svc, client, review_id, role, uid, name):
    created = await invite(svc, review_id, role)
    user = client.user(uid, first_name=name)
    sent = await join(user, created.token)
    [card] = [m for m in sent if m.document]  # the RSVP question with the .ics
    return created.participant_id, user, card


async def answers(svc) -> dict[int, str]:
    async with svc.db.transaction() as session:
        return {a.participant_id: a.status for a in await session.scalars(select(Attendance))}


async def test_joining_offers_the_rsvp_with_the_calendar_file(bot, client, svc):
    review_id = await add_review(svc, location="Video: https://meet.example/abc (details by email)")
    _, user, card = await join_as(svc, client, review_id, Role.FAMILY, 2001, "Dana")
    assert card.document and card.document["file_name"].endswith(".ics")
    assert card.button_labels == ["🏢 In person", "💻 By video", "✖️ Can't attend"]
    assert "Can you attend?" in card.plain
    ics = Calendar.from_ical(await client.document(2001, card.message_id))
    [event] = ics.walk("VEVENT")
    assert str(ics["METHOD"]) == "REQUEST"  # an iTIP invitation (RFC 5546), was PUBLISH
    assert str(event["UID"]) == f"cetr-review-{review_id}@{svc.settings.calendar_domain}"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
    assert str(event["LOCATION"]) == "https://meet.example/abc"
    assert "YP-0042" not in ics.to_ical().decode()


async def test_a_venue_stays_out_of_the_calendar_file(bot, client, svc):
    review_id = await add_review(svc, location="St Elsewhere Hospital, Ward 3")
    _, _, card = await join_as(svc, client, review_id, Role.FAMILY, 2001, "Dana")
    data = await client.document(2001, card.message_id)
    assert b"LOCATION" not in data and b"Hospital" not in data


async def test_the_young_person_gets_an_easy_read_question(bot, client, svc):
    review_id = await add_review(svc)
    _, _, card = await join_as(svc, client, review_id, Role.YOUNG_PERSON, 2002, "Sam")
    assert "Can you come to the meeting?" in card.plain
    lines = [line for line in card.plain.splitlines() if line.strip()]
    assert max(len(line.split()) for line in lines) <= 12


async def test_confirming_sends_the_calendar_and_shows_in_review(bot, client, svc):
    review_id = await add_review(svc)
    pid, user, card = await join_as(svc, client, review_id, Role.CLINICIAN, 2003, "Dr Lee")
    [confirmed] = await user.tap("💻 By video", message=card)
    assert "you will attend by video" in confirmed.plain
    assert confirmed.document is not None
    assert await answers(svc) == {pid: "video"}
    [shown] = await client.user(COORDINATOR_ID).ask(f"/review {review_id}")
    assert "Responsible clinician or senior nurse (Dr Lee): 💻 by video" in shown.plain
    roles = shown.plain.split("Required roles with no confirmed attendee")[1].split("\n\n")[0]
    assert "Commissioner" in roles and "Responsible clinician" not in roles


async def test_the_answer_can_be_changed_any_time_with_attend(bot, client, svc):
    review_id = await add_review(svc)
    pid, user, card = await join_as(svc, client, review_id, Role.FAMILY, 2001, "Dana")
    await user.tap("🏢 In person", message=card)
    [current] = await user.ask("/attend")
    assert "Your answer: 🏢 in person." in current.plain
    await user.tap("💻 By video", message=current)
    assert await answers(svc) == {pid: "video"}
    [none] = await client.user(2999).ask("/attend")
    assert "no upcoming reviews" in none.plain


async def test_cannot_attend_offers_a_deputy_link_for_the_same_role(bot, client, svc):
    review_id = await add_review(svc)
    pid, user, card = await join_as(svc, client, review_id, Role.COMMISSIONER, 2004, "Kim")
    [offer] = await user.tap("✖️ Can't attend", message=card)
    assert offer.button_labels == ["👤 Send someone in my place", "📝 Send written information"]
    [first] = await user.tap("👤 Send someone in my place", message=offer)
    assert "as commissioner" in first.plain
    [again] = await user.ask("/attend")
    [offer] = await user.tap("✖️ Can't attend", message=again)
    [second] = await user.tap("👤 Send someone in my place", message=offer)
    assert "no longer works" in second.plain  # the unused first link was withdrawn
    [refused] = await client.user(2005).ask(f"/start {token_in(first.plain)}")
    assert "withdrawn" in refused.plain
    deputy = client.user(2005, first_name="Pat")
    welcome = (await join(deputy, token_in(second.plain)))[0]
    assert "Commissioner" in welcome.plain
    detail = await reviews.review_detail(svc, CLI, review_id)
    commissioners = [p for p in detail.participants if p.role is Role.COMMISSIONER]
    assert [(p.name, p.joined) for p in commissioners] == [("Kim", True), ("Pat", True)]
    assert detail.attendance[pid] == "cannot"
    assert detail.attendance.alternatives[pid] == "deputy"  # type: ignore[attr-defined]


async def test_written_information_points_to_preparation(bot, client, svc):
    review_id = await add_review(svc)
    _, user, card = await join_as(svc, client, review_id, Role.SOCIAL_WORKER, 2006, "Jo")
    [offer] = await user.tap("✖️ Can't attend", message=card)
    [reply] = await user.tap("📝 Send written information", message=offer)
    assert "/prepare" in reply.plain
    [shown] = await client.user(COORDINATOR_ID).ask(f"/review {review_id}")
    assert "Social worker (Jo): ✖️ can't attend – sending written information" in shown.plain


async def test_someone_else_cannot_answer_for_a_participant(bot, client, svc, database):
    review_id = await add_review(svc)
    pid, user, card = await join_as(svc, client, review_id, Role.FAMILY, 2001, "Dana")
    intruder = client.user(2009)
    [own] = await intruder.ask("/help")
    for data in (f"at:{pid}:p", f"at:{pid}:d", f"at:{pid}:w"):
        await intruder.press_data(own.message_id, data)
        [reply] = await intruder.wait_for(1)
        assert "can't do that" in reply.plain
    for data in ("at:abc:p", f"at:{pid}:z", "at:1", f"at:{pid}:p:extra", "at:99999:p"):
        await user.press_data(card.message_id, data)
        [reply] = await user.wait_for(1)
        assert "no longer works" in reply.plain or "can't do that" in reply.plain
    assert await answers(svc) == {}
    async with database.transaction() as session:
        kinds = (await session.scalars(select(AuditEvent.kind))).all()
    assert kinds.count("refused_button") == 8


async def test_no_changes_once_the_review_is_cancelled_or_over(bot, client, svc, clock):
    review_id = await add_review(svc)
    pid, user, card = await join_as(svc, client, review_id, Role.FAMILY, 2001, "Dana")
    clock.current = datetime(2026, 12, 14, 9, 30, tzinfo=UTC)
    await user.press_data(card.message_id, f"at:{pid}:p")
    [reply] = await user.wait_for(1)
    assert "already started" in reply.plain
    clock.current = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    await reviews.cancel_review(svc, CLI, review_id=review_id)
    await user.press_data(card.message_id, f"at:{pid}:v")
    [reply] = await user.wait_for(1)
    assert "cancelled" in reply.plain
    assert await answers(svc) == {}


async def test_seven_days_before_the_coordinator_hears_which_required_roles_are_missing(
    bot, client, svc
):
    review_id = await add_review(svc)
    coordinator = client.user(COORDINATOR_ID)
    await coordinator.ask("/start")
    _, clinician, card = await join_as(svc, client, review_id, Role.CLINICIAN, 2003, "Dr Lee")
    await clinician.tap("🏢 In person", message=card)
    _, chair, card = await join_as(svc, client, review_id, Role.PANEL_CHAIR, 2007, "Ash")
    await chair.tap("✖️ Can't attend", message=card)
    _, parent, _ = await join_as(svc, client, review_id, Role.FAMILY, 2001, "Dana")
    await invite(svc, review_id, Role.COMMISSIONER)
    await tick(svc, bot, at=SEVEN_DAYS - timedelta(minutes=1))
    # Only the notices that someone joined (sent at once), no summary yet.
    assert [m for m in await coordinator.settle(quiet=0.2) if "Someone joined" not in m.plain] == []
    await tick(svc, bot, at=SEVEN_DAYS)
    [alert] = await coordinator.wait_for(1)
    text = alert.plain
    assert f"Review #{review_id} is in 7 days" in text
    required = text.split("no confirmed attendee:")[1].split("Not answered yet")[0]
    for role in ("Commissioner", "Panel chair", "Independent clinical adviser", "Expert by"):
        assert role in required
    assert "Responsible clinician" not in required
    assert "Family member or carer (Dana)" in text.split("Not answered yet")[1]
    assert "Panel chair (Ash)" in text.split("Can't attend")[1]
    assert "YP-0042" not in text


async def test_no_coordinator_summary_when_everyone_required_is_confirmed(bot, client, svc):
    review_id = await add_review(svc)
    coordinator = client.user(COORDINATOR_ID)
    await coordinator.ask("/start")
    roles = [Role.COMMISSIONER, Role.CLINICIAN, Role.PANEL_CHAIR, Role.CLINICAL_ADVISER]
    roles.append(Role.EXPERT_BY_EXPERIENCE)
    for n, role in enumerate(roles):
        _, user, card = await join_as(svc, client, review_id, role, 2100 + n, f"P{n}")
        await user.tap("💻 By video", message=card)
    await tick(svc, bot, at=SEVEN_DAYS)
    assert [m for m in await coordinator.settle(quiet=0.2) if "Someone joined" not in m.plain] == []
