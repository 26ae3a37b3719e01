"""The operator manages teams, coordinators and administrators on the command line."""

from __future__ import annotations

import pytest

from cetr_bot.cli import main

FUTURE = "2099-12-14 10:00"


@pytest.fixture
def env(monkeypatch, database_url, database, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("BOT_TOKEN", "COORDINATOR_IDS", "ADMIN_IDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOT_USERNAME", "cetr_test_bot")
    return database_url


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def add_review(capsys, ref: str, *extra: str) -> tuple[int, str, str]:
    return run(capsys, "review", "add", "--ref", ref, "--type", "community", "--at", FUTURE, *extra)


def test_teams_coordinators_and_admins(env, capsys):
    assert run(capsys, "team", "add", "north")[1].strip() == (
        "✅ Team north is set up. Add its coordinators with /coordinator add."
    )
    code, out, _ = run(capsys, "coordinator", "add", "4001", "--team", "north")
    assert code == 0 and "4001 is now a coordinator in north" in out
    code, out, _ = run(capsys, "team", "list")
    assert code == 0 and "north · 0 reviews · coordinators: 4001" in out and "<b>" not in out
    code, out, _ = run(capsys, "coordinator", "remove", "4001", "--team", "north")
    assert code == 0 and "4001 is no longer a coordinator in north" in out
    code, _, err = run(capsys, "coordinator", "remove", "4001")
    assert code == 1 and "not a coordinator there" in err
    code, out, _ = run(capsys, "admin", "add", "4900")
    assert code == 0 and "4900 is now an administrator" in out
    code, _, err = run(capsys, "admin", "add", "4900")
    assert code == 1 and "already an administrator" in err
    code, out, _ = run(capsys, "admin", "remove", "4900")
    assert code == 0 and "no longer an administrator" in out
    code, _, err = run(capsys, "team", "add", "North")
    assert code == 1 and len(err.strip().splitlines()) == 1 and "already a team" in err


def test_review_add_goes_to_the_only_team_or_asks_for_one(env, capsys):
    run(capsys, "team", "add", "north")
    code, out, _ = add_review(capsys, "YP-1")
    assert code == 0 and out.strip() == "1"
    assert "north · 1 review" in run(capsys, "team", "list")[1]
    run(capsys, "team", "add", "south")
    code, out, err = add_review(capsys, "YP-2")
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert "more than one team" in err and "north, south" in err
    code, out, _ = add_review(capsys, "YP-2", "--team", "south")
    assert code == 0 and out.strip() == "2"
    code, _, err = add_review(capsys, "YP-3", "--team", "east")
    assert code == 1 and "couldn't find a team called east" in err
    listed = run(capsys, "team", "list")[1]
    assert "north · 1 review" in listed and "south · 1 review" in listed
    assert "#1 · YP-1" in run(capsys, "review", "list")[1]  # the operator sees them all


def test_a_teams_contact_line_on_the_command_line(env, capsys, database_url):
    run(capsys, "team", "add", "north")
    code, out, _ = run(capsys, "team", "contact", "North CETR team, 0113 496 0000")
    assert code == 0 and "North CETR team, 0113 496 0000" in out and "<b>" not in out
    run(capsys, "team", "add", "south")
    code, _, err = run(capsys, "team", "contact", "Someone")
    assert code == 1 and "more than one team" in err
    code, out, _ = run(capsys, "team", "contact", "--team", "south", "south@example.nhs.uk")
    assert code == 0 and "south@example.nhs.uk" in out
    code, out, _ = run(capsys, "team", "contact", "--team", "north", "off")
    assert code == 0 and "cleared" in out
    code, _, err = run(capsys, "team", "contact", "--team", "south", "x" * 301)
    assert code == 1 and "over 300 characters" in err


def test_coordinator_ids_are_the_default_team(env, capsys, monkeypatch):
    monkeypatch.setenv("COORDINATOR_IDS", "1001,1002")
    code, out, _ = add_review(capsys, "YP-1")  # no teams yet: the default team
    assert code == 0 and out.strip() == "1"
    listed = run(capsys, "team", "list")[1]
    assert "default · 1 review · coordinators: 1001, 1002" in listed
    run(capsys, "team", "add", "north")
    code, _, err = add_review(capsys, "YP-2")
    assert code == 1 and "default, north" in err
    code, out, _ = run(capsys, "coordinator", "remove", "1001")
    assert code == 0 and "still in COORDINATOR_IDS" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["team"], "required"),
        (["team", "add"], "required: name"),
        (["team", "add", "two words"], "not a team name"),
        (["team", "add", "a/b"], "not a team name"),
        (["team", "delete", "north"], "invalid choice"),
        (["coordinator", "add", "4001"], "--team"),
        (["coordinator", "add", "abc", "--team", "north"], "not a Telegram user id"),
        (["coordinator", "add", "0", "--team", "north"], "not a Telegram user id"),
        (["coordinator", "remove"], "telegram_id"),
        (["admin", "add", "-7"], "not a Telegram user id"),
        (["admin"], "required"),
        (
            [
                "review",
                "add",
                "--ref",
                "YP",
                "--type",
                "community",
                "--at",
                FUTURE,
                "--team",
                "a b",
            ],
            "not a team name",
        ),
    ],
)
def test_bad_arguments_give_one_clear_line(env, capsys, args, fragment):
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and fragment in err, err


@pytest.mark.parametrize(
    "args", [["team", "--help"], ["coordinator", "add", "--help"], ["admin", "remove", "--help"]]
)
def test_help_everywhere(env, capsys, args):
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code == 0 and "usage: cetr-bot" in capsys.readouterr().out
