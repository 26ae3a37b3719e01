"""Nobody takes the young person's place; a supporter has no consent powers and no view of
their answers or feedback; a deputy stands in *for* someone, with their own answers only;
a panel deputy reads nothing until the coordinator approves them; the coordinator hears
of every join and every deputy link."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cetr_bot.domain import Role
from cetr_bot.services import actions, consent, review_feedback
from cetr_bot.services.context import Actor
from cetr_bot.storage.models_preparation import PrepAnswer
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI, add_review, join, token_in
from tests.pack.helpers import prepare
from tests.preparation.helpers import START, join_as
from tests.reminders.helpers import pending, tick
from tests.trust.helpers import (
    CANNOT,
    DEPUTY,
    SUPPORTER,
    WRITTEN,
    participant,
    rsvp_card,
    snapshot,
    texts_of,
    young_person_consents,
)


async def test_the_young_person_is_never_offered_a_deputy_and_a_forged_press_is_refused(
    bot, client, svc
):
    yp = await join_as(svc, client, Role.YOUNG_PERSON, 2002, first_name="Sam")
    [offer] = await yp.user.tap(CANNOT, message=rsvp_card(yp.greeting))
    assert offer.button_labels == [WRITTEN, SUPPORTER]
    assert DEPUTY not in texts_of([offer])
    before = await snapshot(svc)
    await yp.user.press_data(offer.message_id, f"at:{yp.participant_id}:d")
    [refused] = await yp.user.wait_for()
    assert "Only you can be the young person" in refused.plain
    assert "supporter or advocate" in refused.plain
    assert await snapshot(svc) == before
    # /attend offers the same, never "in my place".
    [again] = await yp.user.ask("/attend")
    [offer] = await yp.user.tap(CANNOT, message=again)
    assert offer.button_labels == [WRITTEN, SUPPORTER]


async def test_a_supporter_has_no_consent_and_never_sees_the_young_persons_answers(
    bot, client, svc
):
    yp = await join_as(svc, client, Role.YOUNG_PERSON, 2002, first_name="Sam")
    card = rsvp_card(yp.greeting)
    await prepare(yp.user, Role.YOUNG_PERSON, text="SECRET words")
    [offer] = await yp.user.tap(CANNOT, message=card)
    [link] = await yp.user.tap(SUPPORTER, message=offer)
    assert "They can't say yes or no for you" in link.plain
    ali = client.user(2010, first_name="Ali")
    greeting = await join(ali, token_in(link.plain))
    assert "supporter or advocate" in greeting[0].plain
    supporter_id = (await snapshot(svc))["participants"][-1].id
    member = await participant(svc, supporter_id)
    assert (member.role, member.deputy_for_id) == ("supporter", None)
    before = await snapshot(svc)
    [refused] = await ali.ask("/consent")
    assert "Only the young person can give or withdraw consent" in refused.plain
    # A forged consent button for the young person's place, or for their own.
    for pid in (yp.participant_id, supporter_id):
        await ali.press_data(refused.message_id, f"pr:cs:{pid}:share:no:2")
        [reply] = await ali.wait_for()
        assert "can't do that" in reply.plain or "Only the young person" in reply.plain
    assert await snapshot(svc) == before
    assert (await _share(svc, yp.review_id)).share_allowed
    # Their own questions (the professional bank), none of the young person's words.
    await ali.settle()
    [first] = await ali.tap(START, message=[m for m in greeting if START in m.button_labels][0])
    assert "involvement with the young person" in first.plain
    [pack_reply] = await ali.ask(f"/pack {yp.review_id}")
    assert pack_reply.document is None and "only for the coordinator" in pack_reply.plain
    seen = texts_of(await ali.messages())
    assert "SECRET words" not in seen


async def test_a_supporter_does_not_get_the_young_persons_feedback(bot, client, svc):
    review_id = await add_review(svc, at=svc.now() + timedelta(hours=2))
    yp = await join_as(svc, client, Role.YOUNG_PERSON, 2002, review_id=review_id)
    [offer] = await yp.user.tap(CANNOT, message=rsvp_card(yp.greeting))
    [link] = await yp.user.tap(SUPPORTER, message=offer)
    ali = client.user(2010, first_name="Ali")
    await join(ali, token_in(link.plain))
    await actions.mark_held(svc, CLI, review_id=review_id, held_on=svc.now().date())
    coordinator = Actor(COORDINATOR_ID, COORDINATOR_ID)
    await review_feedback.start(svc, coordinator, review_id=review_id)
    for text in ("You are safe", "Care is good", "A plan is made", "Home soon"):
        await review_feedback.write(svc, coordinator, text)
    await review_feedback.send(svc, coordinator, review_id=review_id)
    await yp.user.settle()
    await ali.settle()
    await tick(svc, bot)
    assert "You are safe" in texts_of(await yp.user.wait_for())
    assert "You are safe" not in texts_of(await ali.settle())
    [none] = await ali.ask("/myfeedback")
    assert "no feedback" in none.plain.lower()
    [mine] = await yp.user.ask("/myfeedback")
    assert "Home soon" in mine.plain


async def test_a_family_deputy_stands_in_for_them_with_their_own_answers(bot, client, svc):
    yp = await join_as(svc, client, Role.YOUNG_PERSON, 2002, first_name="Sam")
    mum = await join_as(svc, client, Role.FAMILY, 2001, review_id=yp.review_id, first_name="Dana")
    await mum.user.tap(START)
    await mum.user.ask("FAMILY SECRET")
    [offer] = await mum.user.tap(CANNOT, message=rsvp_card(mum.greeting))
    assert offer.button_labels == [DEPUTY, WRITTEN]
    [link] = await mum.user.tap(DEPUTY, message=offer)
    assert "can't see your answers" in link.plain
    pat = client.user(2005, first_name="Pat")
    greeting = await join(pat, token_in(link.plain))
    assert "in place of the Family member or carer" in greeting[0].plain
    deputy_id = (await snapshot(svc))["participants"][-1].id
    member = await participant(svc, deputy_id)
    assert (member.role, member.deputy_for_id) == ("family", mum.participant_id)
    [refused] = await pat.ask("/consent")
    assert "Only the young person" in refused.plain
    await pat.settle()
    offer_start = [m for m in greeting + await pat.messages() if START in m.button_labels][0]
    [first] = await pat.tap(START, message=offer_start)
    assert "FAMILY SECRET" not in first.plain
    await pat.ask("DEPUTY VIEW")
    assert await _answers(svc, mum.participant_id) == ["FAMILY SECRET"]
    assert await _answers(svc, deputy_id) == ["DEPUTY VIEW"]
    assert "FAMILY SECRET" not in texts_of(await pat.messages())


async def test_a_panel_deputy_gets_no_pack_until_approved(bot, client, svc):
    coord = client.user(COORDINATOR_ID)
    await coord.ask("/start")
    yp = await join_as(svc, client, Role.YOUNG_PERSON, 2002, first_name="Sam")
    await young_person_consents(yp.user)
    chair = await join_as(svc, client, Role.PANEL_CHAIR, 2004, review_id=yp.review_id)
    review_id = yp.review_id
    [offer] = await chair.user.tap(CANNOT, message=rsvp_card(chair.greeting))
    [link] = await chair.user.tap(DEPUTY, message=offer)
    assert "The coordinator approves them" in link.plain
    await tick(svc, bot)
    notes = texts_of(await coord.settle())
    assert f"Panel chair (P{chair.participant_id}) of review #{review_id}".lower() in notes.lower()
    assert "made a link for a deputy" in notes and "until you approve them" in notes
    pat = client.user(2005, first_name="Pat")
    greeting = await join(pat, token_in(link.plain))
    assert "approves you before the panel papers" in greeting[0].plain
    deputy_id = (await snapshot(svc))["participants"][-1].id
    await tick(svc, bot)
    [joined] = [m for m in await coord.settle() if "joined" in m.plain]
    assert f"as a deputy for the panel chair (P{chair.participant_id})" in joined.plain
    assert joined.button_labels == [f"✅ Approve P{deputy_id}"]
    # Not approved: held back, the coordinator is told, no pack row for them.
    [held] = await pat.ask(f"/pack {review_id}")
    assert held.document is None and "approve you" in held.plain
    assert pat.user_id not in {r.chat_id for r in await pending(svc) if r.kind == "pack"}
    await tick(svc, bot)
    [asked] = await coord.wait_for()
    assert "deputy for the panel chair" in asked.plain and f"/approve P{deputy_id}" in asked.plain
    [shown] = await coord.ask(f"/review {review_id}")
    assert f"deputy for P{chair.participant_id}" in shown.plain
    assert f"no papers until /approve P{deputy_id}" in shown.plain
    # Approved with the button: the pack now comes, on demand and on schedule.
    [done] = await coord.tap(f"✅ Approve P{deputy_id}", message=joined)
    assert "Approved" in done.plain
    assert (await participant(svc, deputy_id)).approved_by == COORDINATOR_ID
    assert pat.user_id in {r.chat_id for r in await pending(svc) if r.kind == "pack"}
    docs = await pat.ask(f"/pack {review_id}", count=2)
    assert docs[0].document is not None and docs[1].document is not None
    [again] = await coord.ask(f"/approve P{deputy_id}")
    assert "already approved" in again.plain


async def test_approve_refuses_what_is_not_a_waiting_panel_deputy(bot, client, svc):
    yp = await join_as(svc, client, Role.YOUNG_PERSON, 2002)
    chair = await join_as(svc, client, Role.PANEL_CHAIR, 2004, review_id=yp.review_id)
    coord = client.user(COORDINATOR_ID)
    [usage] = await coord.ask("/approve")
    assert "/approve P12" in usage.plain
    [no] = await coord.ask(f"/approve P{chair.participant_id}")
    assert "not a deputy for the panel" in no.plain
    [missing] = await coord.ask("/approve P9999")
    assert "couldn't find" in missing.plain
    [refused] = await chair.user.ask(f"/approve P{chair.participant_id}")
    assert "coordinator" in refused.plain.lower()
    await chair.user.press_data(refused.message_id, f"ap:{chair.participant_id}")
    [forged] = await chair.user.wait_for()
    assert "coordinator" in forged.plain.lower()
    assert (await participant(svc, chair.participant_id)).approved_at is None


async def test_the_coordinator_hears_of_each_join_discreetly_and_once(bot, client, svc):
    coord = client.user(COORDINATOR_ID)
    await coord.ask("/start")
    yp = await join_as(svc, client, Role.YOUNG_PERSON, 2002, first_name="Sam")
    mum = await join_as(svc, client, Role.FAMILY, 2001, review_id=yp.review_id, first_name="Dana")
    await tick(svc, bot)
    notes = [m for m in await coord.settle() if "joined" in m.plain]
    review = f"👋 Someone joined review #{yp.review_id} as"
    assert [m.plain for m in notes] == [
        f"{review} young person · P{yp.participant_id}.",
        f"{review} family member or carer · P{mum.participant_id}.",
    ]
    for note in notes:
        assert "Sam" not in note.plain and "Dana" not in note.plain and "YP-0042" not in note.plain
    svc.clock.current += timedelta(minutes=5)
    await tick(svc, bot)
    assert await coord.settle() == []


async def _share(svc, review_id):
    async with svc.db.transaction() as session:
        return await consent.consent_state(session, review_id)


async def _answers(svc, participant_id: int) -> list[str]:
    async with svc.db.transaction() as session:
        rows = await session.scalars(
            select(PrepAnswer.value).where(PrepAnswer.participant_id == participant_id)
        )
        return list(rows)
