"""The next review's preparation asks about each action from the last one, and the
answers are kept with the action."""

from __future__ import annotations

from datetime import timedelta

from cetr_bot.domain import Role
from cetr_bot.services import actions
from tests.actions.helpers import add
from tests.helpers import CLI, add_review, invite, join
from tests.preparation.helpers import START, answer, questions


async def test_each_last_action_is_asked_and_kept_with_the_action(bot, client, svc, clock):
    first = await add_review(svc, at=svc.now() + timedelta(hours=1))
    clinician = await invite(svc, first, Role.CLINICIAN)
    await join(client.user(2003), clinician.token)
    await actions.mark_held(svc, CLI, review_id=first, held_on=svc.now().date())
    placement = await add(svc, first, clinician.participant_id, what="Find a placement")
    school = await add(svc, first, clinician.participant_id, what="Arrange school")
    clock.advance(days=2)
    second = await add_review(svc, at=svc.now() + timedelta(days=60))
    parent = await invite(svc, second, Role.FAMILY)
    mum = client.user(2001)
    await join(mum, parent.token)
    replies = await mum.tap(START)
    asked_about: list[str] = []
    for question in questions(Role.FAMILY):
        shown = replies[-1].plain
        if question.hook == "last_review_actions":
            for title, label in (
                ("Find a placement", "✅ Done"),
                ("Arrange school", "❌ Not started"),
            ):
                assert title in shown
                asked_about.append(title)
                replies = await mum.tap(label)
                shown = replies[-1].plain
            continue
        replies = await answer(mum, question)
    assert asked_about == ["Find a placement", "Arrange school"]
    _, history = await actions.show_action(svc, CLI, action_id=placement.id)
    assert [(h.kind, h.text) for h in history][-1] == ("prep_status", "✅ Done")
    _, history = await actions.show_action(svc, CLI, action_id=school.id)
    assert [(h.kind, h.text) for h in history][-1] == ("prep_status", "❌ Not started")
