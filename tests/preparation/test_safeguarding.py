"""Safeguarding alerts and rights concerns: help at once, discreet alerts, logged."""

from __future__ import annotations

from sqlalchemy import select

from cetr_bot.domain import Role
from cetr_bot.storage.models import AuditEvent, PendingInput
from cetr_bot.storage.models_preparation import PrepFlag
from tests.conftest import COORDINATOR_ID
from tests.preparation.helpers import (
    START,
    YES,
    consent_yes,
    join_as,
    new_review,
    questions,
    skip_all,
)

SECRET_REF, PLACE = "YP-SECRET", "St Elsewhere Hospital"
READ = "📖 Read it"


async def _review_with_team(svc, client):
    """A review with a clinician joined and the coordinator's chat open."""
    review_id = await new_review(svc, ref=SECRET_REF, location=PLACE)
    coordinator = client.user(COORDINATOR_ID)
    await coordinator.ask("/start")
    clinician = await join_as(svc, client, Role.CLINICIAN, 2003, review_id=review_id)
    return review_id, coordinator, clinician.user


async def _flags(svc):
    async with svc.db.transaction() as session:
        return (await session.scalars(select(PrepFlag).order_by(PrepFlag.id))).all()


def _discreet(text: str) -> None:
    assert SECRET_REF not in text and "Elsewhere" not in text and "Sam" not in text


async def test_young_person_not_feeling_safe(bot, client, svc, database):
    review_id, coordinator, clinician = await _review_with_team(svc, client)
    young = await join_as(
        svc, client, Role.YOUNG_PERSON, 2002, review_id=review_id, first_name="Sam"
    )
    user = young.user
    await user.tap(START)
    await consent_yes(user)
    await skip_all(user, 3)  # like doing, important, how to talk
    help_, next_question = await user.tap("👎 No", count=2)
    assert "Childline: 0800 1111" in help_.plain and "999" in help_.plain
    assert "A member of staff you trust" in help_.plain
    assert "5 of" in next_question.plain  # and the questions carry on

    [to_coordinator] = await coordinator.wait_for()
    [to_clinician] = await clinician.wait_for()
    for alert in (to_coordinator, to_clinician):
        assert f"Safeguarding alert · review #{review_id}" in alert.plain
        assert "said they do not feel safe" in alert.plain
        _discreet(alert.plain)
    assert to_coordinator.button_labels == [READ]
    assert to_clinician.button_labels == []  # the details are for the coordinator

    [flag] = await _flags(svc)
    assert (flag.kind, flag.source, flag.question_id) == ("safeguarding", "answer", "feel_safe")
    assert flag.raised_at == svc.now() and flag.alerted_at == svc.now()
    assert (flag.alerts_sent, flag.alerts_failed) == (2, 0)
    async with database.transaction() as session:
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.kind == "safeguarding_alert")
        )
    assert event is not None and event.review_id == review_id
    assert event.detail["flag_id"] == flag.id

    [shown] = await coordinator.ask(f"/review {review_id}")
    assert "🚨 Safeguarding, Monday 23 November 2026 at 09:00, young person" in shown.plain


async def test_harm_mentioned_in_free_text(bot, client, svc):
    review_id, coordinator, clinician = await _review_with_team(svc, client)
    young = await join_as(svc, client, Role.YOUNG_PERSON, 2002, review_id=review_id)
    await young.user.tap(START)
    await consent_yes(young.user)
    help_, _ = await young.user.ask("Football. But a <boy> at school hits me", count=2)
    assert "Childline" in help_.plain
    [alert] = await coordinator.wait_for()
    assert "may mean they are at risk of harm" in alert.plain
    _discreet(alert.plain)
    assert "hits me" not in alert.plain  # never the young person's words in an alert
    await clinician.wait_for()
    [detail] = await coordinator.tap(READ)
    assert "Football. But a <boy> at school hits me" in detail.plain
    assert "&lt;boy&gt;" in (detail.text or "")
    # The clinician cannot read it by forging the button.
    await clinician.press_data(alert.message_id, alert.find_callback(READ))
    [refused] = await clinician.wait_for()
    assert "only a review coordinator" in refused.plain
    assert "hits me" not in refused.plain


