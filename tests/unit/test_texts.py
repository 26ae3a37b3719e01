from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cetr_bot.rules import RuleWarning
from cetr_bot.text import MESSAGES, Texts

TEXTS = Texts(ZoneInfo("Europe/London"))


def test_user_text_is_escaped():
    out = TEXTS.render(
        "newreview/done",
        review_id=1,
        warnings=[],
        data={"ref": "<i>x</i>&", "at": "2026-12-14T10:00:00+00:00"},
    )
    assert "&lt;i&gt;x&lt;/i&gt;&amp;" in out


def test_times_are_shown_in_the_configured_zone():
    summer = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert TEXTS.when(summer) == "Wednesday 1 July 2026 at 10:00"
    assert Texts(ZoneInfo("UTC")).when(summer) == "Wednesday 1 July 2026 at 09:00"


def test_every_warning_code_has_a_template():
    import cetr_bot.rules as rules

    source = Path(rules.__file__).read_text()
    codes = set(__import__("re").findall(r'RuleWarning\("([a-z_]+)"', source))
    assert codes, "no warning codes found"
    for code in codes:
        assert (MESSAGES / "warnings" / f"{code}.html").exists(), code


def test_every_error_key_raised_has_a_template():
    import re

    package = Path(__file__).resolve().parents[2] / "cetr_bot"
    keys: set[str] = set()
    for path in package.rglob("*.py"):
        keys |= set(
            re.findall(r'(?:Invalid|NotAllowed|NotFound)\(\s*"([a-z_]+)"', path.read_text())
        )
    assert "bad_ref" in keys
    missing = [k for k in keys if not (MESSAGES / "errors" / f"{k}.html").exists()]
    assert missing == []


def test_warning_filter_renders_params():
    from datetime import date

    text = TEXTS.render("warnings/_list", warnings=[RuleWarning("adult_ctr", {"age": 18})])
    assert "will be 18" in text and "adult Care and Treatment Review" in text
    assert date(2026, 1, 1)  # keep import used
