"""Migrations in production: `cetr-bot db upgrade` is the one place they run when
AUTO_MIGRATE is false; concurrent upgrades on PostgreSQL wait for each other."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect

from cetr_bot.config import ConfigError, load_settings
from cetr_bot.runner import open_services
from cetr_bot.storage.session import Database, SchemaNotCurrent
from tests.conftest import make_settings, reset_postgres

ROOT = Path(__file__).resolve().parents[2]
on_postgres = pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
    reason="needs PostgreSQL (set TEST_DATABASE_URL)",
)


@pytest.fixture
async def empty_database(database_url: str, database: Database) -> str:
    """The test's database with nothing in it (no tables, no alembic_version)."""
    await database.dispose()
    if database_url.startswith("postgresql"):
        await reset_postgres(database_url)
    else:
        await asyncio.to_thread(os.remove, database_url.removeprefix("sqlite+aiosqlite:///"))
    return database_url


async def tables(url: str) -> set[str]:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await db.dispose()


@on_postgres
async def test_two_concurrent_upgrades_of_a_fresh_database_both_succeed(empty_database):
    first, second = Database(empty_database), Database(empty_database)
    try:
        await asyncio.gather(first.upgrade(), second.upgrade())
        current, heads = await first.revisions()
        assert current == heads
    finally:
        await first.dispose()
        await second.dispose()
    assert {"reviews", "reminders", "send_pacing"} <= await tables(empty_database)


async def test_auto_migrate_false_does_not_migrate_and_refuses_an_old_schema(empty_database):
    settings = make_settings(empty_database, auto_migrate=False)
    with pytest.raises(SchemaNotCurrent, match="run `cetr-bot db upgrade`"):
        await open_services(settings)
    assert "alembic_version" not in await tables(empty_database)
    svc = await open_services(settings, upgrade=True)  # what `cetr-bot db upgrade` does
    await svc.db.dispose()
    svc = await open_services(settings)  # at head now: starts
    await svc.db.dispose()


def cli_env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_FILE")}
    return {**env, "DATABASE_URL": url, "BOT_TOKEN": "123456:test", **extra}


async def run(*args: str, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args, env=env, cwd=ROOT, stderr=asyncio.subprocess.PIPE
    )
    _, err = await process.communicate()
    return process.returncode or 0, err.decode()


CLI = ("-c", "from cetr_bot.cli import main; raise SystemExit(main())")


async def test_run_and_worker_refuse_to_start_on_an_unmigrated_schema(empty_database):
    env = cli_env(empty_database, AUTO_MIGRATE="false")
    code, err = await run(*CLI, "run", env=env)
    assert code == 2 and "run `cetr-bot db upgrade` first" in err
    code, err = await run("-m", "cetr_bot.worker", "--until-idle", env=env)
    assert code == 2 and "not at" in err
    assert "alembic_version" not in await tables(empty_database)
    code, err = await run(*CLI, "db", "upgrade", env=env)  # the one place it migrates
    assert code == 0, err
    assert "alembic_version" in await tables(empty_database)


def test_any_setting_can_be_read_from_a_file(tmp_path, monkeypatch):
    (tmp_path / "token").write_text("123456:from-a-file\n")
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.setenv("BOT_TOKEN_FILE", str(tmp_path / "token"))
    settings = load_settings(_env_file=None)
    assert settings.bot_token is not None
    assert settings.bot_token.get_secret_value() == "123456:from-a-file"
    monkeypatch.setenv("BOT_TOKEN", "123456:inline")
    with pytest.raises(ConfigError, match="BOT_TOKEN or BOT_TOKEN_FILE, not both"):
        load_settings(_env_file=None)
    monkeypatch.delenv("BOT_TOKEN")
    monkeypatch.setenv("BOT_TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(_env_file=None)
