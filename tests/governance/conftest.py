"""The governance tests: the reminder tests' settings (fast pacing, no background
dispatch job), so the clock is the test's alone."""

import asyncio

import pytest

from cetr_bot.services.context import Services
from cetr_bot.storage.session import Database
from tests.conftest import COORDINATOR_ID
from tests.reminders.conftest import extra_settings, settings  # noqa: F401


@pytest.fixture
def env(monkeypatch, database_url, database, tmp_path, clock):
    """The CLI on the test database, with the test's clock."""
    from cetr_bot import runner

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("COORDINATOR_IDS", str(COORDINATOR_ID))
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    real = runner.open_services

    async def with_clock(given, **options):
        svc = await real(given, **options)
        svc.clock = clock
        return svc

    monkeypatch.setattr(runner, "open_services", with_clock)
    return database_url


@pytest.fixture
def do(database_url, settings, clock):  # noqa: F811 (the fixture imported above)
    """Run `make(svc)` on its own event loop with its own connections (the CLI tests are
    synchronous: each asyncio.run is a new loop, and asyncpg's pool belongs to one)."""

    def run(make):
        async def go():
            db = Database(database_url)
            try:
                return await make(Services(db=db, settings=settings, clock=clock))
            finally:
                await db.dispose()

        return asyncio.run(go())

    return run
