from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from cetr_bot.config import ConfigError, load_settings
from cetr_bot.parsing import parse_date, parse_local_datetime, parse_time

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    "text", ["2012-03-14", "14/03/2012", "14-03-2012", "14.03.2012", "14 Mar 2012", "14 March 2012"]
)
def test_dates_in_common_uk_forms(text):
    assert parse_date(text) == date(2012, 3, 14)


@pytest.mark.parametrize("text", ["", "31/02/2012", "03/14/2012", "tomorrow", "2012-3"])
def test_bad_dates_are_none(text):
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10:00", time(10)),
        ("9.30", time(9, 30)),
        ("2pm", time(14)),
        ("12am", time(0)),
        ("14", time(14)),
    ],
)
def test_times(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["25:00", "10:61", "13pm", "noon"])
def test_bad_times(text):
    assert parse_time(text) is None


def test_local_times_become_utc_across_clock_changes():
    winter = parse_local_datetime("14/12/2026 10:00", LONDON)
    summer = parse_local_datetime("14/06/2026 10:00", LONDON)
    assert winter == datetime(2026, 12, 14, 10, tzinfo=UTC)
    assert summer == datetime(2026, 6, 14, 9, tzinfo=UTC)


def test_a_time_lost_to_the_spring_clock_change_is_refused():
    assert parse_local_datetime("29/03/2026 01:30", LONDON) is None
    assert parse_local_datetime("29/03/2026 02:30", LONDON) is not None


def test_settings_defaults_and_conversions(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = load_settings(_env_file=None)
    assert settings.database_url == "sqlite+aiosqlite:///./cetr.db"
    assert settings.timezone == "Europe/London"
    assert settings.post_admission_due_days == 14
    monkeypatch.setenv("COORDINATOR_IDS", "11, 22;33")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    settings = load_settings(_env_file=None)
    assert settings.coordinator_ids == [11, 22, 33]
    assert settings.database_url == "postgresql+asyncpg://u@h/db"
    assert settings.is_coordinator(22) and not settings.is_coordinator(44)


def test_settings_read_a_dotenv_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    (tmp_path / ".env").write_text("BOT_TOKEN=1:abc\nTIMEZONE=Europe/Paris\n")
    settings = load_settings()
    assert settings.bot_token is not None and settings.bot_token.get_secret_value() == "1:abc"
    assert settings.timezone == "Europe/Paris"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TIMEZONE", "Nowhere/Else"),
        ("COORDINATOR_IDS", "x"),
        ("TELEGRAM_API_URL", "ftp://x"),
        ("INPATIENT_INTERVAL_MONTHS", "0"),
    ],
)
def test_bad_settings_raise_one_line(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None)
    assert name in str(caught.value) and "\n" not in str(caught.value)