async def test_family_reports_an_immediate_risk(bot, client, svc):
    review_id, coordinator, clinician = await _review_with_team(svc, client)
    parent = await join_as(svc, client, Role.FAMILY, 2001, review_id=review_id)
    await parent.user.tap(START)
    asked = questions(Role.FAMILY)
    risk = next(i for i, q in enumerate(asked) if q.id == "risk_now")
    await skip_all(parent.user, risk)
    help_, next_question = await parent.user.tap("👍 Yes", count=2)
    assert "call 999" in help_.plain and "0800 1111" in help_.plain
    assert "Do you have other worries" in next_question.plain
    [alert] = await coordinator.wait_for()
    assert "A family member or carer reported an immediate risk" in alert.plain
    _discreet(alert.plain)
    [flag] = await _flags(svc)
    assert flag.source == "answer" and flag.question_id == "risk_now"


async def test_an_alert_that_cannot_be_delivered_is_counted(bot, client, svc):
    review_id = await new_review(svc)  # the coordinator never opened the chat
    young = await join_as(svc, client, Role.YOUNG_PERSON, 2002, review_id=review_id)
    await young.user.tap(START)
    await consent_yes(young.user)
    await skip_all(young.user, 3)
    help_, _ = await young.user.tap("👎 No", count=2)
    assert "Childline" in help_.plain  # the young person is helped whatever happens
    [flag] = await _flags(svc)
    assert (flag.alerts_sent, flag.alerts_failed) == (0, 1)
    [shown] = await client.user(COORDINATOR_ID).ask(f"/review {review_id}")
    assert "1 alert(s) not delivered" in shown.plain


# --- /concern ---------------------------------------------------------------------------


async def test_concern_by_a_quick_choice(bot, client, svc):
    review_id, coordinator, _ = await _review_with_team(svc, client)
    parent = await join_as(svc, client, Role.FAMILY, 2001, review_id=review_id)
    [ask] = await parent.user.ask("/concern")
    assert "Is something not right?" in ask.plain
    [done] = await parent.user.tap("👪 Kept from family or friends")
    assert "passed it on" in done.plain
    [alert] = await coordinator.wait_for()
    assert f"Rights concern · review #{review_id}" in alert.plain
    _discreet(alert.plain)
    [detail] = await coordinator.tap(READ)
    assert "What: 👪 Kept from family or friends" in detail.plain
    [flag] = await _flags(svc)
    assert (flag.kind, flag.category, flag.raised_by) == ("rights", "family", 2001)
    [shown] = await coordinator.ask(f"/review {review_id}")
    assert "⚖️ Rights concern" in shown.plain and "Kept from family" in shown.plain


async def test_concern_in_own_words(bot, client, svc):
    review_id, coordinator, _ = await _review_with_team(svc, client)
    parent = await join_as(svc, client, Role.FAMILY, 2001, review_id=review_id)
    await parent.user.ask("/concern")
    too_long, again = await parent.user.ask("x" * 3001, count=2)
    assert "bit long" in too_long.plain and "Nothing has been lost" in too_long.plain
    assert "Is something not right?" in again.plain
    [done] = await parent.user.ask("They took her <tablet>\nand won't say why")
    assert "passed it on" in done.plain
    [alert] = await coordinator.wait_for()
    assert "won't say why" not in alert.plain
    [detail] = await coordinator.tap(READ)
    assert "They took her <tablet>\nand won't say why" in detail.plain
    # Typing afterwards is no longer taken as a concern.
    [reply] = await parent.user.ask("thanks")
    assert "passed it on" not in reply.plain
    assert len(await _flags(svc)) == 1


async def test_concern_in_one_line_and_from_the_young_person(bot, client, svc):
    review_id, coordinator, _ = await _review_with_team(svc, client)
    young = await join_as(svc, client, Role.YOUNG_PERSON, 2002, review_id=review_id)
    done, help_ = await young.user.ask("/concern staff hit me when I shout", count=2)
    assert "passed it on" in done.plain
    assert "Childline" in help_.plain
    [alert] = await coordinator.wait_for()
    assert "Rights concern" in alert.plain and "hit me" not in alert.plain
    [flag] = await _flags(svc)
    assert flag.text == "staff hit me when I shout"


