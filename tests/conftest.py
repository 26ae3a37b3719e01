"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set), a controllable clock, the sandbox and the real bot.

Each worker process (pytest-xdist) migrates one template database at its start;
every test then gets a fresh copy of it: a file copy on SQLite; on PostgreSQL the
worker's own database (named after TEST_DATABASE_URL's and the worker), made once by
CREATE DATABASE … TEMPLATE and put back to that state between tests (see
tests/fresh_database.py; TEST_DATABASE_RESET=copy makes a new copy for every test).

On PostgreSQL only the tests that use a database run (those that ask for `database_url`,
or whose module reads TEST_DATABASE_URL): the others gave their answer on the SQLite
pass already. TEST_ALL_ON_POSTGRES=1 runs them too."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from cetr_bot.config import Settings
from cetr_bot.demo import run_demo
from cetr_bot.runner import BotRunner
from cetr_bot.sandbox import Sandbox, SandboxClient, start_sandbox
from cetr_bot.services.context import Services
from cetr_bot.storage.encrypted import KeyRing
from cetr_bot.storage.session import Database, set_default_key_ring
from tests import fresh_database

COORDINATOR_ID = 1001

# Every test's data encryption key: the default ring of a Database made in a test, and in
# the environment for the settings and the subprocesses (CLI, worker) the tests start.
TEST_KEYS = "test1:" + "dGVzdC1rZXktb25lLXRlc3Qta2V5LW9uZS10ZXN0LWs="
os.environ["DATA_ENCRYPTION_KEYS"] = TEST_KEYS
os.environ.pop("ENVIRONMENT", None)
set_default_key_ring(KeyRing.parse(TEST_KEYS))
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday


class FakeClock:
    """The services' idea of now; tests move it instead of sleeping."""

    def __init__(self, now: datetime = START) -> None:
        self.current = now

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def pytest_report_header() -> list[str]:
    if not postgres_url():
        return ["database: SQLite, a copy of a migrated template per test"]
    how = "a new copy" if _copy_every_time() else "put back to a fresh copy's state"
    lines = [f"database: PostgreSQL, a migrated template's copy per worker, {how} per test"]
    if not _all_on_postgres():
        lines.append(
            "tests that use no database run on the SQLite pass only "
            "(TEST_ALL_ON_POSTGRES=1 runs them here too)"
        )
    return lines


def _all_on_postgres() -> bool:
    return os.environ.get("TEST_ALL_ON_POSTGRES", "") not in ("", "0")


def _copy_every_time() -> bool:
    return os.environ.get("TEST_DATABASE_RESET", "") == "copy"


_module_reads_url: dict[str, bool] = {}


def uses_a_database(item: pytest.Item) -> bool:
    """Whether a test can behave differently on PostgreSQL: it asks for `database_url`
    (directly or through `database`, `svc`, `bot`…), or its module reads TEST_DATABASE_URL
    itself (postgres_url(), the skips of the PostgreSQL-only tests). The demo's tests
    (played_demo: always its own embedded SQLite) and the pure unit tests use none."""
    if "database_url" in getattr(item, "fixturenames", ()):
        return True
    path = str(item.path)
    if path not in _module_reads_url:
        source = Path(path).read_text(encoding="utf-8")
        _module_reads_url[path] = "postgres_url(" in source or "TEST_DATABASE_URL" in source
    return _module_reads_url[path]


