"""The command line calls the same services as the bot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cetr_bot.cli import main

ROOT = Path(__file__).resolve().parents[2]
FUTURE = "2026-12-14 10:00"


@pytest.fixture
def env(monkeypatch, database_url, database, tmp_path):
    """Point the CLI at the test database; keep any developer .env out of the way."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.setenv("BOT_USERNAME", "cetr_test_bot")
    return database_url


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_review_add_list_show_and_invite(env, capsys):
    code, out, err = run(
        capsys,
        "review",
        "add",
        "--ref",
        "YP-1",
        "--type",
        "inpatient",
        "--at",
        "2099-12-14 10:00",
        "--dob",
        "2012-03-14",
        "--admitted",
        "2026-09-01",
        "--where",
        "Video",
    )
    assert code == 0 and out.strip() == "1"
    assert "warning:" in err  # a review far beyond three months is flagged
    code, out, _ = run(capsys, "review", "list")
    assert code == 0 and "#1 · YP-1 · Inpatient" in out
    code, out, _ = run(capsys, "invite", "1", "--role", "clinician")
    link, token = out.split()
    assert code == 0 and link == f"https://t.me/cetr_test_bot?start={token}"
    code, out, _ = run(capsys, "review", "show", "1")
    assert "Responsible clinician or senior nurse: ⏳ invited" in out
    assert "<b>" not in out  # plain text on the command line


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["review", "add", "--ref", "YP", "--type", "weekly", "--at", FUTURE], "--type"),
        (["review", "add", "--ref", "YP", "--type", "community", "--at", "soon"], "--at"),
        (
            ["review", "add", "--ref", "YP", "--type", "community", "--at", FUTURE, "--dob", "x"],
            "--dob",
        ),
        (["review", "add", "--type", "community", "--at", FUTURE], "--ref"),
        (["invite", "1", "--role", "wizard"], "unknown role"),
        (["invite", "one", "--role", "family"], "invalid int"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_give_one_clear_line(env, capsys, args, fragment):
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and fragment in err


def test_service_refusals_are_one_line_and_non_zero(env, capsys):
    code, _, err = run(
        capsys,
        "review",
        "add",
        "--ref",
        "Jane Smith!",
        "--type",
        "community",
        "--at",
        "2099-01-01 10:00",
    )
    assert code == 1 and "short reference" in err
    code, _, err = run(
        capsys, "review", "add", "--ref", "YP", "--type", "community", "--at", "2001-01-01 10:00"
    )
    assert code == 1 and "already passed" in err
    code, _, err = run(capsys, "review", "show", "42")
    assert code == 1 and "couldn't find review #42" in err


def test_revoke_withdraws_an_unused_invitation(env, capsys):
    run(capsys, "review", "add", "--ref", "YP-2", "--type", "community", "--at", "2099-01-01 10:00")
    run(capsys, "invite", "1", "--role", "family")
    code, out, _ = run(capsys, "revoke", "1")
    assert code == 0 and "withdrawn" in out
    code, out, _ = run(capsys, "review", "show", "1")
    assert "Family member" not in out


def _console(
    *args: str, env_extra: dict[str, str] | None = None, cwd: Path
) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("cetr-bot")
    environment = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_URL")}
    environment.update(env_extra or {})
    return subprocess.run(
        [str(script), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=60,
        check=False,
    )


def test_console_script_help_and_run_without_token(tmp_path):
    helped = _console("--help", cwd=tmp_path)
    assert helped.returncode == 0 and "review" in helped.stdout and "sandbox" in helped.stdout
    for sub in (["review", "add", "--help"], ["invite", "--help"], ["db", "--help"]):
        assert _console(*sub, cwd=tmp_path).returncode == 0
    ran = _console("run", cwd=tmp_path)
    assert ran.returncode == 2
    assert ran.stderr.strip().count("\n") == 0 and "make demo" in ran.stderr


def test_bad_configuration_is_one_line(tmp_path):
    for extra in (
        {"TIMEZONE": "Mars/Olympus"},
        {"COORDINATOR_IDS": "alice"},
        {"DATABASE_URL": "mysql://x"},
        {"POST_ADMISSION_DUE_DAYS": "-3"},
    ):
        done = _console("review", "list", env_extra=extra, cwd=tmp_path)
        assert done.returncode == 2, extra
        assert done.stderr.strip().count("\n") == 0 and "Configuration problem" in done.stderr


def test_db_upgrade_creates_the_schema(tmp_path):
    url = f"sqlite:///{tmp_path}/fresh.db"
    done = _console("db", "upgrade", env_extra={"DATABASE_URL": url}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "fresh.db").exists()
    listed = _console("review", "list", env_extra={"DATABASE_URL": url}, cwd=tmp_path)
    assert "no upcoming reviews" in listed.stdout
