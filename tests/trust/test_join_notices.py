"""The coordinator is told whenever someone joins: one discreet message (role, review
number and participant number; no name, no reference), or a line in their daily digest
if they chose one (/digest). A deputy's join is told at once whatever they chose."""

from __future__ import annotations

from datetime import UTC, datetime

from cetr_bot.domain import Role
from tests.conftest import COORDINATOR_ID
from tests.helpers import add_review, invite, join, token_in
from tests.preparation.helpers import join_as
from tests.reminders.helpers import tick
from tests.trust.helpers import CANNOT, DEPUTY, rsvp_card

ROLES = (
    (Role.YOUNG_PERSON, "young person"),
    (Role.FAMILY, "family member or carer"),
    (Role.CLINICIAN, "responsible clinician"),
    (Role.PANEL_CHAIR, "panel chair"),
    (Role.ADVOCATE, "advocate"),
)


async def test_every_join_tells_the_coordinator_once_and_discreetly(bot, client, svc):
    review_id = await add_review(svc, ref="YP-0042")
    coord = client.user(COORDINATOR_ID)
    await coord.ask("/start")
    numbers = {}
    for n, (role, words) in enumerate(ROLES):
        created = await invite(svc, review_id, role)
        await join(client.user(2101 + n, first_name=f"Name{n}"), created.token)
        numbers[f"P{created.participant_id}."] = words
    await tick(svc, bot)
    notices = [m for m in await coord.settle() if "joined" in m.plain]
    assert len(notices) == len(ROLES)
    for number, words in numbers.items():  # one each, in whatever order they went out
        [notice] = [m for m in notices if m.plain.endswith(number)]
        assert f"review #{review_id}" in notice.plain and words in notice.plain.lower()
        assert "YP-0042" not in notice.plain and "Name" not in notice.plain
    await tick(svc, bot)  # each is told once
    assert [m for m in await coord.settle() if "joined" in m.plain] == []


async def test_a_coordinator_with_a_digest_hears_of_joins_in_it(bot, client, svc):
    review_id = await add_review(svc, ref="YP-0042")
    coord = client.user(COORDINATOR_ID)
    [set_] = await coord.ask("/digest 08:30")
    assert "08:30" in set_.plain
    family = await invite(svc, review_id, Role.FAMILY)
    await join(client.user(2001, first_name="Dana"), family.token)
    clinician = await invite(svc, review_id, Role.CLINICIAN)
    await join(client.user(2003, first_name="Lee"), clinician.token)
    await tick(svc, bot)
    assert [m for m in await coord.settle() if "joined" in m.plain.lower()] == []

    yp = await join_as(svc, client, Role.YOUNG_PERSON, 2002, review_id=review_id)
    await tick(svc, bot)
    assert [m for m in await coord.settle() if "joined" in m.plain.lower()] == []

    # A deputy's join needs the coordinator now (a panel deputy waits for their approval).
    chair = await join_as(svc, client, Role.PANEL_CHAIR, 2004, review_id=review_id)
    [offer] = await chair.user.tap(CANNOT, message=rsvp_card(chair.greeting))
    [link] = await chair.user.tap(DEPUTY, message=offer)
    await join(client.user(2005, first_name="Pat"), token_in(link.plain))
    await tick(svc, bot)
    [deputy] = [m for m in await coord.settle() if "joined" in m.plain]
    assert "as a deputy for the panel chair" in deputy.plain and deputy.button_labels

    await tick(svc, bot, at=datetime(2026, 11, 24, 8, 31, tzinfo=UTC))  # the next 08:30
    [digest] = [m for m in await coord.settle() if "Joined since your last digest" in m.plain]
    text = digest.plain
    assert f"review #{review_id} as family member or carer · P{family.participant_id}" in text
    assert f"review #{review_id} as responsible clinician" in text
    assert f"review #{review_id} as young person · P{yp.participant_id}" in text
    assert f"review #{review_id} as panel chair" in text
    assert "deputy" not in text  # told at once already
    assert "Dana" not in text and "Lee" not in text and "YP-0042" not in text
    assert "Your actions today" not in text  # this coordinator owns no action
    await tick(svc, bot, at=datetime(2026, 11, 25, 8, 31, tzinfo=UTC))  # nobody new: nothing
    assert [m for m in await coord.settle() if "Joined since" in m.plain] == []
