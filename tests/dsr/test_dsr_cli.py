"""A young person through the register on the command line, with a controlled clock:
amber → red → admitted → inpatient CETRs recorded → discharged; the monthly report;
a review set up from the register entry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from cetr_bot import runner
from cetr_bot.cli import main
from cetr_bot.storage.models import AuditEvent
from cetr_bot.storage.models_reminders import Reminder
from cetr_bot.storage.session import Database
from tests.cli.test_cli import run
from tests.conftest import FakeClock


@pytest.fixture
def env(monkeypatch, database_url, database, tmp_path, clock):
    """The CLI on the test database, with the test's clock (and the coordinator id set,
    so the register's reminder rows have someone to go to)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("COORDINATOR_IDS", "1001")
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    real = runner.open_services

    async def with_clock(settings, **options):
        svc = await real(settings, **options)
        svc.clock = clock
        return svc

    monkeypatch.setattr(runner, "open_services", with_clock)
    return database_url


async def _rows(url: str, kind: str) -> list[Reminder]:
    db = Database(url)
    try:
        async with db.transaction() as session:
            query = select(Reminder).where(Reminder.kind == kind).order_by(Reminder.due_at)
            return list(await session.scalars(query))
    finally:
        await db.dispose()


def test_amber_red_admitted_inpatient_cetrs_discharged(env, capsys, clock: FakeClock):
    import asyncio

    code, out, err = run(
        capsys, "dsr", "add", "--ref", "YP-77", "--dob", "2012-03-14", "--rag", "amber",
        "--reason", "placement at risk", "--key-worker", "J. Key",
    )  # fmt: skip
    assert code == 0 and out.strip() == "1"
    assert "community CETR is due by Mon 21 Dec 2026" in err  # 28 days for amber
    code, out, _ = run(capsys, "dsr", "show", "1")
    assert "Amber since Mon 23 Nov 2026; look at it again by Wed 23 Dec 2026" in out
    assert "placement at risk" in out and "J. Key" in out  # the CLI shows the details
    chases = asyncio.run(_rows(env, "dsr_cetr_due"))
    assert chases and chases[0].chat_id == 1001 and chases[0].status == "pending"

    clock.current = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    code, out, _ = run(capsys, "dsr", "rate", "1", "--rag", "red", "--reason", "crisis at home")
    assert code == 0 and "now 🔴 Red" in out
    assert "community CETR is due by Wed 9 Dec 2026" in out  # 10 working days, brought forward
    code, out, err = run(capsys, "dsr", "rate", "1", "--rag", "blue", "--reason", "x")
    assert code == 2 and "invalid choice" in err

    clock.current = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    code, out, _ = run(capsys, "dsr", "admit", "1", "--on", "2026-11-30", "--out-of-area")
    assert code == 0 and "now 🔵 Blue" in out
    assert "without a community CETR before it" in out
    code, out, _ = run(capsys, "dsr", "show", "1")
    assert "post-admission CETR due" in out and "Mon 14 Dec 2026" in out  # 14 days
    assert "commissioner's visit" in out and "Mon 11 Jan 2027" in out  # six weeks
    assert "placed out of area" in out
    visits = [r for r in asyncio.run(_rows(env, "dsr_visit")) if r.status == "pending"]
    assert len(visits) == 4
    assert [r.status for r in asyncio.run(_rows(env, "dsr_cetr_due"))].count("pending") == 0

    # An inpatient review in the bot warns "no earlier CETR": recording one held
    # elsewhere clears it.
    code, out, err = run(
        capsys, "review", "add", "--dsr", "1", "--type", "inpatient", "--at", "2027-03-01 10:00"
    )
    assert code == 0 and "no earlier CETR recorded since admission" in err
    review_id = out.strip()
    clock.current = datetime(2026, 12, 11, 10, 0, tzinfo=UTC)
    code, out, _ = run(
        capsys, "cetr", "record", "--ref", "YP-77", "--type", "post-admission",
        "--on", "2026-12-10", "--outcome", "plan agreed",
    )  # fmt: skip
    assert code == 0 and "Post-admission CETR on Thu 10 Dec 2026" in out
    code, out, _ = run(capsys, "review", "show", review_id)
    assert "YP-77" in out and "no earlier CETR" not in out
    code, out, _ = run(capsys, "dsr", "show", "1")
    assert "next inpatient CETR due" in out

    clock.current = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
    code, out, _ = run(capsys, "review", "held", review_id, "--on", "2027-03-01")
    assert code == 0
    code, out, _ = run(capsys, "dsr", "show", "1")
    assert "Tue 1 Jun 2027: next inpatient CETR due" in out  # three months on

    clock.current = datetime(2027, 4, 1, 10, 0, tzinfo=UTC)
    code, out, _ = run(capsys, "dsr", "discharge", "1", "--on", "2027-04-01", "--rag", "green")
    assert code == 0 and "now 🟢 Green" in out
    code, out, _ = run(capsys, "dsr", "show", "1")
    assert "look at it again by Thu 15 Apr 2027" in out  # the early review, two weeks
    assert "In hospital" not in out
    assert not [r for r in asyncio.run(_rows(env, "dsr_visit")) if r.status == "pending"]

    code, out, _ = run(capsys, "dsr", "history", "1")
    changes = [line for line in out.splitlines() if " · " in line]
    assert [c.split(" · ")[1] for c in changes] == [
        "added", "rating changed", "admitted", "review recorded from elsewhere", "discharged",
    ]  # fmt: skip
    assert "crisis at home" in out and "command line" in out

    code, out, _ = run(capsys, "dsr", "report", "--month", "2026-11")
    assert "Admissions: 1 (0 with a community CETR before, 1 without)" in out
    assert "0% had a community CETR" in out and "below the 90% standard" in out
    code, out, _ = run(capsys, "dsr", "list")
    assert "DSR #1 · YP-77" in out and "🟢 Green" in out

    audit = asyncio.run(_audit_kinds(env))
    assert {"dsr_added", "dsr_rated", "dsr_admitted", "dsr_discharged", "dsr_viewed"} <= audit


async def _audit_kinds(url: str) -> set[str]:
    db = Database(url)
    try:
        async with db.transaction() as session:
            return set(await session.scalars(select(AuditEvent.kind)))
    finally:
        await db.dispose()


def test_bad_input_gives_one_clear_line(env, capsys):
    assert main(["dsr", "show", "9"]) == 1
    assert "couldn't find register entry DSR #9" in capsys.readouterr().err
    code, _, err = run(capsys, "dsr", "add", "--ref", "Alex Smith", "--dob", "2012-01-01",
                       "--rag", "red")  # fmt: skip
    assert code == 1 and "name" in err
    code, _, err = run(capsys, "dsr", "report", "--month", "November")
    assert code == 1 and "2026-11" in err
    code, _, err = run(capsys, "cetr", "record", "--ref", "YP-0", "--type", "weekly", "--on",
                       "2026-11-01")  # fmt: skip
    assert code == 2 and "--type" in err
    code, _, err = run(capsys, "cetr", "record", "--ref", "YP-0", "--type", "laep", "--on",
                       "2026-11-01")  # fmt: skip
    assert code == 1 and "YP-0" in err
