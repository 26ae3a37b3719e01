"""Migration 0008 on a database at 0006 holding the old state: a young person's deputy
who joined as the young person (and consented), and an unused link of the same kind.
After the upgrade they are deputies *for* the young person: their consent does not
count, /review N warns the coordinator, and the unused link is refused kindly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from cetr_bot.domain import Role
from cetr_bot.services import actions, consent, invitations, reviews
from cetr_bot.services.context import Actor, Services
from cetr_bot.services.errors import Invalid
from cetr_bot.storage.models import Participant
from cetr_bot.storage.session import Database, alembic_config
from cetr_bot.text import Texts
from tests.conftest import START, FakeClock, make_settings, reset_postgres
from tests.helpers import CLI

TOKEN = "an-old-young-person-deputy-link-0123"
T0 = START.replace(tzinfo=None)  # naive UTC, as stored
AT = T0 + timedelta(days=21)

ROWS = [
    "INSERT INTO young_people (id, ref, setting, created_at) VALUES"
    " (1, 'YP-OLD-1', 'inpatient', :t0), (2, 'YP-OLD-2', 'inpatient', :t0)",
    "INSERT INTO reviews (id, young_person_id, type, scheduled_at, status, sequence,"
    " created_at, updated_at) VALUES (1, 1, 'inpatient', :at, 'scheduled', 0, :t0, :t0),"
    " (2, 2, 'inpatient', :at, 'scheduled', 0, :t0, :t0)",
    "INSERT INTO people (id, telegram_user_id, chat_id, preferred_name, language, created_at)"
    " VALUES (1, 3001, 3001, 'Sam', 'en', :t0), (2, 3002, 3002, 'Pat', 'en', :t0),"
    " (3, 3003, 3003, 'Ash', 'en', :t0)",
    # Review 1: the young person (P1) sent a deputy (P2) who joined as the young person.
    # Review 2: the young person (P5) made a link (P6) nobody has used yet.
    "INSERT INTO participants (id, review_id, role, person_id, joined_at, created_at) VALUES"
    " (1, 1, 'young-person', 1, :t0, :t0), (2, 1, 'young-person', 2, :t0, :t0),"
    " (3, 1, 'family', 3, :t0, :t0), (5, 2, 'young-person', NULL, NULL, :t0),"
    " (6, 2, 'young-person', NULL, NULL, :t0)",
    "INSERT INTO invitations (id, participant_id, token_hash, created_at, expires_at) VALUES"
    " (1, 6, :token_hash, :t0, :at)",
    "INSERT INTO attendance (participant_id, review_id, status, alternative,"
    " deputy_participant_id, updated_at) VALUES (1, 1, 'cannot', 'deputy', 2, :t0),"
    " (5, 2, 'cannot', 'deputy', 6, :t0), (3, 1, 'in_person', NULL, NULL, :t0)",
    # The deputy said yes to sharing, as if they were the young person.
    "INSERT INTO consent_records (id, review_id, participant_id, subject, decision, basis,"
    " method, recorded_by, recorded_by_role, at) VALUES"
    " (1, 1, 2, 'share', 'yes', 'young_person', 'bot_buttons', 3002, 'young-person', :t0)",
]


def _upgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


@pytest.fixture
async def old_state(database_url: str) -> AsyncIterator[Services]:
    if database_url.startswith("postgresql"):
        await reset_postgres(database_url)
    db = Database(database_url)
    params = {"t0": T0, "at": AT, "token_hash": invitations.hash_token(TOKEN)}
    async with db.engine.begin() as conn:
        await conn.run_sync(_upgrade, "0006")
        for statement in ROWS:
            await conn.execute(text(statement), params)
    await db.upgrade()
    yield Services(db=db, settings=make_settings(database_url), clock=FakeClock())
    await db.dispose()


async def test_old_young_person_deputies_are_flagged(old_state: Services):
    svc = old_state
    async with svc.db.transaction() as session:
        marked = {
            p.id: p.deputy_for_id
            for p in await session.scalars(select(Participant).order_by(Participant.id))
        }
        state = await consent.consent_state(session, 1)
    assert marked == {1: None, 2: 1, 3: None, 5: None, 6: 5}
    assert state.share is None and not state.share_allowed  # the deputy's "yes" is ignored
    detail = await reviews.review_detail(svc, CLI, 1)
    shown = Texts(svc.settings.zone).render("coordinator/review", detail=detail)
    assert "Joined as the young person through a deputy link" in shown
    assert "P2 (Pat) joined in place of the young person (P1)" in shown
    assert "deputy for P1" in shown


async def test_after_the_upgrade_the_old_deputy_has_no_young_person_powers(old_state: Services):
    svc = old_state
    with pytest.raises(Invalid) as refused:
        await consent.consent_view(svc, Actor(3002, 3002))
    assert refused.value.key == "consent_young_person_only"
    view = await consent.consent_view(svc, Actor(3001, 3001))  # the real young person
    assert view.participant_id == 1
    # The plain actions summary: the young person's easy-read one is theirs alone.
    assert (await actions.family_summary(svc, Actor(3001, 3001)))[0] is Role.YOUNG_PERSON
    assert (await actions.family_summary(svc, Actor(3002, 3002)))[0] is Role.FAMILY


async def test_an_unused_old_link_for_the_young_persons_place_is_refused(old_state: Services):
    svc = old_state
    with pytest.raises(Invalid) as refused:
        await invitations.redeem(svc, Actor(3009, 3009, "Eve"), token=TOKEN)
    assert refused.value.key == "invite_not_for_deputy"
    async with svc.db.transaction() as session:
        assert (await session.get_one(Participant, 6)).person_id is None
    assert "Only the young person can take part as the young person" in Texts(
        svc.settings.zone
    ).render("errors/invite_not_for_deputy")
