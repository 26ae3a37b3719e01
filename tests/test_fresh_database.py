"""Every test's database is a fresh copy of the migrated template. On PostgreSQL the
worker's database is put back in place between tests (tests/fresh_database.py): these
tests prove that what it is put back to equals the template, table by table, row by row,
sequence by sequence, with the same schema, and that a changed schema gets a new copy."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from cetr_bot.domain import Role
from cetr_bot.services.context import Services
from cetr_bot.storage.session import Database
from tests import conftest, fresh_database
from tests.helpers import add_review, invite

pytestmark = pytest.mark.skipif(
    not conftest.postgres_url(), reason="SQLite: each test's database is a copy of the file"
)


async def _template() -> asyncpg.Connection:
    return await fresh_database.connect(conftest._templates["postgresql"])


async def assert_equals_the_template(database_url: str) -> None:
    template, copy = await _template(), await fresh_database.connect(database_url)
    try:
        expected = await fresh_database.capture(template)
        assert await fresh_database.fingerprint(copy) == expected.fingerprint
        assert [r[0] for r in await copy.fetch(fresh_database.TABLES)] == expected.tables
        for table in expected.tables:
            assert await fresh_database.table_rows(copy, table) == (
                await fresh_database.table_rows(template, table)
            ), table
        sequences = [r[0] for r in await copy.fetch(fresh_database.SEQUENCES)]
        assert sequences == list(expected.sequences)
        assert await fresh_database.sequence_states(copy, sequences) == expected.sequences
    finally:
        await template.close()
        await copy.close()


async def database_oid(database_url: str) -> int:
    conn = await fresh_database.connect(database_url)
    try:
        return int(
            await conn.fetchval(
                "SELECT oid FROM pg_database WHERE datname = $1", make_url(database_url).database
            )
        )
    finally:
        await conn.close()


async def write_everywhere(svc: Services, database_url: str) -> None:
    """A test's worth of writes: reviews, people, invitations, audit events; every
    sequence moved on; the migrations' own rows changed; a write rolled back."""
    review_id = await add_review(svc)
    await add_review(svc, ref="YP-0043")
    for role in (Role.FAMILY, Role.YOUNG_PERSON):
        await invite(svc, review_id, role)
    conn = await fresh_database.connect(database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM audit_events") > 0
        for name in [r[0] for r in await conn.fetch(fresh_database.SEQUENCES)]:
            await conn.fetchval(f"SELECT nextval('{name}')")
        await conn.execute("UPDATE alembic_version SET version_num = 'elsewhere'")
        await conn.execute("DELETE FROM send_pacing")
        tx = conn.transaction()
        await tx.start()
        await conn.execute(
            "INSERT INTO young_people (ref, setting, created_at) "
            "VALUES ('YP-GONE', 'community', now())"
        )
        await tx.rollback()
    finally:
        await conn.close()


async def test_a_database_put_back_equals_the_template(
    database: Database, database_url: str, svc: Services, template_folder: Path, monkeypatch
):
    monkeypatch.delenv("TEST_DATABASE_RESET", raising=False)  # the put-back, whatever is set
    await assert_equals_the_template(database_url)  # as this test was given it
    before = await database_oid(database_url)
    await write_everywhere(svc, database_url)
    left_open = Database(database_url)  # a pool the test forgot: ended by the reset
    async with left_open.transaction() as session:
        await session.execute(text("SELECT 1"))
    await database.dispose()

    await conftest._fresh_copy(database_url, template_folder)  # what the next test gets

    assert await database_oid(database_url) == before  # put back, not made again
    await assert_equals_the_template(database_url)
    conn = await fresh_database.connect(database_url)
    try:  # the used tables are back to no pages at all: no dead rows left behind
        sizes = {r[0]: r[1] for r in await conn.fetch(fresh_database.TABLES)}
        assert sizes["public.people"] == 0 and sizes["public.audit_events"] == 0
        # audit_events is still append-only for everyone else
        await conn.execute(
            "INSERT INTO audit_events (at, kind, detail) VALUES (now(), 'test', '{}')"
        )
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await conn.execute("DELETE FROM audit_events")
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await conn.execute("TRUNCATE audit_events")
    finally:
        await conn.close()
    await left_open.dispose()


async def test_a_changed_schema_gets_a_new_copy(
    database: Database, database_url: str, template_folder: Path
):
    before = await database_oid(database_url)
    async with database.transaction() as session:
        await session.execute(text("ALTER TABLE people ADD COLUMN extra text"))
    await database.dispose()
    conn = await fresh_database.connect(database_url)
    try:
        with pytest.raises(fresh_database.NotResettable, match="schema changed"):
            await fresh_database.reset(
                conn, conftest._fresh_states[make_url(database_url).database or ""]
            )
    finally:
        await conn.close()

    await conftest._fresh_copy(database_url, template_folder)

    assert await database_oid(database_url) != before  # a new copy
    await assert_equals_the_template(database_url)
