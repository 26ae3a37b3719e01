"""A declined /mydata or /forgetme, or an erasure refused under a legal hold: the person
is told once, kindly, in words that suit them (easy-read for the young person), with
what they can do next: ask the coordinator why, or complain to the ICO."""

from __future__ import annotations

from sqlalchemy import select

from cetr_bot.domain import ReminderKind, Role
from cetr_bot.services import retention
from cetr_bot.storage.models import AuditEvent
from cetr_bot.storage.models_requests import DataRequest
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI, add_review, invite, join, token_in
from tests.reminders.helpers import rows, tick


async def _people(svc, client, bot, ref):
    review_id = await add_review(svc, ref=ref)
    coordinator = client.user(COORDINATOR_ID)
    await coordinator.ask("/reviews")
    young = client.user(5301, "Kit")
    await join(young, token_in((await invite(svc, review_id, Role.YOUNG_PERSON)).link))
    clinician = client.user(5302, "Lee")
    await join(clinician, token_in((await invite(svc, review_id, Role.CLINICIAN)).link))
    await tick(svc, bot)  # the join notices out of the way
    return review_id, coordinator, young, clinician


def _notice_for(messages, words):
    found = [m for m in messages if words in m.plain]
    return found[-1]


async def test_a_declined_request_is_told_kindly_once(bot, client, svc):
    review_id, coordinator, young, clinician = await _people(svc, client, bot, "YP-DEC1")
    await young.ask("/mydata")
    await clinician.ask("/forgetme")
    await tick(svc, bot)
    messages = await coordinator.messages()
    copy_notice = _notice_for(messages, "asked for a copy")
    erase_notice = _notice_for(messages, "to be erased")

    [done] = await coordinator.tap("✖️ Decline", message=copy_notice)
    assert "declined" in done.plain and "has been told" in done.plain
    [done] = await coordinator.tap("✖️ Decline", message=erase_notice)
    assert "declined" in done.plain
    before_young, before_clinician = len(await young.messages()), len(await clinician.messages())
    await tick(svc, bot)

    [told] = (await young.messages())[before_young:]
    # Easy-read, for the young person: no said-no without what to do next.
    assert "said no to your request" in told.plain and "to see your information" in told.plain
    assert "ask your coordinator why" in told.plain and "ICO" in told.plain
    assert "YP-DEC1" not in told.plain and "Kit" not in told.plain
    [told] = (await clinician.messages())[before_clinician:]
    assert "request to erase your data was not approved" in told.plain
    assert "ask the review coordinator why" in told.plain
    assert "Information Commissioner's Office" in told.plain and "/forgetme" in told.plain
    # Told once: another tick sends nothing more; the requests stay declined.
    await tick(svc, bot)
    assert len(await young.messages()) == before_young + 1
    assert len(await clinician.messages()) == before_clinician + 1
    async with svc.db.transaction() as session:
        statuses = list(await session.scalars(select(DataRequest.status)))
        kinds = list(await session.scalars(select(AuditEvent.kind)))
    assert statuses == ["declined", "declined"]
    assert kinds.count("data_request_declined") == 2
    assert {r.status for r in await rows(svc, kind=ReminderKind.DATA_DECLINED)} == {"sent"}


async def test_an_erasure_refused_under_a_legal_hold_is_explained(bot, client, svc):
    review_id, coordinator, young, clinician = await _people(svc, client, bot, "YP-DEC2")
    await retention.hold_data(svc, CLI, review_id=review_id, reason="inquest")
    await clinician.ask("/forgetme")
    await tick(svc, bot)
    notice = _notice_for(await coordinator.messages(), "to be erased")
    [refused] = await coordinator.tap("✅ Erase their data", message=notice)
    assert "refused" in refused.plain and "has been told it has to wait" in refused.plain
    before = len(await clinician.messages())
    await tick(svc, bot)
    [told] = (await clinician.messages())[before:]
    assert "cannot be carried out yet" in told.plain and "legal hold" in told.plain
    assert "Nothing has been erased" in told.plain and "ICO" in told.plain
    assert "inquest" not in told.plain  # the hold's reason is not theirs to read here
