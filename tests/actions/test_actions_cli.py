from cetr_bot.cli import main
from tests.cli.test_cli import env, run  # noqa: F401 - the fixture is used by name


def test_action_add_list_show(env, capsys):  # noqa: F811
    run(capsys, "review", "add", "--ref", "YP-3", "--type", "community", "--at", "2099-01-01 10:00")
    run(capsys, "invite", "1", "--role", "social-worker")
    code, out, err = run(
        capsys,
        "action",
        "add",
        "1",
        "--owner",
        "1",
        "--due",
        "2099-02-01",
        "--what",
        "Carers' assessment",
    )
    assert code == 1 and "held" in err  # not before the review is held
    code, out, _ = run(capsys, "review", "held", "1", "--on", "2026-11-20")
    assert code == 0 and "marked as held" in out
    code, out, _ = run(
        capsys,
        "action",
        "add",
        "1",
        "--owner",
        "1",
        "--due",
        "2026-12-20",
        "--what",
        "Carers' assessment",
    )
    assert code == 0 and out.strip() == "1"
    code, out, _ = run(capsys, "action", "list", "1")
    assert "A1 · Carers' assessment · Social worker" in out
    code, out, _ = run(capsys, "action", "show", "1")
    assert "History" in out and "recorded" in out
    code, out, err = run(
        capsys, "action", "add", "1", "--owner", "99", "--due", "2026-12-20", "--what", "x"
    )
    assert code == 1 and "not part of review #1" in err
    code, _, err = run(capsys, "action", "add", "1", "--owner", "1", "--due", "soon", "--what", "x")
    assert code == 2 and "--due" in err
    assert main(["action", "show", "7"]) == 1