async def test_concern_from_family_about_harm_gets_family_help(bot, client, svc):
    review_id, coordinator, _ = await _review_with_team(svc, client)
    parent = await join_as(svc, client, Role.FAMILY, 2001, review_id=review_id)
    done, help_ = await parent.user.ask("/concern Staff held down my son again", count=2)
    assert "passed it on" in done.plain
    assert "If anyone is in danger right now, call 999" in help_.plain
    assert "You matter" not in help_.plain  # that is the young person's version
    await coordinator.wait_for()


async def test_concern_when_in_two_reviews_asks_which(bot, client, svc):
    first = await join_as(svc, client, Role.ADVOCATE, 2005)
    second = await join_as(svc, client, Role.ADVOCATE, 2005)
    [pick] = await first.user.ask("/concern He is kept in his room")
    assert "Which review" in pick.plain
    wrong, again = await first.user.ask("the second one", count=2)
    assert "use one of the buttons" in wrong.plain.lower()
    assert "Which review" in again.plain
    await first.user.tap(pick.button_labels[1], message=pick)
    [flag] = await _flags(svc)
    assert flag.review_id == second.review_id and flag.text == "He is kept in his room"


async def test_concern_from_someone_outside_any_review(bot, client, svc, database):
    [reply] = await client.user(2999).ask("/concern nobody listens")
    assert "999" in reply.plain and "invitation link" in reply.plain
    assert await _flags(svc) == []
    async with database.transaction() as session:
        assert (await session.scalars(select(PendingInput))).all() == []


async def test_concern_can_be_cancelled(bot, client, svc):
    parent = await join_as(svc, client, Role.FAMILY, 2001)
    await parent.user.ask("/concern")
    [stopped] = await parent.user.ask("/cancel")
    assert "stopped" in stopped.plain
    [reply] = await parent.user.ask("never mind")
    assert "passed it on" not in reply.plain
    assert await _flags(svc) == []


assert YES  # imported for symmetry with the other preparation tests


async def test_restraint_typed_by_the_young_person_raises_both_flags(bot, client, svc):
    review_id, coordinator, clinician = await _review_with_team(svc, client)
    young = await join_as(svc, client, Role.YOUNG_PERSON, 2002, review_id=review_id)
    await young.user.tap(START)
    await consent_yes(young.user)
    help_, next_question = await young.user.ask("staff restrained me", count=2)
    assert "Childline" in help_.plain and "A member of staff you trust" in help_.plain
    assert "2 of" in next_question.plain  # the questions carry on
    to_coordinator = await coordinator.wait_for(2)
    [to_clinician] = await clinician.wait_for()
    kinds = sorted(m.plain.splitlines()[0] for m in to_coordinator)
    assert kinds == [
        f"⚖️ Rights concern · review #{review_id}",
        f"🚨 Safeguarding alert · review #{review_id}",
    ]
    assert all(m.button_labels == [READ] for m in to_coordinator)
    assert "Safeguarding alert" in to_clinician.plain  # rights concerns go to the coordinator
    for alert in [*to_coordinator, to_clinician]:
        _discreet(alert.plain)
        assert "restrained me" not in alert.plain

    safeguarding_flag, rights_flag = await _flags(svc)
    assert (safeguarding_flag.kind, safeguarding_flag.source) == ("safeguarding", "keyword")
    assert (rights_flag.kind, rights_flag.source) == ("rights", "keyword")
    assert rights_flag.category == "restraint" and rights_flag.question_id == "like_doing"
    assert (safeguarding_flag.alerts_sent, rights_flag.alerts_sent) == (2, 1)

    rights_alert = next(m for m in to_coordinator if "Rights concern" in m.plain)
    [detail] = await coordinator.tap(READ, message=rights_alert)
    assert "What: ✋ Held down or kept alone" in detail.plain
    assert "staff restrained me" in detail.plain
    assert "What do you like doing?" in detail.plain and "like_doing" not in detail.plain
    [shown] = await coordinator.ask(f"/review {review_id}")
    assert "⚖️ Rights concern" in shown.plain and "Held down or kept alone" in shown.plain
    assert "🚨 Safeguarding" in shown.plain and "like_doing" not in shown.plain
