"""The key ring over a real database: old keys still read, `keys rotate` moves every value
to the newest key (idempotently), and a key that is gone leaves the data unreadable."""

from __future__ import annotations

import asyncio
import json

import pytest
from alembic import command
from sqlalchemy import select, text

from cetr_bot.cli import main
from cetr_bot.domain import Role
from cetr_bot.services import actions
from cetr_bot.storage import keys
from cetr_bot.storage.encrypted import DecryptionError, KeyRing, generate_key, key_id_of
from cetr_bot.storage.models import Person
from cetr_bot.storage.models_actions import Action
from cetr_bot.storage.session import Database, alembic_config
from tests.conftest import TEST_KEYS
from tests.crypto.test_at_rest import raw_dump
from tests.helpers import CLI
from tests.preparation.helpers import join_as

WHAT = "Book the speech and language assessment"


async def _some_data(svc, client) -> None:
    joined = await join_as(svc, client, Role.FAMILY, 2001, first_name="Dana")
    svc.clock.advance(days=30)  # the review has happened: actions may be recorded
    await actions.mark_held(svc, CLI, review_id=joined.review_id, held_on=None)
    await actions.add_action(
        svc,
        CLI,
        review_id=joined.review_id,
        owner_participant_id=joined.participant_id,
        what=WHAT,
        due_on=svc.now().date(),
    )


def _encrypted(dump: list[tuple[str, str, str]]) -> list[str]:
    return [v for _, _, v in dump if v.startswith("v1:")]


async def test_rotate_reencrypts_everything_under_the_newest_key(
    bot, client, svc, database_url, capsys, monkeypatch, tmp_path
):
    await _some_data(svc, client)
    before = _encrypted(await raw_dump(database_url))
    assert before and {key_id_of(v) for v in before} == {"test1"}

    new = generate_key()
    new_id = new.partition(":")[0]
    ring = KeyRing.parse(f"{new},{TEST_KEYS}")
    both = Database(database_url, keys=ring)
    try:
        async with both.transaction() as session:  # the old key still reads
            assert await session.scalar(select(Action.what)) == WHAT
        results = await keys.rotate(both, batch_size=2)  # several batches per column
        moved = {r.column: r.reencrypted for r in results}
        assert moved["actions.what"] == 1 and moved["people.preferred_name"] >= 1
        assert sum(moved.values()) == len(before)
        again = await keys.rotate(both, batch_size=2)
        assert sum(r.reencrypted for r in again) == 0
        assert sum(r.current for r in again) == len(before)
    finally:
        await both.dispose()

    after = _encrypted(await raw_dump(database_url))
    assert len(after) == len(before) and {key_id_of(v) for v in after} == {new_id}

    only_new = Database(database_url, keys=KeyRing.parse(new))
    only_old = Database(database_url, keys=KeyRing.parse(TEST_KEYS))
    try:
        async with only_new.transaction() as session:
            assert await session.scalar(select(Action.what)) == WHAT
            assert await session.scalar(select(Person.preferred_name)) == "Dana"
        with pytest.raises(DecryptionError, match="not in the ring"):
            async with only_old.transaction() as session:
                await session.scalar(select(Action.what))
    finally:
        await only_new.dispose()
        await only_old.dispose()

    # The command line does the same, and says what it did.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    newest = generate_key()
    monkeypatch.setenv("DATA_ENCRYPTION_KEYS", f"{newest},{new}")
    assert await asyncio.to_thread(main, ["keys", "rotate"]) == 0
    out = capsys.readouterr().out
    assert "actions.what: 1 re-encrypted, 0 already current" in out
    assert f"{len(before)} values re-encrypted" in out
    assert newest.partition(":")[2] not in out and new.partition(":")[2] not in out
    assert await asyncio.to_thread(main, ["keys", "rotate"]) == 0
    assert "Nothing to do" in capsys.readouterr().out
    final = _encrypted(await raw_dump(database_url))
    assert {key_id_of(v) for v in final} == {newest.partition(":")[0]}


async def test_migration_0014_encrypts_existing_plaintext(database_url):
    from tests.teams.test_migration import _fresh, _upgrade

    db = await _fresh(database_url)
    try:
        await _upgrade(db, "0012")
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO people (id, telegram_user_id, chat_id, preferred_name, language,"
                    " created_at) VALUES (1, 2001, 2001, 'Legacy Name', 'en', "
                    "'2026-01-01 00:00:00')"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO pending_inputs (telegram_user_id, kind, data, updated_at) "
                    "VALUES (2001, 'concern', '{\"draft\": \"legacy draft\"}', "
                    "'2026-01-01 00:00:00')"
                )
            )
        await _upgrade(db, "head")
        async with db.engine.begin() as conn:
            name = await conn.scalar(text("SELECT preferred_name FROM people"))
            data = await conn.scalar(text("SELECT data FROM pending_inputs"))
        assert name.startswith("v1:test1:") and "Legacy" not in name
        assert data.startswith("v1:test1:") and "legacy" not in data
        from cetr_bot.storage.models import PendingInput

        async with db.transaction() as session:
            assert await session.scalar(select(Person.preferred_name)) == "Legacy Name"
            pending = await session.get(PendingInput, 2001)
            assert pending is not None and pending.data == {"draft": "legacy draft"}
        await _upgrade(db, "head")  # again: nothing is encrypted twice
        async with db.transaction() as session:
            assert await session.scalar(select(Person.preferred_name)) == "Legacy Name"

        def down(connection) -> None:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "0012")

        async with db.engine.begin() as conn:
            await conn.run_sync(down)
            assert await conn.scalar(text("SELECT preferred_name FROM people")) == "Legacy Name"
            data = await conn.scalar(text("SELECT data FROM pending_inputs"))
        assert (json.loads(data) if isinstance(data, str) else data) == {"draft": "legacy draft"}
    finally:
        await db.dispose()
