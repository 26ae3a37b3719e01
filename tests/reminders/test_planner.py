"""The planner: reminder rows follow the review's state, in local time, outside quiet hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from cetr_bot.domain import ReminderStatus, ReviewType, Role
from cetr_bot.services import attendance, invitations, reviews
from cetr_bot.services.context import Actor
from cetr_bot.services.events import review_changed
from cetr_bot.storage.models_reminders import Reminder
from cetr_bot.storage.queries import preparation as prep_queries
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI, add_review, invite
from tests.reminders.helpers import local, pending, rows

PARENT = Actor(2001, 2001, "Dana")


async def joined(svc, review_id: int, role: Role = Role.FAMILY, who: Actor = PARENT) -> int:
    created = await invite(svc, review_id, role)
    await invitations.redeem(svc, who, token=created.token)
    return created.participant_id


def schedule(found: list[Reminder]) -> set[tuple[str, int, str]]:
    return {(r.kind, r.payload.get("days", -1), r.due_at.isoformat()) for r in found}


async def test_a_joined_participant_gets_the_whole_timeline_at_nine(svc):
    review_id = await add_review(svc)  # Mon 14 Dec 2026 09:00 (GMT)
    pid = await joined(svc, review_id)
    mine = await pending(svc, participant_id=pid)
    got = {(r.kind, r.payload["days"], local(svc, r.due_at)) for r in mine}
    assert got == {
        ("review_reminder", 14, "2026-11-30 09:00"),
        ("review_reminder", 2, "2026-12-12 09:00"),
        ("review_reminder", 0, "2026-12-14 08:00"),
        ("rsvp_nudge", 7, "2026-12-07 09:00"),
        ("rsvp_nudge", 2, "2026-12-12 09:00"),
        ("prep_nudge", 7, "2026-12-07 09:00"),
        ("prep_nudge", 2, "2026-12-12 09:00"),
    }
    assert {r.chat_id for r in mine} == {2001}


async def test_invited_but_not_joined_gets_nothing_and_the_coordinator_is_told(svc):
    review_id = await add_review(svc)
    await invite(svc, review_id, Role.FAMILY)
    assert await pending(svc, participant_id=None, kind="rsvp_nudge") == []
    summaries = await pending(svc, kind="coord_attendance")
    assert [(r.chat_id, local(svc, r.due_at)) for r in summaries] == [
        (COORDINATOR_ID, "2026-12-07 09:00"),
        (COORDINATOR_ID, "2026-12-12 09:00"),
    ]


async def test_answering_cancels_nudges_and_cannot_cancels_review_reminders(svc):
    review_id = await add_review(svc)
    pid = await joined(svc, review_id)
    await attendance.record(svc, PARENT, participant_id=pid, status="video")
    kinds = {r.kind for r in await pending(svc, participant_id=pid)}
    assert kinds == {"review_reminder", "prep_nudge"}
    cancelled = await rows(svc, participant_id=pid, status="cancelled")
    assert {r.kind for r in cancelled} == {"rsvp_nudge"}
    await attendance.record(svc, PARENT, participant_id=pid, status="cannot")
    assert {r.kind for r in await pending(svc, participant_id=pid)} == {"prep_nudge"}
    # Changing their mind brings the review reminders back (same rows, revived).
    await attendance.record(svc, PARENT, participant_id=pid, status="in_person")
    back = await pending(svc, participant_id=pid, kind="review_reminder")
    assert len(back) == 3 and len(await rows(svc, kind="review_reminder")) == 3


async def test_finished_preparation_cancels_its_nudges(svc, monkeypatch):
    review_id = await add_review(svc)
    pid = await joined(svc, review_id)
    done = {pid: "submitted"}

    async def progress(session, review_id_, has_questions, **_):
        return done

    # The planner reads progress through the read-only query (it calls no service).
    monkeypatch.setattr(prep_queries, "progress_for_review", progress)
    async with svc.db.transaction() as session:
        await review_changed(svc, session, review_id, reason="preparation")
    assert "prep_nudge" not in {r.kind for r in await pending(svc, participant_id=pid)}


async def test_a_move_replaces_every_pending_reminder(svc, clock):
    review_id = await add_review(svc)
    pid = await joined(svc, review_id)
    before = await pending(svc, participant_id=pid)
    new_at = datetime(2026, 12, 21, 10, 30, tzinfo=UTC)
    await reviews.reschedule_review(svc, CLI, review_id=review_id, at=new_at)
    old_ids = {r.id for r in before}
    after = await pending(svc, participant_id=pid)
    assert old_ids.isdisjoint({r.id for r in after})
    assert all(r.status == "cancelled" for r in await rows(svc) if r.id in old_ids)
    assert ("review_reminder", 2, "2026-12-19 09:00") in {
        (r.kind, r.payload.get("days"), local(svc, r.due_at)) for r in after
    }
    [update] = await pending(svc, kind="calendar_update")
    assert update.due_at == clock.current and update.payload == {"sequence": 1}


async def test_a_cancellation_cancels_everything_and_queues_the_calendar_cancel(svc):
    review_id = await add_review(svc)
    pid = await joined(svc, review_id)
    await reviews.cancel_review(svc, CLI, review_id=review_id)
    left = [r for r in await pending(svc, review_id=review_id) if r.participant_id]
    assert [(r.kind, r.participant_id) for r in left] == [("calendar_cancel", pid)]


async def test_planning_again_changes_nothing(svc):
    review_id = await add_review(svc)
    await joined(svc, review_id)
    first = schedule(await rows(svc))
    for _ in range(3):
        async with svc.db.transaction() as session:
            await review_changed(svc, session, review_id, reason="joined")
    assert schedule(await rows(svc)) == first
    assert len(await rows(svc)) == len(first)


async def test_reminders_already_past_when_planned_are_not_created(svc, clock):
    review_id = await add_review(svc, at=clock.current + timedelta(days=5))
    pid = await joined(svc, review_id)
    days = {(r.kind, r.payload["days"]) for r in await pending(svc, participant_id=pid)}
    assert ("review_reminder", 14) not in days and ("rsvp_nudge", 7) not in days
    assert ("rsvp_nudge", 2) in days


@pytest.mark.parametrize(
    ("review_at", "expected"),
    [
        # March 2027: the clocks go forward on Sunday 28 March.
        (
            datetime(2027, 3, 30, 9, 0, tzinfo=UTC),  # Tue 30 Mar 10:00 BST
            {14: "2027-03-16T09:00:00+00:00", 2: "2027-03-28T08:00:00+00:00"},
        ),
        # October 2027: the clocks go back on Sunday 31 October.
        (
            datetime(2027, 11, 2, 10, 0, tzinfo=UTC),  # Tue 2 Nov 10:00 GMT
            {14: "2027-10-19T08:00:00+00:00", 2: "2027-10-31T09:00:00+00:00"},
        ),
    ],
)
async def test_nine_oclock_stays_nine_across_clock_changes(svc, review_at, expected):
    review_id = await add_review(
        svc, at=review_at, admitted_on=None, review_type=ReviewType.COMMUNITY
    )
    pid = await joined(svc, review_id)
    found = {
        r.payload["days"]: r.due_at
        for r in await pending(svc, participant_id=pid, kind="review_reminder")
    }
    assert {d: found[d].isoformat() for d in expected} == expected
    zone = svc.settings.zone
    assert {found[d].astimezone(zone).time() for d in expected} == {time(9, 0)}


@pytest.mark.parametrize("extra_settings", [{"reminder_time": "21:30"}])
async def test_quiet_hours_move_a_reminder_to_the_morning(svc, extra_settings):
    review_id = await add_review(svc)
    pid = await joined(svc, review_id)
    due = {
        r.payload["days"]: local(svc, r.due_at)
        for r in await pending(svc, participant_id=pid, kind="review_reminder")
    }
    assert due[14] == "2026-12-01 08:00"  # 21:30 on 30 Nov is quiet: next morning
    assert due[2] == "2026-12-13 08:00"


async def test_the_next_inpatient_review_is_booked_ahead_and_chased(svc):
    review_id = await add_review(svc, admitted_on=date(2026, 9, 1))  # held 14 Dec 2026
    book = await pending(svc, kind="book_next")
    overdue = await pending(svc, kind="next_overdue")
    # Due three months after 14 Dec: 14 Mar 2027; booked four weeks ahead.
    assert [local(svc, r.due_at) for r in book] == ["2027-02-14 09:00"]
    assert [local(svc, r.due_at) for r in overdue] == ["2027-03-15 09:00"]
    assert book[0].chat_id == COORDINATOR_ID and book[0].payload["after_review"] == review_id
    # Booking that next review moves both on by three months.
    await add_review(svc, at=datetime(2027, 3, 10, 10, 0, tzinfo=UTC))
    assert [local(svc, r.due_at) for r in await pending(svc, kind="book_next")] == [
        "2027-05-13 09:00"
    ]
    assert len(await rows(svc, kind="book_next", status="cancelled")) == 1


async def test_a_post_admission_review_overdue_is_flagged_at_once(svc, clock):
    review_id = await add_review(svc, admitted_on=date(2026, 11, 1))
    await reviews.cancel_review(svc, CLI, review_id=review_id)
    # No review since admission on 1 Nov: the post-admission one was due by 15 Nov.
    [alert] = await pending(svc, kind="next_overdue")
    assert alert.due_at == clock.current
    assert alert.payload["type"] == "post-admission" and alert.payload["due"] == "2026-11-15"
    assert await pending(svc, kind="book_next") == []


async def test_a_community_young_person_has_no_booking_reminders(svc):
    await add_review(svc, review_type=ReviewType.COMMUNITY, admitted_on=None)
    assert await rows(svc, kind="book_next") == [] and await rows(svc, kind="next_overdue") == []


async def test_keys_are_unique_in_the_database(svc):
    review_id = await add_review(svc)
    await joined(svc, review_id)
    async with svc.db.transaction() as session:
        keys = (await session.scalars(select(Reminder.key))).all()
    assert len(keys) == len(set(keys))
    assert all(r.status == ReminderStatus.PENDING for r in await rows(svc))


async def snapshot(svc) -> set[tuple[object, ...]]:
    return {(r.key, r.status, r.due_at, r.send_after, r.chat_id) for r in await rows(svc)}


async def test_a_change_naming_one_participant_plans_the_same_rows_as_the_whole_review(svc, clock):
    """An RSVP or a preparation step re-plans one participant (and the coordinators'
    summary); working out the whole review afterwards changes nothing."""
    review_id = await add_review(svc)
    pid = await joined(svc, review_id)
    other = await joined(svc, review_id, Role.SOCIAL_WORKER, Actor(2002, 2002, "Jo"))
    clock.advance(days=3)
    for status in ("cannot", "in_person"):
        await attendance.record(svc, PARENT, participant_id=pid, status=status)
        before = await snapshot(svc)
        async with svc.db.transaction() as session:
            await review_changed(svc, session, review_id, reason="joined")
        assert await snapshot(svc) == before
    async with svc.db.transaction() as session:
        await review_changed(
            svc, session, review_id, reason="preparation_submitted", participant_id=other
        )
    before = await snapshot(svc)
    async with svc.db.transaction() as session:
        await review_changed(svc, session, review_id, reason="joined")
    assert await snapshot(svc) == before
    assert any(r.kind == "coord_attendance" for r in await pending(svc))
