"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set), a controllable clock, the sandbox and the real bot."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from cetr_bot.config import Settings
from cetr_bot.runner import BotRunner
from cetr_bot.sandbox import Sandbox, SandboxClient, start_sandbox
from cetr_bot.services.context import Services
from cetr_bot.storage.session import Database

COORDINATOR_ID = 1001
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday


class FakeClock:
    """The services' idea of now; tests move it instead of sleeping."""

    def __init__(self, now: datetime = START) -> None:
        self.current = now

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def pytest_report_header() -> str:
    return f"database: {'PostgreSQL' if postgres_url() else 'SQLite (a new file per test)'}"


def postgres_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


async def reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture
def database_url(tmp_path) -> str:
    return Settings(
        _env_file=None, database_url=postgres_url() or f"sqlite:///{tmp_path}/t.db"
    ).database_url  # type: ignore[call-arg]


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    if database_url.startswith("postgresql"):
        await reset_postgres(database_url)
    db = Database(database_url)
    await db.upgrade()
    yield db
    await db.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    box = await start_sandbox()
    yield box
    await box.stop()


def make_settings(database_url: str, sandbox: Sandbox | None = None, **extra: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "coordinator_ids": [COORDINATOR_ID],
        "bot_token": sandbox.token if sandbox else None,
        "telegram_api_url": sandbox.url if sandbox else "https://api.telegram.org",
    }
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


@pytest.fixture
def settings(database_url: str, sandbox: Sandbox) -> Settings:
    return make_settings(database_url, sandbox)


@pytest.fixture
def svc(database: Database, settings: Settings, clock: FakeClock) -> Services:
    return Services(db=database, settings=settings, clock=clock)


@pytest.fixture
async def bot(svc: Services) -> AsyncIterator[BotRunner]:
    runner = BotRunner(svc, poll_timeout=1)
    await runner.start()
    yield runner
    await runner.stop()


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sandbox.url) as c:
        yield c
