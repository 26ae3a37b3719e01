"""One consent rule for the panel pack, however it is asked for: without the young
person's consent or a best-interests decision the panel gets a kind "held back" and the
coordinator is told who asked; the coordinator still gets it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from cetr_bot.domain import Role
from cetr_bot.services import pack
from cetr_bot.services.context import Actor
from cetr_bot.services.errors import Invalid
from cetr_bot.storage.models import AuditEvent
from tests.conftest import COORDINATOR_ID
from tests.preparation.helpers import join_as
from tests.reminders.helpers import pending, tick
from tests.trust.helpers import young_person_consents


async def _review_with_chair(svc, client, *, consents: bool):
    yp = await join_as(svc, client, Role.YOUNG_PERSON, 2002, first_name="Sam")
    if consents:
        await young_person_consents(yp.user)
    chair = await join_as(svc, client, Role.PANEL_CHAIR, 2004, review_id=yp.review_id)
    await chair.user.settle()
    return yp, chair


async def test_pack_asked_for_by_the_panel_without_consent_is_held_back(bot, client, svc):
    coord = client.user(COORDINATOR_ID)
    await coord.ask("/start")
    yp, chair = await _review_with_chair(svc, client, consents=False)
    review_id = yp.review_id
    await tick(svc, bot)
    await coord.settle()  # the join notices
    [held] = await chair.user.ask(f"/pack {review_id}")
    assert held.document is None
    assert "held back until the young person's consent" in held.plain
    await tick(svc, bot)
    [told] = await coord.wait_for()
    assert f"panel chair of review #{review_id} (P{chair.participant_id})" in told.plain
    assert "held back" in told.plain and f"/bestinterests {review_id}" in told.plain
    assert "Sam" not in told.plain and "YP-0042" not in told.plain
    # Asking again the same day: held back again, the coordinator is not told twice.
    [again] = await chair.user.ask(f"/pack {review_id}")
    assert again.document is None and "held back" in again.plain
    svc.clock.current += timedelta(minutes=1)
    await tick(svc, bot)
    assert await coord.settle() == []
    # The refusal is recorded (the transaction is committed before the answer).
    async with svc.db.transaction() as session:
        kinds = list(await session.scalars(select(AuditEvent.kind)))
    assert kinds.count("pack_held_back") == 2
    # The coordinator still gets it, to chase consent with.
    docs = await coord.ask(f"/pack {review_id}", count=2)
    assert docs[0].document is not None


async def test_with_the_young_persons_consent_the_panel_gets_it(bot, client, svc):
    yp, chair = await _review_with_chair(svc, client, consents=True)
    docs = await chair.user.ask(f"/pack {yp.review_id}", count=2)
    assert docs[0].document["file_name"] == f"cetr-review-{yp.review_id}-pack-v1.html"
    assert docs[1].document["file_name"].endswith(".pdf")


async def test_a_best_interests_decision_opens_it_too(bot, client, svc):
    yp, chair = await _review_with_chair(svc, client, consents=False)
    coord = client.user(COORDINATOR_ID)
    [done] = await coord.ask(f"/bestinterests {yp.review_id} Not able to decide at present")
    assert "Best-interests decision recorded" in done.plain
    docs = await chair.user.ask(f"/pack {yp.review_id}", count=2)
    assert docs[0].document is not None


async def test_withdrawn_consent_closes_it_again_for_every_way_of_asking(bot, client, svc):
    yp, chair = await _review_with_chair(svc, client, consents=True)
    actor = Actor(2004, 2004)
    assert (await pack.pack_for(svc, actor, review_id=yp.review_id)).review_id == yp.review_id
    assert chair.user.user_id in {r.chat_id for r in await pending(svc) if r.kind == "pack"}
    await yp.user.settle()
    await yp.user.ask("/consent")
    await yp.user.tap("🔒 Panel cannot see them")
    with pytest.raises(Invalid) as refused:
        await pack.pack_for(svc, actor, review_id=yp.review_id)
    assert refused.value.key == "pack_held_back"
    assert chair.user.user_id not in {r.chat_id for r in await pending(svc) if r.kind == "pack"}


def test_the_rule_itself():
    from cetr_bot.storage.models import Participant

    chair = Participant(role="chair")
    deputy = Participant(role="chair", deputy_for_id=1)
    approved = Participant(role="chair", deputy_for_id=1, approved_at=object())
    family = Participant(role="family")

    def rule(places, given, coordinator=False):
        return pack.access(coordinator=coordinator, places=places, consent_given=given)

    assert rule([], False, coordinator=True) == pack.READ
    assert rule([chair], True) == pack.READ
    assert rule([chair], False) == pack.HELD
    assert rule([deputy], True) == pack.AWAITING_APPROVAL
    assert rule([approved], True) == pack.READ
    assert rule([approved], False) == pack.HELD
    assert rule([family], True) == pack.REFUSED
    assert rule([], True) == pack.REFUSED


async def test_the_cli_on_behalf_of_a_panel_member_follows_the_same_rule(
    bot, client, svc, monkeypatch, tmp_path, database_url, capsys
):
    import asyncio

    from cetr_bot.cli import main

    yp, chair = await _review_with_chair(svc, client, consents=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    target = tmp_path / "pack.html"
    args = ["pack", str(yp.review_id), "-o", str(target), "--for", str(chair.participant_id)]
    assert await asyncio.to_thread(main, args) == 1
    assert "held back" in capsys.readouterr().err and not target.exists()
    assert await asyncio.to_thread(main, args[:4]) == 0  # the operator's own copy
    target.unlink()
    await young_person_consents(yp.user)
    assert await asyncio.to_thread(main, args) == 0 and target.exists()
