"""Migration 0007: reviews from before teams go to the team named "default"."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from cetr_bot.storage.session import Database, alembic_config
from tests.conftest import reset_postgres


async def _upgrade(db: Database, revision: str) -> None:
    def run(connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(run)


async def _fresh(database_url: str) -> Database:
    if database_url.startswith("postgresql"):
        await reset_postgres(database_url)
    return Database(database_url)


async def test_existing_reviews_join_the_default_team(database_url):
    db = await _fresh(database_url)
    try:
        await _upgrade(db, "0006")
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO young_people (id, ref, setting, created_at) "
                    "VALUES (1, 'YP-OLD', 'community', '2026-01-01 00:00:00')"
                )
            )
            for review_id in (1, 2):
                await conn.execute(
                    text(
                        "INSERT INTO reviews (id, young_person_id, type, scheduled_at, status, "
                        "sequence, created_at, updated_at) VALUES (:id, 1, 'community', "
                        "'2026-12-01 10:00:00', 'scheduled', 0, '2026-01-01 00:00:00', "
                        "'2026-01-01 00:00:00')"
                    ),
                    {"id": review_id},
                )
        await _upgrade(db, "head")
        async with db.engine.begin() as conn:
            teams = (await conn.execute(text("SELECT id, name FROM teams"))).all()
            assigned = (await conn.execute(text("SELECT team_id FROM reviews"))).scalars().all()
        assert [name for _, name in teams] == ["default"]
        assert assigned == [teams[0][0]] * 2
    finally:
        await db.dispose()


async def test_an_empty_database_gets_no_team(database_url):
    db = await _fresh(database_url)
    try:
        await _upgrade(db, "head")
        async with db.engine.begin() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM teams"))).scalar() == 0
    finally:
        await db.dispose()
