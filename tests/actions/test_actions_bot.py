"""Actions through the sandbox: the coordinator records them, owners answer, families see."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cetr_bot.domain import Role
from cetr_bot.services import actions, invitations
from cetr_bot.storage.models import AuditEvent
from tests.actions.helpers import add, held_review_with_owner
from tests.conftest import COORDINATOR_ID
from tests.helpers import CLI, add_review, invite, join, token_in


async def test_coordinator_marks_held_and_records_an_action(bot, client, svc):
    review_id = await add_review(svc, at=svc.now() + timedelta(hours=2))
    clinician = await invite(svc, review_id, Role.CLINICIAN)
    await join(client.user(2003, first_name="Lee"), clinician.token)
    coord = client.user(COORDINATOR_ID)
    [reply] = await coord.ask(f"/addaction {review_id}")
    assert "recorded once the review has been held" in reply.plain
    [reply] = await coord.ask(f"/held {review_id}")
    assert "has not started yet" in reply.plain  # booked for two hours' time
    [reply] = await coord.ask(f"/held {review_id} {svc.now():%d/%m/%Y}")
    assert "marked as held" in reply.plain
    [ask] = await coord.ask(f"/addaction {review_id}")
    assert "What is to be done" in ask.plain
    [ask] = await coord.ask("Find a <b>community</b> placement")
    assert "Who owns this action" in ask.plain
    owner_label = next(label for label in ask.button_labels if label.startswith("Responsible"))
    [ask] = await coord.tap(owner_label)
    assert "By when" in ask.plain
    replies = await coord.ask("not a date", count=2)
    assert "couldn't read that date" in replies[0].plain
    [done] = await coord.ask("21/12/2026")
    assert "Action A1 recorded" in done.plain
    assert "Find a <b>community</b> placement" in done.plain  # typed HTML shown as text
    [view] = await actions.list_actions(svc, CLI, review_id=review_id)
    assert view.what == "Find a <b>community</b> placement"
    assert view.owner_participant_id == clinician.participant_id


async def test_a_new_owner_gets_an_invitation_link(bot, client, svc):
    review_id, _ = await held_review_with_owner(svc, client)
    coord = client.user(COORDINATOR_ID)
    await coord.ask(f"/addaction {review_id}")
    await coord.ask("Arrange a school place")
    [roles] = await coord.tap("➕ Someone new")
    [due] = await coord.tap("School")
    token = token_in(due.plain)
    [done] = await coord.ask("15/01/2027")
    assert "not joined yet" in done.plain
    pat = client.user(2010, first_name="Pat")
    greeting = await join(pat, token)
    assert "thank you for joining" in greeting[0].plain.lower()
    replies = await pat.ask("/myactions", count=2)
    assert "Arrange a school place" in replies[0].plain


async def test_owner_marks_done_with_a_button(bot, client, svc):
    review_id, owner = await held_review_with_owner(svc, client)
    await add(svc, review_id, owner, days=10, what="Second")
    await add(svc, review_id, owner, days=5, what="First")
    lee = client.user(2003)
    replies = await lee.ask("/myactions", count=3)
    assert replies[0].plain.index("First") < replies[0].plain.index("Second")  # nearest first
    first = replies[1]
    assert first.button_labels == [
        "✅ Done",
        "✍️ Add an update",
        "🆘 Need help / blocked",
        "🙅 Not mine",
    ]
    [thanks] = await lee.tap("✅ Done", message=first)
    assert "marked done" in thanks.plain
    again = (await lee.ask("/myactions", count=2))[0]
    assert "First" not in again.plain and "Second" in again.plain


async def test_owner_update_help_and_not_mine(bot, client, svc):
    review_id, owner = await held_review_with_owner(svc, client)
    view = await add(svc, review_id, owner)
    lee = client.user(2003)
    replies = await lee.ask("/myactions", count=2)
    [ask] = await lee.tap("✍️ Add an update", message=replies[1])
    assert "type your update" in ask.plain
    [thanks] = await lee.ask("Spoke to two providers <script>")
    assert "update on action A1 is saved" in thanks.plain
    replies = await lee.ask("/myactions", count=2)
    await lee.tap("🆘 Need help / blocked", message=replies[1])
    [thanks] = await lee.ask("No funding agreed yet")
    assert "needs help" in thanks.plain
    detail, history = await actions.show_action(svc, CLI, action_id=view.id)
    assert detail.needs_help and [h.kind for h in history] == ["created", "update", "help"]
    assert history[1].text == "Spoke to two providers <script>"
    replies = await lee.ask("/myactions", count=2)
    await lee.tap("🙅 Not mine", message=replies[1])
    [thanks] = await lee.ask("The social worker leads this")
    assert "back with the coordinator" in thanks.plain


async def test_a_stale_button_from_an_older_message_changes_nothing(bot, client, svc):
    review_id, owner = await held_review_with_owner(svc, client)
    view = await add(svc, review_id, owner)
    lee = client.user(2003)
    old = (await lee.ask("/myactions", count=2))[1]
    await actions.edit_action(svc, CLI, action_id=view.id, what="Changed by the coordinator")
    await lee.press_data(old.message_id, f"ao:{view.id}:d:{view.version}")
    [reply] = await lee.wait_for()
    assert "older message" in reply.plain
    current, _ = await actions.show_action(svc, CLI, action_id=view.id)
    assert current.status is actions.ActionStatus.OPEN


async def test_forged_buttons_from_someone_else_change_nothing_and_are_logged(
    bot, client, svc, database
):
    review_id, owner = await held_review_with_owner(svc, client)
    view = await add(svc, review_id, owner)
    stranger = client.user(2999)
    [sent] = await stranger.ask("/help")
    for verb in ("d", "u", "h", "n"):
        await stranger.press_data(sent.message_id, f"ao:{view.id}:{verb}:{view.version}")
        [reply] = await stranger.wait_for()
        assert "only the owner of this action or the coordinator" in reply.plain
    current, history = await actions.show_action(svc, CLI, action_id=view.id)
    assert current.status is actions.ActionStatus.OPEN and len(history) == 1
    async with database.transaction() as session:
        refused = (
            await session.scalars(select(AuditEvent).where(AuditEvent.kind == "action_refused"))
        ).all()
    assert len(refused) == 4 and all(e.telegram_user_id == 2999 for e in refused)
    # Nor may a stranger read it or the coordinator's commands.
    [reply] = await stranger.ask(f"/action A{view.id}")
    assert "only the owner" in reply.plain
    [reply] = await stranger.ask(f"/held {review_id}")
    assert "only a review coordinator" in reply.plain


async def test_replayed_done_button_changes_nothing_more(bot, client, svc):
    review_id, owner = await held_review_with_owner(svc, client)
    view = await add(svc, review_id, owner)
    lee = client.user(2003)
    card = (await lee.ask("/myactions", count=2))[1]
    await lee.tap("✅ Done", message=card)
    await lee.press_data(card.message_id, f"ao:{view.id}:d:{view.version}")
    [reply] = await lee.wait_for()
    assert "older message" in reply.plain or "already done" in reply.plain
    _, history = await actions.show_action(svc, CLI, action_id=view.id)
    assert [h.kind for h in history] == ["created", "done"]


async def test_coordinator_edits_reassigns_and_cancels(bot, client, svc):
    review_id, owner = await held_review_with_owner(svc, client)
    family = await invitations.create_invitation(
        svc, CLI, review_id=review_id, role=Role.SOCIAL_WORKER, allow_held=True
    )
    view = await add(svc, review_id, owner)
    coord = client.user(COORDINATOR_ID)
    [card] = await coord.ask(f"/action A{view.id}")
    assert "Find a community placement" in card.plain
    [ask] = await coord.tap("📅 Change date", message=card)
    [done] = await coord.ask("10/01/2027")
    assert "changed" in done.plain
    [card] = await coord.ask(f"/action A{view.id}")
    [ask] = await coord.tap("👤 Reassign", message=card)
    label = next(x for x in ask.button_labels if x.startswith("Social worker"))
    [done] = await coord.tap(label)
    assert "now owned by the social worker" in done.plain
    [card] = await coord.ask(f"/action A{view.id}")
    [confirm] = await coord.tap("✖️ Cancel action", message=card)
    [done] = await coord.tap("Yes, cancel it")
    assert "cancelled" in done.plain
    current, history = await actions.show_action(svc, CLI, action_id=view.id)
    assert current.status is actions.ActionStatus.CANCELLED
    assert current.owner_participant_id == family.participant_id
    assert [h.kind for h in history] == ["created", "edited", "reassigned", "cancelled"]
    assert str(current.due_on) == "2027-01-10"


async def test_family_and_young_person_see_a_plain_summary(bot, client, svc, clock):
    review_id = await add_review(svc, at=svc.now() + timedelta(hours=1))
    parent = await invite(svc, review_id, Role.FAMILY)
    young = await invite(svc, review_id, Role.YOUNG_PERSON)
    clinician = await invite(svc, review_id, Role.CLINICIAN)
    await join(client.user(2001), parent.token)
    await join(client.user(2002), young.token)
    await join(client.user(2003), clinician.token)
    await actions.mark_held(svc, CLI, review_id=review_id, held_on=svc.now().date())
    done = await add(svc, review_id, clinician.participant_id, days=3, what="Medication review")
    late = await add(svc, review_id, clinician.participant_id, days=5, what="Home visit")
    await add(svc, review_id, clinician.participant_id, days=30, what="School plan")
    await actions.respond(svc, CLI, action_id=done.id, response=actions.Response.DONE)
    await actions.respond(
        svc,
        CLI,
        action_id=late.id,
        response=actions.Response.UPDATE,
        text="Private: mum was upset on the phone",
    )
    going = await add(svc, review_id, clinician.participant_id, days=40, what="Respite plan")
    await actions.respond(
        svc, CLI, action_id=going.id, response=actions.Response.UPDATE, text="Called them"
    )
    clock.advance(days=6)
    [summary] = await client.user(2001).ask("/actions")
    text = summary.plain
    assert "Medication review" in text and "done" in text
    assert "Home visit" in text and "late" in text
    assert "School plan" in text and "not started" in text
    assert "mum was upset" not in text  # never other people's private updates
    [easy] = await client.user(2002).ask("/actions")
    assert "Things people said they will do" in easy.plain and "⏰ Late" in easy.plain
    assert "mum was upset" not in easy.plain
    # The same status means the same thing for both: not started is not "being done".
    assert "School plan" in text and "in progress" in text.split("Respite plan")[1]
    yp = easy.plain
    assert "⏳ Not started yet:\nSchool plan" in yp
    assert "🔄 Being done:\nRespite plan" in yp
    assert "✅ Done:\nMedication review" in yp and "⏰ Late:\nHome visit" in yp
    [nothing] = await client.user(2999).ask("/actions")
    assert "nothing" in nothing.plain.lower() or "no actions" in nothing.plain.lower()


async def test_digest_preference(bot, client, svc):
    review_id, owner = await held_review_with_owner(svc, client)
    lee = client.user(2003)
    [reply] = await lee.ask("/digest 08:30")
    assert "08:30" in reply.plain
    [reply] = await lee.ask("/digest")
    assert "/digest 08:30" in reply.plain
    [reply] = await lee.ask("/digest off")
    assert "one message for each" in reply.plain.lower() or "again" in reply.plain
    [reply] = await client.user(2999).ask("/digest 09:00")
    assert "invitation link" in reply.plain


async def test_the_actions_views_name_the_teams_contact(bot, client, svc, clock):
    """The coordinator chooses who families contact (/team contact); the family's and the
    young person's /actions show it; without one, a way to reach someone is still given."""
    review_id = await add_review(svc, at=svc.now() + timedelta(hours=1))
    parent = await invite(svc, review_id, Role.FAMILY)
    young = await invite(svc, review_id, Role.YOUNG_PERSON)
    clinician = await invite(svc, review_id, Role.CLINICIAN)
    for uid, created in ((2001, parent), (2002, young), (2003, clinician)):
        await join(client.user(uid), created.token)
    await actions.mark_held(svc, CLI, review_id=review_id, held_on=svc.now().date())
    await add(svc, review_id, clinician.participant_id, days=3, what="Home visit")
    [before] = await client.user(2001).ask("/actions")
    assert "ask the person who invited you" in before.plain
    coord = client.user(COORDINATOR_ID)
    [usage] = await coord.ask("/team contact")
    assert "/team contact" in usage.plain
    [done] = await coord.ask("/team contact Leeds CETR team, 0113 496 0000 (weekdays)")
    assert "Leeds CETR team, 0113 496 0000 (weekdays)" in done.plain
    [family] = await client.user(2001).ask("/actions")
    assert "📞 Leeds CETR team, 0113 496 0000 (weekdays)" in family.plain
    assert "ask the person who invited you" not in family.plain
    [easy] = await client.user(2002).ask("/actions")
    assert "📞 Leeds CETR team, 0113 496 0000 (weekdays)" in easy.plain
    [refused] = await client.user(2003).ask("/team contact My own line")  # not a coordinator
    assert "My own line" not in refused.plain
    [family] = await client.user(2001).ask("/actions")
    assert "My own line" not in family.plain
    [cleared] = await coord.ask("/team contact off")
    assert "cleared" in cleared.plain
    [family] = await client.user(2001).ask("/actions")
    assert "📞" not in family.plain and "ask the person who invited you" in family.plain
