"""The consent gate: given, withheld, withdrawn, a best-interests decision, and who sees what."""

from __future__ import annotations

from sqlalchemy import select

from cetr_bot.domain import Role
from cetr_bot.services import preparation_reads
from cetr_bot.storage.models import AuditEvent
from cetr_bot.storage.models_preparation import ConsentRecord
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI
from tests.preparation.helpers import (
    NO,
    SEND,
    START,
    YES,
    join_as,
    questions,
    skip_all,
)

SHARE_NO = "🔒 Panel cannot see them"
SHARE_YES = "✅ Panel can see my answers"


async def _young_person_sends(svc, client, share: str, family: str = YES):
    """The young person and a parent both send their answers; the young person's
    consent answer to sharing is `share`."""
    young = await join_as(svc, client, Role.YOUNG_PERSON, 2002, first_name="Sam")
    parent = await join_as(svc, client, Role.FAMILY, 2001, review_id=young.review_id)
    for joined, role in ((young, Role.YOUNG_PERSON), (parent, Role.FAMILY)):
        await joined.user.tap(START)
        if role is Role.YOUNG_PERSON:
            await joined.user.tap(share)
            await joined.user.tap(family)
        await joined.user.ask("Something only I know")
        await skip_all(joined.user, len(questions(role)) - 1)
        await joined.user.settle()
        await joined.user.tap(SEND)
    return young, parent


async def _panel(svc, review_id):
    async with svc.db.transaction() as session:
        return await preparation_reads.answers_for_panel(svc, session, review_id)


async def _records(svc):
    async with svc.db.transaction() as session:
        return (await session.scalars(select(ConsentRecord).order_by(ConsentRecord.id))).all()


async def test_consent_given_lets_the_panel_see_the_answers(bot, client, svc):
    young, parent = await _young_person_sends(svc, client, YES)
    pack = await _panel(svc, young.review_id)
    assert pack.consent.share_allowed
    assert {p.role for p in pack.participants} == {Role.YOUNG_PERSON, Role.FAMILY}
    assert not pack.young_person_withheld
    share, family = await _records(svc)
    assert (share.subject, share.decision, share.basis) == ("share", "yes", "young_person")
    assert share.recorded_by == 2002 and share.recorded_by_role == "young-person"
    assert share.method == "bot_buttons" and share.at == svc.now()
    assert (family.subject, family.decision) == ("family", "yes")


async def test_consent_withheld_keeps_the_answers_with_the_coordinator(bot, client, svc):
    young, parent = await _young_person_sends(svc, client, NO)
    sent = (await young.user.messages())[-1]
    assert "Only the person who runs the meeting" in sent.plain
    pack = await _panel(svc, young.review_id)
    assert not pack.consent.share_allowed
    assert [p.role for p in pack.participants] == [Role.FAMILY]
    assert pack.young_person_withheld
    everything = await preparation_reads.answers_for_coordinator(svc, CLI, young.review_id)
    assert {p.role for p in everything} == {Role.YOUNG_PERSON, Role.FAMILY}


async def test_not_sure_is_not_consent(bot, client, svc):
    young, _ = await _young_person_sends(svc, client, "🤷 Not sure")
    pack = await _panel(svc, young.review_id)
    assert pack.young_person_withheld and not pack.consent.share_allowed


async def test_consent_withdrawn_with_slash_consent(bot, client, svc):
    coordinator = client.user(COORDINATOR_ID)
    await coordinator.ask("/start")
    young, _ = await _young_person_sends(svc, client, YES)
    [view] = await young.user.ask("/consent")
    assert "The panel can see your answers" in view.plain
    assert "You want your family at the meeting" in view.plain
    [saved] = await young.user.tap(SHARE_NO)
    assert "The panel cannot see your answers" in saved.plain
    [alert] = await coordinator.wait_for()
    assert f"Consent changed · review #{young.review_id}" in alert.plain
    assert "YP-0042" not in alert.plain and "Sam" not in alert.plain
    pack = await _panel(svc, young.review_id)
    assert pack.young_person_withheld
    records = await _records(svc)
    assert [(r.subject, r.decision) for r in records] == [
        ("share", "yes"),
        ("family", "yes"),
        ("share", "no"),
    ]
    # And given again.
    await young.user.ask("/consent")
    await young.user.tap(SHARE_YES)
    assert (await _panel(svc, young.review_id)).consent.share_allowed


async def test_an_old_consent_button_cannot_undo_a_later_choice(bot, client, svc):
    young, _ = await _young_person_sends(svc, client, YES)
    [old] = await young.user.ask("/consent")
    await young.user.ask("/consent")
    await young.user.tap(SHARE_NO)
    await young.user.press_data(old.message_id, old.find_callback(SHARE_YES))
    [moved, *_] = await young.user.wait_for()
    assert "moved on" in moved.plain
    assert not (await _panel(svc, young.review_id)).consent.share_allowed


async def test_best_interests_decision_by_the_coordinator(bot, client, svc):
    young, _ = await _young_person_sends(svc, client, NO)
    coordinator = client.user(COORDINATOR_ID)
    [usage] = await coordinator.ask(f"/bestinterests {young.review_id}")
    assert "/bestinterests N reason" in usage.plain
    reason = "Not able to decide <now>; discussed with family"
    [done] = await coordinator.ask(f"/bestinterests {young.review_id} {reason}")
    assert "Best-interests decision recorded" in done.plain
    pack = await _panel(svc, young.review_id)
    assert pack.consent.share_allowed and not pack.young_person_withheld
    record = (await _records(svc))[-1]
    assert (record.basis, record.method) == ("best_interests", "coordinator_command")
    assert record.recorded_by == COORDINATOR_ID and record.recorded_by_role == "coordinator"
    assert record.note == reason and record.at == svc.now()
    assert record.participant_id == young.participant_id
    [shown] = await coordinator.ask(f"/review {young.review_id}")
    assert "Sharing with the panel: ✅ best-interests decision" in shown.plain
    [view] = await young.user.ask("/consent")
    assert "decided this, to keep you well" in view.plain


async def test_only_a_coordinator_records_best_interests(bot, client, svc, database):
    young, parent = await _young_person_sends(svc, client, NO)
    [refused] = await parent.user.ask(f"/bestinterests {young.review_id} because I say so")
    assert "only a review coordinator" in refused.plain
    assert len(await _records(svc)) == 2
    [refused] = await parent.user.ask("/consent")
    assert "Only the young person" in refused.plain
    async with database.transaction() as session:
        kinds = (await session.scalars(select(AuditEvent.kind))).all()
    assert kinds.count("consent_recorded") == 2


async def test_a_best_interests_decision_lets_the_young_person_skip_the_sharing_question(
    bot, client, svc
):
    young = await join_as(svc, client, Role.YOUNG_PERSON, 2002)
    await client.user(COORDINATOR_ID).ask(f"/bestinterests {young.review_id} Assessed today")
    [asked] = await young.user.tap(START)
    assert "Do you want your family" in asked.plain
    [first] = await young.user.tap(YES)
    assert "1 of" in first.plain