_NO_DATABASE = "cetr_no_database_tests"
_no_database_key = pytest.StashKey[int]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, leave out the tests that use no database (see uses_a_database)."""
    if not postgres_url() or _all_on_postgres():
        return
    kept = [item for item in items if uses_a_database(item)]
    left_out = [item for item in items if not uses_a_database(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept
    config.stash[_no_database_key] = len(left_out)
    if hasattr(config, "workeroutput"):  # an xdist worker: tell the controller
        config.workeroutput[_NO_DATABASE] = len(left_out)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """xdist's controller: every worker collected (and left out) the same tests."""
    output = getattr(node, "workeroutput", {})
    if _NO_DATABASE in output:
        node.config.stash[_no_database_key] = output[_NO_DATABASE]  # type: ignore[attr-defined]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    left_out = terminalreporter.config.stash.get(_no_database_key, None)
    if left_out:
        terminalreporter.write_line(
            f"{left_out} tests that use no database ran on the SQLite pass only "
            "(TEST_ALL_ON_POSTGRES=1 runs them on PostgreSQL too)"
        )


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test with the database's URL but not the `database` fixture manages the database
    itself (migrations from nothing, an emptied schema): the next test gets a new copy."""
    names = getattr(item, "fixturenames", ())
    if "database_url" in names and "database" not in names:
        mark_database_changed()


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """--dist loadgroup that works on pytest 9.2 too (pytest-xdist 3.8 can no longer tag node
    ids with their xdist_group there, pytest-xdist#1386): the demo's transcript tests, in
    test_demo*.py files and marked xdist_group("demo"), go to one worker, which plays the
    demo once for them all; every other test is scheduled on its own."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class DemoTogether(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if Path(nodeid.split("::", 1)[0]).name.startswith("test_demo"):
                return "demo"
            return super()._split_scope(nodeid)

    return DemoTogether(config, log)  # type: ignore[arg-type]


def postgres_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


_changed = False  # the worker's PostgreSQL database may differ from a fresh copy's schema


def mark_database_changed() -> None:
    """The next test gets a new copy of the template, not the same database put back."""
    global _changed
    _changed = True


async def reset_postgres(url: str) -> None:
    """An empty schema, for tests of the migrations themselves."""
    mark_database_changed()
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def _postgres_admin(url: str, *statements: str) -> None:
    """Run statements on TEST_DATABASE_URL's own database (CREATE/DROP DATABASE need that)."""
    u = make_url(url)
    conn = await asyncpg.connect(
        host=u.host, port=u.port, user=u.username, password=u.password, database=u.database
    )
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


_templates: dict[str, str] = {}  # "postgresql"/"sqlite" -> this process's migrated template


async def _template_for(database_url: str, folder: Path) -> str:
    """Migrate this worker's template once per run (so it always has every migration)."""
    kind = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    if kind not in _templates:
        if kind == "postgresql":
            name = f"{make_url(database_url).database}_tmpl"
            await _postgres_admin(
                postgres_url() or "",
                f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                f'CREATE DATABASE "{name}"',
            )
            template = _with_database(database_url, name)
        else:
            template = f"sqlite+aiosqlite:///{folder / 'template.db'}"
        db = Database(template)
        await db.upgrade()
        await db.dispose()
        _templates[kind] = template
    return _templates[kind]


_fresh_states: dict[str, fresh_database.FreshState] = {}  # database -> a new copy's state
_fast_reset = True  # False once the database cannot be put back (no superuser)


async def _put_back(database_url: str) -> bool:
    """Put this worker's database back to a new copy's state, if that can be done."""
    global _fast_reset
    name = make_url(database_url).database or ""
    if _changed or not _fast_reset or _copy_every_time() or name not in _fresh_states:
        return False
    try:
        conn = await fresh_database.connect(database_url)
    except (OSError, asyncpg.PostgresError):
        return False
    try:
        await fresh_database.reset(conn, _fresh_states[name])
        return True
    except fresh_database.NotResettable:
        return False
    except asyncpg.InsufficientPrivilegeError:
        _fast_reset = False  # session_replication_role needs a superuser
        return False
    finally:
        await conn.close()


async def _fresh_copy(database_url: str, folder: Path) -> None:
    global _changed
    template = await _template_for(database_url, folder)
    if database_url.startswith("postgresql"):
        if await _put_back(database_url):
            return
        name, source = make_url(database_url).database or "", make_url(template).database
        await _postgres_admin(
            postgres_url() or "",
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'CREATE DATABASE "{name}" TEMPLATE "{source}"',
        )
        _changed = False
        if name not in _fresh_states:
            conn = await fresh_database.connect(database_url)
            try:
                _fresh_states[name] = await fresh_database.capture(conn)
            finally:
                await conn.close()
    else:
        target = make_url(database_url).database
        assert target
        shutil.copyfile(folder / "template.db", target)


@pytest.fixture(scope="session")
def template_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("template")


@pytest.fixture
def database_url(tmp_path) -> str:
    url = postgres_url()
    if url:  # one database per worker, named from TEST_DATABASE_URL's
        url = _with_database(url, f"{make_url(url).database}_{worker()}")
    else:
        url = f"sqlite:///{tmp_path}/t.db"
    return Settings(_env_file=None, database_url=url).database_url  # type: ignore[call-arg]


@pytest.fixture
async def database(database_url: str, template_folder: Path) -> AsyncIterator[Database]:
    """A fresh, fully migrated database: a copy of this worker's template."""
    await _fresh_copy(database_url, template_folder)
    db = Database(database_url)
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
async def bot(svc: Services, sandbox: Sandbox) -> AsyncIterator[BotRunner]:
    runner = BotRunner(svc, poll_timeout=1)
    await runner.start()
    sandbox.bot_idle = runner.until_idle  # settle() waits for the bot, not for a pause
    yield runner
    sandbox.bot_idle = None
    await runner.stop()


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sandbox.url) as c:
        yield c


@dataclass(frozen=True)
class PlayedDemo:
    exit_code: int
    out: str  # everything `make demo` printed
    folder: Path  # its database and the files it wrote
    pages: dict[str, str]  # web companion pages read over HTTP at the demo's checkpoints


@pytest.fixture(scope="session")
def played_demo(tmp_path_factory: pytest.TempPathFactory) -> PlayedDemo:
    """The whole demo, played once per run for every test that reads what it printed
    (with xdist those tests share an xdist_group, so one worker plays it), on its own
    event loop in a thread."""
    from tests.demo_pages import CHECKPOINTS, pages

    folder = tmp_path_factory.mktemp("demo")
    printed = io.StringIO()
    pages.clear()
    with ThreadPoolExecutor(1) as pool, redirect_stdout(printed):
        code = pool.submit(asyncio.run, run_demo(folder, CHECKPOINTS)).result()
    return PlayedDemo(code, printed.getvalue(), folder, dict(pages))
